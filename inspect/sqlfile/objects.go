package sqlfile

import (
	"math"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
)

// createView reads CREATE VIEW and CREATE MATERIALIZED VIEW. Column types
// of a view need the planner, so views carry no columns offline.
func (r *schemaReader) createView(rv *pg_query.RangeVar, kind inspect.RelKind, query *pg_query.Node, replace bool) {
	if replace {
		if t := r.table(rv); t != nil {
			t.Definition = deparseStmt(query)
			return
		}
	}
	if t := r.newTable(rv, kind, false); t != nil {
		t.Definition = deparseStmt(query)
	}
}

// createTableAs reads CREATE MATERIALIZED VIEW and CREATE TABLE AS.
func (r *schemaReader) createTableAs(c *pg_query.CreateTableAsStmt) {
	into := c.GetInto()
	if c.GetObjtype() == pg_query.ObjectType_OBJECT_MATVIEW {
		if t := r.newTable(into.GetRel(), inspect.RelMatView, c.GetIfNotExists()); t != nil {
			t.Definition = deparseStmt(c.GetQuery())
			t.Options = relOptions(into.GetOptions())
		}
		return
	}
	if t := r.newTable(into.GetRel(), inspect.RelTable, c.GetIfNotExists()); t != nil {
		t.Options = relOptions(into.GetOptions())
	}
}

// deparseStmt renders a statement with the parser's deparser.
func deparseStmt(n *pg_query.Node) string {
	if n == nil {
		return ""
	}
	s, err := pg_query.Deparse(&pg_query.ParseResult{Stmts: []*pg_query.RawStmt{{Stmt: n}}})
	if err != nil {
		return ""
	}
	return s
}

// indexElemText renders an index column: the column name, or the
// expression text (isExpr).
func indexElemText(p *exprPrinter, ie *pg_query.IndexElem) (string, bool) {
	if ie.GetName() != "" {
		return ie.GetName(), false
	}
	return p.print(ie.GetExpr(), "text"), true
}

// figureIndexColname is the name PostgreSQL derives from an index
// expression when it names the index: the function or column name, else
// "expr".
func figureIndexColname(n *pg_query.Node) string {
	switch {
	case n.GetColumnRef() != nil:
		return columnName(n)
	case n.GetFuncCall() != nil:
		_, name := funcNameParts(n.GetFuncCall().GetFuncname())
		return name
	case n.GetTypeCast() != nil:
		if s := figureIndexColname(n.GetTypeCast().GetArg()); s != "expr" {
			return s
		}
		_, name := typeNameParts(n.GetTypeCast().GetTypeName())
		return name
	case n.GetCoalesceExpr() != nil:
		return "coalesce"
	case n.GetMinMaxExpr() != nil:
		if n.GetMinMaxExpr().GetOp() == pg_query.MinMaxOp_IS_LEAST {
			return "least"
		}
		return "greatest"
	case n.GetCollateClause() != nil:
		return figureIndexColname(n.GetCollateClause().GetArg())
	case n.GetAExpr() != nil && n.GetAExpr().GetKind() == pg_query.A_Expr_Kind_AEXPR_NULLIF:
		return "nullif"
	}
	return "expr"
}

// cookedColname is the name PostgreSQL derives for an index expression
// when it copies the index (LIKE ... INCLUDING INDEXES): only the node
// kinds that look the same before and after parse analysis are named.
func cookedColname(n *pg_query.Node) string {
	switch {
	case n.GetCoalesceExpr() != nil, n.GetMinMaxExpr() != nil:
		return figureIndexColname(n)
	case n.GetCaseExpr() != nil:
		return "case"
	}
	return "expr"
}

