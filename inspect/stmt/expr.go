package stmt

import (
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"
)

// ExprPrinter renders raw parse-tree expressions the way PostgreSQL's
// pg_get_expr prints the stored expression: operators in parentheses,
// constants labelled with their type ('x'::text, '-1'::integer). It knows
// the column types of the table the expression belongs to, since the
// label of a literal compared with a column is the column's type. Node
// kinds it does not know fall back to the parser's deparser.
type ExprPrinter struct {
	ColType func(name string) string // format_type of a column, "" if unknown
}

// exprText renders an expression without column context.
func exprText(n *pg_query.Node) string { return (&ExprPrinter{}).Print(n, "text") }

// Print renders n. label is the type given to an untyped string literal
// at this place ("text" by default).
func (p *ExprPrinter) Print(n *pg_query.Node, label string) string {
	if n == nil {
		return ""
	}
	switch {
	case n.GetAConst() != nil:
		return ConstText(n.GetAConst(), label)
	case n.GetColumnRef() != nil:
		return columnRefText(n.GetColumnRef())
	case n.GetParamRef() != nil:
		return "$" + strconv.Itoa(int(n.GetParamRef().GetNumber()))
	case n.GetTypeCast() != nil:
		return p.typeCast(n.GetTypeCast())
	case n.GetAExpr() != nil:
		if s, ok := p.aExpr(n.GetAExpr()); ok {
			return s
		}
	case n.GetBoolExpr() != nil:
		return p.boolExpr(n.GetBoolExpr())
	case n.GetNullTest() != nil:
		nt := n.GetNullTest()
		op := " IS NULL)"
		if nt.GetNulltesttype() == pg_query.NullTestType_IS_NOT_NULL {
			op = " IS NOT NULL)"
		}
		return "(" + p.Print(nt.GetArg(), label) + op
	case n.GetBooleanTest() != nil:
		bt := n.GetBooleanTest()
		ops := map[pg_query.BoolTestType]string{
			pg_query.BoolTestType_IS_TRUE: "IS TRUE", pg_query.BoolTestType_IS_NOT_TRUE: "IS NOT TRUE",
			pg_query.BoolTestType_IS_FALSE: "IS FALSE", pg_query.BoolTestType_IS_NOT_FALSE: "IS NOT FALSE",
			pg_query.BoolTestType_IS_UNKNOWN: "IS UNKNOWN", pg_query.BoolTestType_IS_NOT_UNKNOWN: "IS NOT UNKNOWN",
		}
		return "(" + p.Print(bt.GetArg(), label) + " " + ops[bt.GetBooltesttype()] + ")"
	case n.GetFuncCall() != nil:
		if s, ok := p.funcCall(n.GetFuncCall()); ok {
			return s
		}
	case n.GetSqlvalueFunction() != nil:
		if s, ok := sqlValueFunctions[n.GetSqlvalueFunction().GetOp()]; ok {
			if t := n.GetSqlvalueFunction().GetTypmod(); t >= 0 && strings.HasPrefix(s, "CURRENT_T") || t >= 0 && strings.HasPrefix(s, "LOCAL") {
				s += "(" + strconv.Itoa(int(t)) + ")"
			}
			return s
		}
	case n.GetCoalesceExpr() != nil:
		return "COALESCE(" + p.list(n.GetCoalesceExpr().GetArgs(), label) + ")"
	case n.GetMinMaxExpr() != nil:
		name := "GREATEST("
		if n.GetMinMaxExpr().GetOp() == pg_query.MinMaxOp_IS_LEAST {
			name = "LEAST("
		}
		return name + p.list(n.GetMinMaxExpr().GetArgs(), label) + ")"
	case n.GetAArrayExpr() != nil:
		return "ARRAY[" + p.list(n.GetAArrayExpr().GetElements(), label) + "]"
	case n.GetCaseExpr() != nil:
		return p.caseExpr(n.GetCaseExpr())
	}
	return deparseExpr(n)
}

func (p *ExprPrinter) list(nodes []*pg_query.Node, label string) string {
	parts := make([]string, len(nodes))
	for i, a := range nodes {
		parts[i] = p.Print(a, label)
	}
	return strings.Join(parts, ", ")
}