// createIndex reads CREATE [UNIQUE] INDEX, on partitioned tables also
// creating the partitions' indexes unless ONLY.
func (r *schemaReader) createIndex(is *pg_query.IndexStmt) {
	t := r.mustTable(is.GetRelation())
	if t == nil {
		return
	}
	p := r.printer(t)
	ix := &inspect.Index{Unique: is.GetUnique(), Valid: true, Method: "btree", Deferrable: is.GetDeferrable(), Pos: r.pos(is.GetRelation().GetLocation())}
	if m := is.GetAccessMethod(); m != "" {
		ix.Method = m
	}
	var nameCols, basis []string
	for _, e := range is.GetIndexParams() {
		ie := e.GetIndexElem()
		text, isExpr := indexElemText(p, ie)
		ix.Columns = append(ix.Columns, text)
		ix.Expression = ix.Expression || isExpr
		switch {
		case ie.GetIndexcolname() != "":
			nameCols = append(nameCols, ie.GetIndexcolname())
		case isExpr:
			nameCols = append(nameCols, figureIndexColname(ie.GetExpr()))
		default:
			nameCols = append(nameCols, text)
		}
		if isExpr {
			basis = append(basis, cookedColname(ie.GetExpr()))
		} else {
			basis = append(basis, text)
		}
	}
	if w := is.GetWhereClause(); w != nil {
		ix.Predicate = p.print(w, "text")
	}
	ix.Name = is.GetIdxname()
	if ix.Name != "" && r.relNames[qname{t.Schema, ix.Name}] {
		if !is.GetIfNotExists() {
			r.errorf(is.GetRelation().GetLocation(), "relation "+inspect.QuoteQualified(t.Schema, ix.Name)+" is defined twice")
		}
		return
	}
	if ix.Name == "" {
		ix.Name = chooseName(t.Name, nameAddition(nameCols), "idx", r.relTaken(t.Schema))
	}
	r.relNames[qname{t.Schema, ix.Name}] = true
	r.indexBasis[ix] = basis
	t.Indexes = append(t.Indexes, ix)
	if t.Kind == inspect.RelPartitioned && is.GetRelation().GetInh() {
		r.propagateIndex(t, ix)
	}
}

func (r *schemaReader) propagateIndex(t *inspect.Table, ix *inspect.Index) {
	for _, child := range r.partitions(t) {
		r.cloneIndex(t, child, ix)
		if child.Kind == inspect.RelPartitioned {
			r.propagateIndex(child, ix)
		}
	}
}

// seqSpec holds the options of CREATE/ALTER SEQUENCE or of an identity
// column; nil pointers are options not given.
type seqSpec struct {
	typ                         string
	inc, start, min, max, cache *int64
	noMin, noMax                bool
	cycle                       *bool
	ownedBy                     []string
	ownedNone                   bool
	name                        []string
	persistence                 inspect.Persistence
}

func seqOptions(opts []*pg_query.Node) seqSpec {
	var s seqSpec
	num := func(n *pg_query.Node) *int64 {
		var v int64
		switch {
		case n.GetInteger() != nil:
			v = int64(n.GetInteger().GetIval())
		case n.GetFloat() != nil:
			f, ok := parseInt(n.GetFloat().GetFval())
			if !ok {
				return nil
			}
			v = f
		default:
			return nil
		}
		return &v
	}
	for _, o := range opts {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "as":
			s.typ = formatType(d.GetArg().GetTypeName(), true)
		case "increment":
			s.inc = num(d.GetArg())
		case "start":
			s.start = num(d.GetArg())
		case "minvalue":
			if s.min = num(d.GetArg()); s.min == nil {
				s.noMin = true
			}
		case "maxvalue":
			if s.max = num(d.GetArg()); s.max == nil {
				s.noMax = true
			}
		case "cache":
			s.cache = num(d.GetArg())
		case "cycle":
			b := d.GetArg().GetBoolean().GetBoolval()
			s.cycle = &b
		case "owned_by":
			s.ownedBy = stringList(d.GetArg().GetList().GetItems())
			if len(s.ownedBy) == 1 && strings.EqualFold(s.ownedBy[0], "none") {
				s.ownedBy, s.ownedNone = nil, true
			}
		case "sequence_name":
			s.name = stringList(d.GetArg().GetList().GetItems())
		case "logged":
			s.persistence = inspect.Permanent
		case "unlogged":
			s.persistence = inspect.Unlogged
		}
	}
	return s
}