var sqlValueFunctions = map[pg_query.SQLValueFunctionOp]string{
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_DATE:        "CURRENT_DATE",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME:        "CURRENT_TIME",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIME_N:      "CURRENT_TIME",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP:   "CURRENT_TIMESTAMP",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_TIMESTAMP_N: "CURRENT_TIMESTAMP",
	pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME:           "LOCALTIME",
	pg_query.SQLValueFunctionOp_SVFOP_LOCALTIME_N:         "LOCALTIME",
	pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP:      "LOCALTIMESTAMP",
	pg_query.SQLValueFunctionOp_SVFOP_LOCALTIMESTAMP_N:    "LOCALTIMESTAMP",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_ROLE:        "CURRENT_ROLE",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_USER:        "CURRENT_USER",
	pg_query.SQLValueFunctionOp_SVFOP_USER:                "USER",
	pg_query.SQLValueFunctionOp_SVFOP_SESSION_USER:        "SESSION_USER",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_CATALOG:     "CURRENT_CATALOG",
	pg_query.SQLValueFunctionOp_SVFOP_CURRENT_SCHEMA:      "CURRENT_SCHEMA",
}

// ConstText prints a literal as ruleutils prints the Const it becomes.
func ConstText(c *pg_query.A_Const, label string) string {
	switch {
	case c.GetIsnull():
		return "NULL"
	case c.GetIval() != nil:
		v := c.GetIval().GetIval()
		if v < 0 {
			return "'" + strconv.Itoa(int(v)) + "'::integer"
		}
		return strconv.Itoa(int(v))
	case c.GetFval() != nil:
		f := c.GetFval().GetFval()
		if strings.ContainsAny(f, "eE") {
			// Exponent notation is always numeric.
			if f = plainDecimal(f); !strings.Contains(f, ".") || f[0] == '-' {
				return "'" + f + "'::numeric"
			}
		}
		if strings.ContainsAny(f, ".") {
			if f != "" && f[0] >= '0' && f[0] <= '9' {
				return f
			}
			return "'" + f + "'::numeric"
		}
		if _, err := strconv.ParseInt(f, 10, 64); err == nil {
			return "'" + f + "'::bigint"
		}
		return "'" + f + "'::numeric"
	case c.GetBoolval() != nil:
		if c.GetBoolval().GetBoolval() {
			return "true"
		}
		return "false"
	case c.GetSval() != nil:
		s := inspect.QuoteLiteralStandard(c.GetSval().GetSval())
		if label != "" {
			s += "::" + label
		}
		return s
	case c.GetBsval() != nil:
		return "B'" + strings.TrimPrefix(strings.TrimPrefix(c.GetBsval().GetBsval(), "b"), "B") + "'::" + orText(label, "bit")
	}
	return "NULL"
}

// plainDecimal rewrites a numeric literal with an exponent as numeric_out
// prints the value: 1e3 -> 1000, 1.5e-2 -> 0.015, 1.50e1 -> 15.0.
func plainDecimal(f string) string {
	mant, expText, _ := strings.Cut(strings.ToLower(f), "e")
	exp, err := strconv.Atoi(expText)
	if err != nil || exp > 1000 || exp < -1000 {
		return f
	}
	sign := ""
	if strings.HasPrefix(mant, "-") || strings.HasPrefix(mant, "+") {
		if mant[0] == '-' {
			sign = "-"
		}
		mant = mant[1:]
	}
	intPart, frac, _ := strings.Cut(mant, ".")
	digits := intPart + frac
	point := len(intPart) + exp // position of the decimal point in digits
	scale := max(0, len(frac)-exp)
	for point < 0 {
		digits, point = "0"+digits, point+1
	}
	for len(digits) < point+scale {
		digits += "0"
	}
	ip, fp := strings.TrimLeft(digits[:point], "0"), digits[point:point+scale]
	if ip == "" {
		ip = "0"
	}
	if fp == "" {
		return sign + ip
	}
	return sign + ip + "." + fp
}

func orText(label, def string) string {
	if label == "" || label == "text" {
		return def
	}
	return label
}

func columnRefText(cr *pg_query.ColumnRef) string {
	parts := make([]string, 0, len(cr.GetFields()))
	for _, f := range cr.GetFields() {
		if f.GetAStar() != nil {
			parts = append(parts, "*")
			continue
		}
		parts = append(parts, inspect.QuoteIdent(f.GetString_().GetSval()))
	}
	return strings.Join(parts, ".")
}

// ColumnName returns the column of a ColumnRef (its last field), or "".
func ColumnName(n *pg_query.Node) string {
	cr := n.GetColumnRef()
	if cr == nil || len(cr.GetFields()) == 0 {
		return ""
	}
	return cr.GetFields()[len(cr.GetFields())-1].GetString_().GetSval()
}

func (p *ExprPrinter) typeCast(tc *pg_query.TypeCast) string {
	typ := FormatType(tc.GetTypeName(), true)
	arg := tc.GetArg()
	if c := arg.GetAConst(); c != nil && c.GetSval() != nil {
		if typ == "regclass" {
			return inspect.QuoteLiteralStandard(RegclassText(c.GetSval().GetSval())) + "::regclass"
		}
		return ConstText(c, typ)
	}
	if c := arg.GetAConst(); c != nil && c.GetIsnull() {
		return "NULL::" + typ
	}
	return "(" + p.Print(arg, "text") + ")::" + typ
}

// RegclassText renders a relation name as regclass output shows it with
// the default search_path: unqualified in public, quoted when needed.
func RegclassText(name string) string {
	schema, rel := inspect.SplitQualified(name)
	if !strings.Contains(name, `"`) {
		schema, rel = strings.ToLower(schema), strings.ToLower(rel)
	}
	if schema == "public" || schema == "pg_catalog" {
		schema = ""
	}
	return inspect.QuoteQualified(schema, rel)
}

// literalLabel is the label a string literal gets when an operator
// compares it with other: the column's type when other is a column of a
// known type, else text.
func (p *ExprPrinter) literalLabel(other *pg_query.Node) (label string, castCol bool) {
	col := ColumnName(other)
	if col == "" || p.ColType == nil {
		return "text", false
	}
	typ := p.ColType(col)
	switch {
	case typ == "":
		return "text", false
	case strings.HasPrefix(typ, "character varying"):
		return "text", true
	}
	return LabelType(typ), false
}

// operand prints one side of an operator. A string literal takes the
// type of a column on the other side; a varchar column is cast to text,
// since varchar has no operators of its own.
func (p *ExprPrinter) operand(n, other *pg_query.Node) string {
	if c := n.GetAConst(); c != nil && c.GetSval() != nil {
		label, _ := p.literalLabel(other)
		return ConstText(c, label)
	}
	return p.textArg(n)
}

// promoted prints an operand of an arithmetic or comparison operator,
// showing the implicit cast PostgreSQL adds when an integer meets a
// numeric or double precision operand: (price > (0)::numeric).
func (p *ExprPrinter) promoted(n, other *pg_query.Node) string {
	mine, theirs := p.typeOf(n), p.typeOf(other)
	if isIntegerType(mine) && (theirs == "numeric" || theirs == "double precision") {
		return "(" + p.operand(n, other) + ")::" + theirs
	}
	return p.operand(n, other)
}

func isIntegerType(t string) bool { return t == "integer" || t == "bigint" || t == "smallint" }

// typeOf is the type of an expression as far as this printer can tell:
// columns, constants, casts and arithmetic on them; "" when unknown.
func (p *ExprPrinter) typeOf(n *pg_query.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		if p.ColType == nil {
			return ""
		}
		return LabelType(p.ColType(ColumnName(n)))
	case n.GetAConst() != nil:
		c := n.GetAConst()
		switch {
		case c.GetIval() != nil:
			return "integer"
		case c.GetFval() != nil:
			f := c.GetFval().GetFval()
			if _, err := strconv.ParseInt(f, 10, 64); err == nil {
				return "bigint"
			}
			return "numeric"
		}
	case n.GetTypeCast() != nil:
		return FormatType(n.GetTypeCast().GetTypeName(), false)
	case n.GetAExpr() != nil:
		a := n.GetAExpr()
		if a.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || len(a.GetName()) == 0 || a.GetLexpr() == nil {
			return ""
		}
		switch a.GetName()[len(a.GetName())-1].GetString_().GetSval() {
		case "+", "-", "*", "/", "%":
		default:
			return ""
		}
		l, r := p.typeOf(a.GetLexpr()), p.typeOf(a.GetRexpr())
		for _, t := range []string{"double precision", "numeric", "bigint", "integer", "smallint"} {
			if l == t && (r == t || isIntegerType(r) || r == "numeric" && t == "double precision") ||
				r == t && (isIntegerType(l) || l == "numeric" && t == "double precision") {
				return t
			}
		}
	}
	return ""
}