func parseInt(s string) (int64, bool) {
	var v int64
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' || v > (math.MaxInt64-9)/10 {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func typeBounds(typ string) (int64, int64) {
	switch typ {
	case "smallint":
		return math.MinInt16, math.MaxInt16
	case "integer":
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// apply sets the options on seq. With create, options not given take
// PostgreSQL's defaults (which depend on the type and the direction).
func (s seqSpec) apply(seq *inspect.Sequence, create bool) {
	oldLo, oldHi := typeBounds(seq.Type)
	if s.typ != "" {
		seq.Type = s.typ
	}
	if s.inc != nil {
		seq.Increment = *s.inc
	}
	if seq.Increment == 0 {
		seq.Increment = 1
	}
	lo, hi := typeBounds(seq.Type)
	switch {
	case s.min != nil:
		seq.Min = *s.min
	case create || s.noMin || (s.typ != "" && (seq.Min == oldLo || seq.Min == 1)):
		seq.Min = 1
		if seq.Increment < 0 {
			seq.Min = lo
		}
	}
	switch {
	case s.max != nil:
		seq.Max = *s.max
	case create || s.noMax || (s.typ != "" && (seq.Max == oldHi || seq.Max == -1)):
		seq.Max = hi
		if seq.Increment < 0 {
			seq.Max = -1
		}
	}
	switch {
	case s.start != nil:
		seq.Start = *s.start
	case create:
		seq.Start = seq.Min
		if seq.Increment < 0 {
			seq.Start = seq.Max
		}
	}
	if s.cache != nil {
		seq.Cache = *s.cache
	}
	if seq.Cache == 0 {
		seq.Cache = 1
	}
	if s.cycle != nil {
		seq.Cycle = *s.cycle
	}
	if s.persistence != "" {
		seq.Persistence = s.persistence
	}
}

// newSequence registers a sequence of the given type with default
// options.
func (r *schemaReader) newSequence(name qname, typ string, pos inspect.Position) *inspect.Sequence {
	seq := &inspect.Sequence{Schema: name.schema, Name: name.name, Type: typ, Persistence: inspect.Permanent, Pos: pos}
	seqSpec{}.apply(seq, true)
	r.sequences[name] = seq
	r.relNames[name] = true
	r.db.Sequences = append(r.db.Sequences, seq)
	return seq
}

func (r *schemaReader) createSequence(cs *pg_query.CreateSeqStmt) {
	rv := cs.GetSequence()
	name := qname{r.creationSchema(rv), rv.GetRelname()}
	if r.relNames[name] {
		if !cs.GetIfNotExists() {
			r.errorf(rv.GetLocation(), "relation "+inspect.QuoteQualified(name.schema, name.name)+" is defined twice")
		}
		return
	}
	spec := seqOptions(cs.GetOptions())
	typ := spec.typ
	if typ == "" {
		typ = "bigint"
	}
	seq := r.newSequence(name, typ, r.pos(rv.GetLocation()))
	seq.Persistence = persistence(rv.GetRelpersistence())
	spec.apply(seq, true)
	r.ownedBy(seq, spec)
}

func (r *schemaReader) alterSequence(as *pg_query.AlterSeqStmt) {
	seq := r.sequence(as.GetSequence())
	if seq == nil {
		if !as.GetMissingOk() {
			r.errorf(as.GetSequence().GetLocation(), "sequence "+rangeVarText(as.GetSequence())+" is not defined in the schema input")
		}
		return
	}
	spec := seqOptions(as.GetOptions())
	spec.apply(seq, false)
	r.ownedBy(seq, spec)
}

// ownedBy applies OWNED BY table.column (or NONE).
func (r *schemaReader) ownedBy(seq *inspect.Sequence, spec seqSpec) {
	switch {
	case spec.ownedNone:
		seq.OwnedBy = ""
	case len(spec.ownedBy) >= 2:
		names := spec.ownedBy
		rv := &pg_query.RangeVar{Relname: names[len(names)-2]}
		if len(names) >= 3 {
			rv.Schemaname = names[len(names)-3]
		}
		seq.OwnedBy = r.refName(rv) + "." + names[len(names)-1]
	}
}

// alterSequenceCmds applies ALTER TABLE/SEQUENCE commands that name a
// sequence: OWNER TO, SET LOGGED/UNLOGGED.
func (r *schemaReader) alterSequenceCmds(seq *inspect.Sequence, cmds []*pg_query.Node) {
	for _, n := range cmds {
		cmd := n.GetAlterTableCmd()
		switch cmd.GetSubtype() {
		case pg_query.AlterTableType_AT_ChangeOwner:
			r.addRole(cmd.GetNewowner().GetRolename())
		case pg_query.AlterTableType_AT_SetLogged:
			seq.Persistence = inspect.Permanent
		case pg_query.AlterTableType_AT_SetUnLogged:
			seq.Persistence = inspect.Unlogged
		}
	}
}

// Trigger type bits, as pg_trigger.tgtype.
const (
	tgRow      = 1 << 0
	tgBefore   = 1 << 1
	tgInsert   = 1 << 2
	tgDelete   = 1 << 3
	tgUpdate   = 1 << 4
	tgTruncate = 1 << 5
	tgInstead  = 1 << 6
)

func (r *schemaReader) createTrigger(ct *pg_query.CreateTrigStmt, loc int32) {
	t := r.mustTable(ct.GetRelation())
	if t == nil {
		return
	}
	tg := &inspect.Trigger{Name: ct.GetTrigname(), Enabled: inspect.TriggerOrigin, Timing: "after", Level: "statement",
		Function: r.functionName(ct.GetFuncname()), Constraint: ct.GetIsconstraint(), Pos: r.pos(loc)}
	switch {
	case ct.GetTiming()&tgBefore != 0:
		tg.Timing = "before"
	case ct.GetTiming()&tgInstead != 0:
		tg.Timing = "instead of"
	}
	if ct.GetRow() {
		tg.Level = "row"
	}
	for _, ev := range []struct {
		bit  int32
		name string
	}{{tgInsert, "insert"}, {tgDelete, "delete"}, {tgUpdate, "update"}, {tgTruncate, "truncate"}} {
		if ct.GetEvents()&ev.bit != 0 {
			tg.Events = append(tg.Events, ev.name)
		}
	}
	for i, have := range t.Triggers {
		if have.Name == tg.Name {
			if ct.GetReplace() {
				t.Triggers[i] = tg
			} else {
				r.errorf(loc, "trigger "+inspect.QuoteIdent(tg.Name)+" on "+t.QualifiedName()+" is defined twice")
			}
			return
		}
	}
	t.Triggers = append(t.Triggers, tg)
}

var ruleEvents = map[pg_query.CmdType]string{
	pg_query.CmdType_CMD_SELECT: "select", pg_query.CmdType_CMD_INSERT: "insert",
	pg_query.CmdType_CMD_UPDATE: "update", pg_query.CmdType_CMD_DELETE: "delete",
}

func (r *schemaReader) createRule(rs *pg_query.RuleStmt, loc int32) {
	t := r.mustTable(rs.GetRelation())
	if t == nil {
		return
	}
	if rs.GetRulename() == "_RETURN" && rs.GetEvent() == pg_query.CmdType_CMD_SELECT {
		// pg_dump turns a table into a view this way to break cycles.
		t.Kind, t.ReplicaIdentity = inspect.RelView, inspect.IdentityNothing
		if len(rs.GetActions()) == 1 {
			t.Definition = deparseStmt(rs.GetActions()[0])
		}
		return
	}
	rule := &inspect.Rule{Name: rs.GetRulename(), Event: ruleEvents[rs.GetEvent()], Instead: rs.GetInstead(), Pos: r.pos(loc)}
	for i, have := range t.Rules {
		if have.Name == rule.Name {
			t.Rules[i] = rule
			return
		}
	}
	t.Rules = append(t.Rules, rule)
}

func (r *schemaReader) createFunction(cf *pg_query.CreateFunctionStmt, loc int32) {
	schema, name := funcNameParts(cf.GetFuncname())
	if schema == "" {
		schema = r.creationSchema(&pg_query.RangeVar{})
	}
	f := &inspect.Function{Schema: schema, Name: name, Args: r.functionArgs(cf.GetParameters(), cf.GetIsProcedure()), Volatility: "volatile", Pos: r.pos(loc)}
	for _, o := range cf.GetOptions() {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "language":
			f.Language = strings.ToLower(d.GetArg().GetString_().GetSval())
		case "volatility":
			f.Volatility = d.GetArg().GetString_().GetSval()
		case "set":
			if v := d.GetArg().GetVariableSetStmt(); v != nil {
				f.Config = append(f.Config, configText(v))
			}
		case "as":
			if items := d.GetArg().GetList().GetItems(); len(items) > 0 {
				f.Body = items[0].GetString_().GetSval()
			}
		}
	}
	if f.Body == "" && cf.GetSqlBody() != nil {
		f.Body = sqlBody(r.rw.text)
	}
	key := f.Schema + "." + f.Name + "(" + f.Args + ")"
	if have := r.functions[key]; have != nil {
		*have = *f
		return
	}
	r.functions[key] = f
	r.db.Functions = append(r.db.Functions, f)
}

// sqlBody returns the SQL-standard body of CREATE FUNCTION/PROCEDURE as
// written, from BEGIN ATOMIC or RETURN to the end (a dump's text is what
// pg_get_function_sqlbody prints).
func sqlBody(stmt string) string {
	toks := sqlTokens(stmt)
	depth := 0
	for i, t := range toks {
		switch {
		case t.text == "(":
			depth++
		case t.text == ")":
			depth--
		case depth == 0 && t.is("begin") && i+1 < len(toks) && toks[i+1].is("atomic"),
			depth == 0 && t.is("return"):
			return strings.TrimSpace(stmt[t.start:])
		}
	}
	return ""
}

// functionArgs renders the arguments as pg_get_function_identity_arguments
// does: "a integer, VARIADIC b text[]"; OUT arguments are left out of a
// function's, and a procedure's spell out IN and OUT.
func (r *schemaReader) functionArgs(params []*pg_query.Node, procedure bool) string {
	var parts []string
	for _, n := range params {
		fp := n.GetFunctionParameter()
		prefix := ""
		switch fp.GetMode() {
		case pg_query.FunctionParameterMode_FUNC_PARAM_TABLE:
			continue
		case pg_query.FunctionParameterMode_FUNC_PARAM_OUT:
			if !procedure {
				continue
			}
			prefix = "OUT "
		case pg_query.FunctionParameterMode_FUNC_PARAM_IN, pg_query.FunctionParameterMode_FUNC_PARAM_DEFAULT:
			if procedure {
				prefix = "IN "
			}
		case pg_query.FunctionParameterMode_FUNC_PARAM_INOUT:
			prefix = "INOUT "
		case pg_query.FunctionParameterMode_FUNC_PARAM_VARIADIC:
			prefix = "VARIADIC "
		}
		if fp.GetName() != "" {
			prefix += inspect.QuoteIdent(fp.GetName()) + " "
		}
		parts = append(parts, prefix+r.typeName(fp.GetArgType()))
	}
	return strings.Join(parts, ", ")
}

// configText renders a SET clause of a function as proconfig stores it:
// "search_path=public, pg_temp".
func configText(v *pg_query.VariableSetStmt) string {
	var vals []string
	for _, a := range v.GetArgs() {
		s, ok := stringArg(a)
		if !ok {
			s = defArgText(a)
		}
		if strings.EqualFold(v.GetName(), "search_path") {
			for _, part := range splitSearchPath(s) {
				vals = append(vals, inspect.QuoteIdent(part))
			}
			if s == "" {
				vals = append(vals, `""`)
			}
			continue
		}
		vals = append(vals, s)
	}
	return strings.ToLower(v.GetName()) + "=" + strings.Join(vals, ", ")
}

var eventTriggerModes = map[string]string{
	"O": inspect.TriggerOrigin, "R": inspect.TriggerReplica, "A": inspect.TriggerAlways, "D": inspect.TriggerDisabled,
}

func (r *schemaReader) createEventTrigger(ce *pg_query.CreateEventTrigStmt, loc int32) {
	r.db.EventTriggers = append(r.db.EventTriggers, &inspect.EventTrigger{
		Name: ce.GetTrigname(), Event: ce.GetEventname(), Enabled: inspect.TriggerOrigin,
		Function: r.functionName(ce.GetFuncname()), Pos: r.pos(loc),
	})
}

func (r *schemaReader) alterEventTrigger(ae *pg_query.AlterEventTrigStmt) {
	for _, et := range r.db.EventTriggers {
		if et.Name == ae.GetTrigname() {
			if mode, ok := eventTriggerModes[ae.GetTgenabled()]; ok {
				et.Enabled = mode
			}
		}
	}
}

func (r *schemaReader) createExtension(ce *pg_query.CreateExtensionStmt, loc int32) {
	ext := inspect.Extension{Name: ce.GetExtname(), Pos: r.pos(loc)}
	for _, o := range ce.GetOptions() {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "schema":
			ext.Schema = d.GetArg().GetString_().GetSval()
		case "new_version":
			ext.Version = defArgText(d.GetArg())
		}
	}
	if r.db.HasExtension(ext.Name) {
		return
	}
	r.db.Extensions = append(r.db.Extensions, ext)
}