// textArg prints n, casting a varchar column to text as the parser does
// where text is expected.
func (p *ExprPrinter) textArg(n *pg_query.Node) string {
	if _, cast := p.literalLabel(n); cast {
		return "(" + columnRefText(n.GetColumnRef()) + ")::text"
	}
	return p.Print(n, "text")
}

func (p *ExprPrinter) aExpr(e *pg_query.A_Expr) (string, bool) {
	op := ""
	if names := e.GetName(); len(names) > 0 {
		op = names[len(names)-1].GetString_().GetSval()
	}
	l, r := e.GetLexpr(), e.GetRexpr()
	switch e.GetKind() {
	case pg_query.A_Expr_Kind_AEXPR_OP:
		if l == nil {
			return "(" + op + " " + p.Print(r, "text") + ")", true
		}
		return "(" + p.promoted(l, r) + " " + op + " " + p.promoted(r, l) + ")", true
	case pg_query.A_Expr_Kind_AEXPR_LIKE, pg_query.A_Expr_Kind_AEXPR_ILIKE:
		return "(" + p.operand(l, r) + " " + op + " " + p.operand(r, l) + ")", true
	case pg_query.A_Expr_Kind_AEXPR_DISTINCT:
		return "(" + p.operand(l, r) + " IS DISTINCT FROM " + p.operand(r, l) + ")", true
	case pg_query.A_Expr_Kind_AEXPR_NOT_DISTINCT:
		return "(" + p.operand(l, r) + " IS NOT DISTINCT FROM " + p.operand(r, l) + ")", true
	case pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return "NULLIF(" + p.operand(l, r) + ", " + p.operand(r, l) + ")", true
	case pg_query.A_Expr_Kind_AEXPR_OP_ANY, pg_query.A_Expr_Kind_AEXPR_OP_ALL:
		kw := " ANY ("
		if e.GetKind() == pg_query.A_Expr_Kind_AEXPR_OP_ALL {
			kw = " ALL ("
		}
		return "(" + p.Print(l, "text") + " " + op + kw + p.Print(r, "text") + "))", true
	case pg_query.A_Expr_Kind_AEXPR_IN:
		items := r.GetList().GetItems()
		if items == nil {
			return "", false
		}
		label, cast := p.literalLabel(l)
		left := p.Print(l, "text")
		if cast {
			left = "(" + left + ")::text"
		}
		kw := " = ANY (ARRAY["
		if op == "<>" {
			kw = " <> ALL (ARRAY["
		}
		return "(" + left + kw + p.list(items, label) + "]))", true
	case pg_query.A_Expr_Kind_AEXPR_BETWEEN, pg_query.A_Expr_Kind_AEXPR_NOT_BETWEEN:
		bounds := r.GetList().GetItems()
		if len(bounds) != 2 {
			return "", false
		}
		lo, hi := p.operand(bounds[0], l), p.operand(bounds[1], l)
		x := p.operand(l, bounds[0])
		if e.GetKind() == pg_query.A_Expr_Kind_AEXPR_BETWEEN {
			return "((" + x + " >= " + lo + ") AND (" + x + " <= " + hi + "))", true
		}
		return "((" + x + " < " + lo + ") OR (" + x + " > " + hi + "))", true
	}
	return "", false
}

func (p *ExprPrinter) boolExpr(b *pg_query.BoolExpr) string {
	switch b.GetBoolop() {
	case pg_query.BoolExprType_NOT_EXPR:
		return "(NOT " + p.Print(b.GetArgs()[0], "text") + ")"
	case pg_query.BoolExprType_OR_EXPR:
		return "(" + p.join(b.GetArgs(), " OR ") + ")"
	}
	return "(" + p.join(b.GetArgs(), " AND ") + ")"
}

func (p *ExprPrinter) join(nodes []*pg_query.Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, a := range nodes {
		parts[i] = p.Print(a, "text")
	}
	return strings.Join(parts, sep)
}

func (p *ExprPrinter) funcCall(f *pg_query.FuncCall) (string, bool) {
	if f.GetAggDistinct() || len(f.GetAggOrder()) > 0 || f.GetAggFilter() != nil || f.GetOver() != nil ||
		f.GetFuncVariadic() || f.GetFuncformat() == pg_query.CoercionForm_COERCE_SQL_SYNTAX {
		return "", false
	}
	schema, name := FuncNameParts(f.GetFuncname())
	if schema == "pg_catalog" || schema == "public" {
		schema = ""
	}
	fn := inspect.QuoteQualified(schema, name)
	if f.GetAggStar() {
		return fn + "(*)", true
	}
	args := f.GetArgs()
	if name == "nextval" && len(args) == 1 {
		if s, ok := StringArg(args[0]); ok {
			return "nextval(" + inspect.QuoteLiteralStandard(RegclassText(s)) + "::regclass)", true
		}
	}
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = p.textArg(a)
	}
	return fn + "(" + strings.Join(parts, ", ") + ")", true
}

func (p *ExprPrinter) caseExpr(c *pg_query.CaseExpr) string {
	var b strings.Builder
	b.WriteString("CASE")
	if c.GetArg() != nil {
		b.WriteString(" " + p.Print(c.GetArg(), "text"))
	}
	for _, w := range c.GetArgs() {
		cw := w.GetCaseWhen()
		b.WriteString(" WHEN " + p.Print(cw.GetExpr(), "text") + " THEN " + p.Print(cw.GetResult(), "text"))
	}
	if c.GetDefresult() != nil {
		b.WriteString(" ELSE " + p.Print(c.GetDefresult(), "text"))
	}
	b.WriteString(" END")
	return b.String()
}

// FuncNameParts splits a qualified function name; the name is lower case
// as the parser folded it.
func FuncNameParts(names []*pg_query.Node) (string, string) {
	switch len(names) {
	case 0:
		return "", ""
	case 1:
		return "", names[0].GetString_().GetSval()
	default:
		return names[len(names)-2].GetString_().GetSval(), names[len(names)-1].GetString_().GetSval()
	}
}

// StringArg returns the value of a string literal, possibly cast
// ('s'::regclass, 's'::text).
func StringArg(n *pg_query.Node) (string, bool) {
	if tc := n.GetTypeCast(); tc != nil {
		n = tc.GetArg()
	}
	if c := n.GetAConst(); c != nil && c.GetSval() != nil {
		return c.GetSval().GetSval(), true
	}
	return "", false
}

// deparseExpr renders an expression with the parser's deparser, for node
// kinds exprPrinter does not know.
func deparseExpr(n *pg_query.Node) string {
	tree := &pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: &pg_query.Node{Node: &pg_query.Node_SelectStmt{
		SelectStmt: &pg_query.SelectStmt{TargetList: []*pg_query.Node{{Node: &pg_query.Node_ResTarget{ResTarget: &pg_query.ResTarget{Val: n}}}}},
	}}}}}
	s, err := pg_query.Deparse(tree)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(s, "SELECT ")
}

// ColumnsIn returns the distinct column names an expression references,
// in order of appearance.
func ColumnsIn(n *pg_query.Node) []string {
	var out []string
	seen := map[string]bool{}
	Walk(n, func(m proto.Message) bool {
		if cr, ok := m.(*pg_query.ColumnRef); ok {
			if c := ColumnName(&pg_query.Node{Node: &pg_query.Node_ColumnRef{ColumnRef: cr}}); c != "" && !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
		return true
	})
	return out
}

// DefArgText renders the value of a DefElem as the catalog stores it.
func DefArgText(n *pg_query.Node) string {
	switch {
	case n == nil:
		return "true"
	case n.GetString_() != nil:
		return n.GetString_().GetSval()
	case n.GetInteger() != nil:
		return strconv.Itoa(int(n.GetInteger().GetIval()))
	case n.GetFloat() != nil:
		return n.GetFloat().GetFval()
	case n.GetBoolean() != nil:
		if n.GetBoolean().GetBoolval() {
			return "true"
		}
		return "false"
	case n.GetTypeName() != nil:
		_, name := TypeNameParts(n.GetTypeName())
		return name
	case n.GetAConst() != nil:
		return strings.Trim(ConstText(n.GetAConst(), ""), "'")
	}
	return exprText(n)
}

// IndexElemText renders an index column: the column name, or the
// expression text (isExpr).
func IndexElemText(p *ExprPrinter, ie *pg_query.IndexElem) (string, bool) {
	if ie.GetName() != "" {
		return ie.GetName(), false
	}
	return p.Print(ie.GetExpr(), "text"), true
}
