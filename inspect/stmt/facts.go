package stmt

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/aadvisor/aadvisor/inspect"
)

// AnalyzeQuery parses one query text (several statements are allowed;
// $1 placeholders are fine) and returns what its parse tree says. The
// error of a text that does not parse gives the parser's message and the
// character position.
func AnalyzeQuery(query string) (*inspect.StatementFacts, error) {
	if f, ok := analyzeJSON(query); ok {
		return f, nil
	}
	return analyzeTree(query)
}

// analyzeTree is AnalyzeQuery over the protobuf parse tree: the
// reference, and the path for everything analyzeJSON leaves alone.
func analyzeTree(query string) (*inspect.StatementFacts, error) {
	buf, err := parseProtobuf(query)
	return analyzeParsed(query, buf, err)
}

// analyzeParsed derives the facts of a query from the C parser's output.
func analyzeParsed(query string, buf []byte, err error) (*inspect.StatementFacts, error) {
	var tree *pg_query.ParseResult
	if err == nil {
		tree, err = decodeTree(buf)
	}
	if err != nil {
		off, msg := ParseErrorOffset(query, err)
		if off > 0 {
			return nil, fmt.Errorf("%s (at character %d)", msg, len([]rune(query[:off]))+1)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	c := newCollector()
	for _, raw := range tree.GetStmts() {
		c.statement(raw.GetStmt())
	}
	return c.result(), nil
}

// Analyze fills Facts, or ParseError, of each statement. Each distinct
// text is parsed once, and the work is spread over the available CPUs.
func Analyze(stmts []*inspect.Statement) {
	first := make(map[string]int, len(stmts)) // text -> index of its first statement
	var unique []int
	for i, s := range stmts {
		if s == nil {
			continue
		}
		if _, ok := first[s.Query]; !ok {
			first[s.Query] = i
			unique = append(unique, i)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(unique)/64+1)
	var wg sync.WaitGroup
	next := make(chan int, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := stmts[i]
				facts, err := AnalyzeQuery(s.Query)
				s.Facts, s.ParseError = facts, ""
				if err != nil {
					s.ParseError = err.Error()
				}
			}
		}()
	}
	for _, i := range unique {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, s := range stmts {
		if s == nil {
			continue
		}
		if src := stmts[first[s.Query]]; src != s {
			s.ParseError, s.Facts = src.ParseError, nil
			if src.Facts != nil {
				f := *src.Facts
				s.Facts = &f
			}
		}
	}
}

// collector gathers facts while walking one statement's parse tree.
type collector struct {
	out       inspect.StatementFacts
	targets   map[*pg_query.RangeVar]bool // written or locked, not read
	ctes      map[string]bool
	functions map[string]bool
	reads     map[inspect.TableRef]bool
	lockRank  int
	catalogOp bool // an operator qualified with pg_catalog (riCheck)
}

// riCheck reports whether facts are those of a foreign-key check of
// PostgreSQL's own (ri_triggers.c): SELECT 1 FROM [ONLY] t x WHERE col
// OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x; catalogOp says an operator
// was qualified with pg_catalog. Its cascades (DELETE FROM ONLY ...,
// UPDATE ONLY ...) are real writes the application's deletes cause, and
// stay.
func riCheck(f *inspect.StatementFacts, catalogOp bool) bool {
	return catalogOp && f.Kind == inspect.StmtSelect && f.RowLock == "for key share" && len(f.Writes) == 0
}

func newCollector() *collector {
	return &collector{targets: map[*pg_query.RangeVar]bool{}, ctes: map[string]bool{},
		functions: map[string]bool{}, reads: map[inspect.TableRef]bool{}}
}

func (c *collector) result() *inspect.StatementFacts {
	out := finishFacts(c.out, c.ctes)
	out.Internal = riCheck(out, c.catalogOp)
	return out
}

// finishFacts settles the kind and drops reads of CTEs.
func finishFacts(out inspect.StatementFacts, ctes map[string]bool) *inspect.StatementFacts {
	if out.Kind == "" {
		out.Kind = inspect.StmtOther
	}
	out.Reads = dropCTEs(out.Reads, ctes)
	out.Aliased = dropCTEs(out.Aliased, ctes)
	return &out
}

// dropCTEs leaves out the names of CTEs.
func dropCTEs(refs []inspect.TableRef, ctes map[string]bool) []inspect.TableRef {
	var out []inspect.TableRef
	for _, r := range refs {
		if r.Schema == "" && ctes[r.Name] {
			continue
		}
		out = append(out, r)
	}
	return out
}

// statement walks one top-level statement.
func (c *collector) statement(n *pg_query.Node) {
	kind, tag := statementKind(n)
	if c.out.Kind == "" || c.out.Kind == inspect.StmtTransaction {
		c.out.Kind, c.out.DDLKind = kind, tag
	}
	if kind == inspect.StmtDDL {
		// DDL runs none of the queries it holds (a rule's actions, a view's
		// query); only settings it makes count (ALTER DATABASE ... SET).
		Walk(n, c.visitSettings)
		return
	}
	if sel := n.GetSelectStmt(); sel != nil {
		c.out.Selected = selectedColumns(sel, c.out.Selected)
	}
	Walk(n, c.visit)
}

// selectedColumns adds the columns a SELECT list reads (both arms of a
// UNION) to out.
func selectedColumns(s *pg_query.SelectStmt, out []string) []string {
	if s.GetOp() != pg_query.SetOperation_SETOP_NONE {
		return selectedColumns(s.GetRarg(), selectedColumns(s.GetLarg(), out))
	}
	return refColumns(s.GetTargetList(), out)
}

// refColumns adds the columns that target-list entries read (col,
// t.col, col - 1, "*" for t.* and *) to out, not looking into
// sub-selects.
func refColumns(targets []*pg_query.Node, out []string) []string {
	for _, t := range targets {
		Walk(t, func(m proto.Message) bool {
			switch x := m.(type) {
			case *pg_query.SelectStmt:
				return false
			case *pg_query.ColumnRef:
				fields := x.GetFields()
				if len(fields) == 0 {
					return false
				}
				last := fields[len(fields)-1]
				switch {
				case last.GetAStar() != nil:
					out = appendUnique(out, "*")
				case last.GetString_() != nil:
					out = appendUnique(out, last.GetString_().GetSval())
				}
				return false
			}
			return true
		})
	}
	return out
}

func (c *collector) visitSettings(m proto.Message) bool {
	switch m.(type) {
	case *pg_query.DefElem, *pg_query.VariableSetStmt:
		c.visit(m)
	}
	return true
}

func (c *collector) visit(m proto.Message) bool {
	switch x := m.(type) {
	case *pg_query.InsertStmt:
		w := c.write(x.GetRelation(), inspect.StmtInsert)
		for _, col := range x.GetCols() {
			w.Columns = appendUnique(w.Columns, col.GetResTarget().GetName())
		}
		w.Returning = refColumns(x.GetReturningList(), w.Returning)
		if oc := x.GetOnConflictClause(); oc != nil {
			w.OnConflict = onConflict(oc)
			if oc.GetAction() == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
				w.SetColumns, w.Increments = assignments(oc.GetTargetList(), w.SetColumns, w.Increments)
			}
		}
	case *pg_query.UpdateStmt:
		w := c.write(x.GetRelation(), inspect.StmtUpdate)
		w.SetColumns, w.Increments = assignments(x.GetTargetList(), w.SetColumns, w.Increments)
		w.Returning = refColumns(x.GetReturningList(), w.Returning)
	case *pg_query.DeleteStmt:
		w := c.write(x.GetRelation(), inspect.StmtDelete)
		w.Returning = refColumns(x.GetReturningList(), w.Returning)
	case *pg_query.MergeStmt:
		w := c.write(x.GetRelation(), inspect.StmtMerge)
		w.Returning = refColumns(x.GetReturningList(), w.Returning)
		for _, wc := range x.GetMergeWhenClauses() {
			if mw := wc.GetMergeWhenClause(); mw.GetCommandType() == pg_query.CmdType_CMD_UPDATE {
				w.SetColumns, w.Increments = assignments(mw.GetTargetList(), w.SetColumns, w.Increments)
			}
		}
	case *pg_query.TruncateStmt:
		for _, rel := range x.GetRelations() {
			w := c.write(rel.GetRangeVar(), inspect.StmtTruncate)
			w.Cascade = w.Cascade || x.GetBehavior() == pg_query.DropBehavior_DROP_CASCADE
			w.RestartIdentity = w.RestartIdentity || x.GetRestartSeqs()
		}
	case *pg_query.CopyStmt:
		if x.GetIsFrom() && x.GetRelation() != nil {
			c.write(x.GetRelation(), inspect.StmtInsert)
		}
	case *pg_query.LockStmt:
		for _, rel := range x.GetRelations() {
			rv := rel.GetRangeVar()
			c.targets[rv] = true
			c.out.LockTables = append(c.out.LockTables, tableRef(rv))
		}
		c.out.LockMode = lockModes[x.GetMode()]
	case *pg_query.CommonTableExpr:
		c.ctes[x.GetCtename()] = true
	case *pg_query.RangeVar:
		if x.GetAlias().GetAliasname() != "" {
			if ref := tableRef(x); !slices.Contains(c.out.Aliased, ref) {
				c.out.Aliased = append(c.out.Aliased, ref)
			}
		}
		if !c.targets[x] {
			ref := tableRef(x)
			if !c.reads[ref] {
				c.reads[ref] = true
				c.out.Reads = append(c.out.Reads, ref)
			}
		}
	case *pg_query.SelectStmt:
		c.selectStmt(x)
	case *pg_query.A_Expr:
		if n := x.GetName(); len(n) == 2 && n[0].GetString_().GetSval() == "pg_catalog" {
			c.catalogOp = true
		}
	case *pg_query.FuncCall:
		c.funcCall(x)
	case *pg_query.ListenStmt:
		c.out.Listen = true
	case *pg_query.NotifyStmt:
		c.out.Notify = true
	case *pg_query.DefElem:
		if x.GetDefname() == "transaction_isolation" && isSerializable(x.GetArg()) {
			c.out.Serializable = true
		}
	case *pg_query.VariableSetStmt:
		switch strings.ToLower(x.GetName()) {
		case "default_transaction_isolation", "transaction_isolation":
			for _, a := range x.GetArgs() {
				if isSerializable(a) {
					c.out.Serializable = true
				}
			}
		}
	case *pg_query.ExplainStmt:
		// Plain EXPLAIN plans without running; EXPLAIN ANALYZE runs.
		for _, o := range x.GetOptions() {
			if o.GetDefElem().GetDefname() == "analyze" && DefArgText(o.GetDefElem().GetArg()) != "false" {
				return true
			}
		}
		return false
	}
	return true
}

func isSerializable(n *pg_query.Node) bool {
	s, ok := StringArg(n)
	return ok && strings.EqualFold(strings.TrimSpace(s), "serializable")
}

func tableRef(rv *pg_query.RangeVar) inspect.TableRef {
	return inspect.TableRef{Schema: rv.GetSchemaname(), Name: rv.GetRelname()}
}

// write records a write to rv (merging repeated writes of one kind to one
// table) and returns it.
func (c *collector) write(rv *pg_query.RangeVar, op string) *inspect.TableWrite {
	if rv == nil {
		return &inspect.TableWrite{}
	}
	c.targets[rv] = true
	ref := tableRef(rv)
	for i := range c.out.Writes {
		if c.out.Writes[i].Table == ref && c.out.Writes[i].Op == op {
			return &c.out.Writes[i]
		}
	}
	c.out.Writes = append(c.out.Writes, inspect.TableWrite{Table: ref, Op: op})
	return &c.out.Writes[len(c.out.Writes)-1]
}

func onConflict(oc *pg_query.OnConflictClause) *inspect.OnConflict {
	out := &inspect.OnConflict{Action: "nothing"}
	if oc.GetAction() == pg_query.OnConflictAction_ONCONFLICT_UPDATE {
		out.Action = "update"
	}
	if inf := oc.GetInfer(); inf != nil {
		out.Constraint = inf.GetConname()
		for _, e := range inf.GetIndexElems() {
			text, _ := IndexElemText(&ExprPrinter{}, e.GetIndexElem())
			out.Columns = append(out.Columns, text)
		}
	}
	return out
}

// assignments adds the columns a SET list assigns, and those assigned
// from themselves (x = x + 1), to set and inc.
func assignments(targets []*pg_query.Node, set, inc []string) ([]string, []string) {
	for _, t := range targets {
		rt := t.GetResTarget()
		if rt == nil {
			continue
		}
		name := rt.GetName()
		set = appendUnique(set, name)
		val := rt.GetVal()
		if mar := val.GetMultiAssignRef(); mar != nil {
			args := mar.GetSource().GetRowExpr().GetArgs()
			i := int(mar.GetColno()) - 1
			if i < 0 || i >= len(args) {
				continue
			}
			val = args[i]
		}
		if isIncrement(val, name) {
			inc = appendUnique(inc, name)
		}
	}
	return set, inc
}

// isIncrement reports whether e computes column col from itself by
// adding or subtracting: col + 1, col - $1, 1 + col, coalesce(col, 0) + 1,
// t.col + excluded.col.
func isIncrement(e *pg_query.Node, col string) bool {
	a := e.GetAExpr()
	if a == nil || a.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || len(a.GetName()) == 0 {
		return false
	}
	op := a.GetName()[len(a.GetName())-1].GetString_().GetSval()
	if op != "+" && op != "-" {
		return false
	}
	if isSelf(a.GetLexpr(), col) || isIncrement(a.GetLexpr(), col) {
		return true
	}
	return op == "+" && (isSelf(a.GetRexpr(), col) || isIncrement(a.GetRexpr(), col))
}

// isSelf reports whether n is the column col itself (not excluded.col),
// possibly inside coalesce() or a cast.
func isSelf(n *pg_query.Node, col string) bool {
	switch {
	case n.GetColumnRef() != nil:
		fields := n.GetColumnRef().GetFields()
		if len(fields) == 0 || fields[len(fields)-1].GetString_().GetSval() != col {
			return false
		}
		return len(fields) == 1 || fields[len(fields)-2].GetString_().GetSval() != "excluded"
	case n.GetCoalesceExpr() != nil:
		args := n.GetCoalesceExpr().GetArgs()
		return len(args) > 0 && isSelf(args[0], col)
	case n.GetTypeCast() != nil:
		return isSelf(n.GetTypeCast().GetArg(), col)
	}
	return false
}

func appendUnique(list []string, s string) []string {
	for _, have := range list {
		if have == s {
			return list
		}
	}
	return append(list, s)
}

var rowLocks = map[pg_query.LockClauseStrength]struct {
	rank int
	name string
}{
	pg_query.LockClauseStrength_LCS_FORKEYSHARE:    {1, "for key share"},
	pg_query.LockClauseStrength_LCS_FORSHARE:       {2, "for share"},
	pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE: {3, "for no key update"},
	pg_query.LockClauseStrength_LCS_FORUPDATE:      {4, "for update"},
}

var lockModes = map[int32]string{
	1: "access share", 2: "row share", 3: "row exclusive", 4: "share update exclusive",
	5: "share", 6: "share row exclusive", 7: "exclusive", 8: "access exclusive",
}

func (c *collector) selectStmt(s *pg_query.SelectStmt) {
	for _, lc := range s.GetLockingClause() {
		for _, rel := range lc.GetLockingClause().GetLockedRels() {
			c.targets[rel.GetRangeVar()] = true
		}
		if l, ok := rowLocks[lc.GetLockingClause().GetStrength()]; ok && l.rank > c.lockRank {
			c.lockRank, c.out.RowLock = l.rank, l.name
		}
	}
	exprs := append([]*pg_query.Node(nil), s.GetTargetList()...)
	for _, vl := range s.GetValuesLists() {
		exprs = append(exprs, vl.GetList().GetItems()...)
	}
	for _, e := range exprs {
		Walk(e, func(m proto.Message) bool {
			switch x := m.(type) {
			case *pg_query.SelectStmt:
				return false
			case *pg_query.A_Expr:
				if q := maxPlusOne(x, s); q != "" {
					c.out.MaxPlusOne = appendUnique(c.out.MaxPlusOne, q)
				}
			}
			return true
		})
	}
}

// maxPlusOne recognises max(col) + 1 and coalesce(max(col), 0) + 1, or
// (SELECT max(col) FROM t) + 1, and returns the table's column.
func maxPlusOne(a *pg_query.A_Expr, s *pg_query.SelectStmt) string {
	if a.GetKind() != pg_query.A_Expr_Kind_AEXPR_OP || len(a.GetName()) == 0 ||
		a.GetName()[len(a.GetName())-1].GetString_().GetSval() != "+" {
		return ""
	}
	for _, side := range []*pg_query.Node{a.GetLexpr(), a.GetRexpr()} {
		if sl := side.GetSubLink(); sl != nil {
			sub := sl.GetSubselect().GetSelectStmt()
			if sub != nil && len(sub.GetTargetList()) == 1 {
				if col := maxColumn(sub.GetTargetList()[0].GetResTarget().GetVal()); col != nil {
					return maxTarget(col, sub)
				}
			}
			continue
		}
		if col := maxColumn(side); col != nil {
			return maxTarget(col, s)
		}
	}
	return ""
}

// maxColumn returns the column of max(col) or coalesce(max(col), ...).
func maxColumn(n *pg_query.Node) *pg_query.ColumnRef {
	if ce := n.GetCoalesceExpr(); ce != nil && len(ce.GetArgs()) > 0 {
		n = ce.GetArgs()[0]
	}
	fc := n.GetFuncCall()
	if fc == nil {
		return nil
	}
	if _, name := FuncNameParts(fc.GetFuncname()); name != "max" || len(fc.GetArgs()) != 1 {
		return nil
	}
	return fc.GetArgs()[0].GetColumnRef()
}

// maxTarget names "table.column" ("schema.table.column" when the schema
// is written; quoted where needed) for a column of select s's FROM list.
func maxTarget(col *pg_query.ColumnRef, s *pg_query.SelectStmt) string {
	fields := col.GetFields()
	if len(fields) == 0 {
		return ""
	}
	name := fields[len(fields)-1].GetString_().GetSval()
	qual := ""
	if len(fields) > 1 {
		qual = fields[len(fields)-2].GetString_().GetSval()
	}
	var rels []*pg_query.RangeVar
	for _, f := range s.GetFromClause() {
		if rv := f.GetRangeVar(); rv != nil {
			rels = append(rels, rv)
		}
	}
	for _, rv := range rels {
		if qual == "" && len(rels) == 1 || qual != "" && (qual == rv.GetRelname() || qual == rv.GetAlias().GetAliasname()) {
			return inspect.QuoteQualified(rv.GetSchemaname(), rv.GetRelname()) + "." + inspect.QuoteIdent(name)
		}
	}
	return ""
}

func (c *collector) funcCall(fc *pg_query.FuncCall) {
	_, name := FuncNameParts(fc.GetFuncname())
	name = strings.ToLower(name)
	if !c.functions[name] {
		c.functions[name] = true
		c.out.Functions = append(c.out.Functions, name)
	}
	args := fc.GetArgs()
	first := ""
	if len(args) > 0 {
		first, _ = StringArg(args[0])
	}
	switch {
	case strings.HasPrefix(name, "pg_advisory") || strings.HasPrefix(name, "pg_try_advisory"):
		c.out.AdvisoryLocks = appendUnique(c.out.AdvisoryLocks, name)
	case name == "pg_notify":
		c.out.Notify = true
	case name == "nextval":
		c.out.Nextval = append(c.out.Nextval, first)
	case name == "setval":
		c.out.Setval = append(c.out.Setval, first)
	case strings.HasPrefix(name, "lo_") || name == "loread" || name == "lowrite":
		c.out.LargeObjects = true
	case name == "set_config" && len(args) >= 2:
		if k := strings.ToLower(first); (k == "default_transaction_isolation" || k == "transaction_isolation") && isSerializable(args[1]) {
			c.out.Serializable = true
		}
	}
}

// statementKind classifies a top-level statement; tag is the command tag
// of a DDL statement ("ALTER TABLE").
func statementKind(n *pg_query.Node) (kind, tag string) {
	switch x := n.GetNode().(type) {
	case *pg_query.Node_SelectStmt:
		if x.SelectStmt.GetIntoClause() != nil {
			return inspect.StmtDDL, "SELECT INTO"
		}
		return inspect.StmtSelect, ""
	case *pg_query.Node_InsertStmt:
		return inspect.StmtInsert, ""
	case *pg_query.Node_UpdateStmt:
		return inspect.StmtUpdate, ""
	case *pg_query.Node_DeleteStmt:
		return inspect.StmtDelete, ""
	case *pg_query.Node_MergeStmt:
		return inspect.StmtMerge, ""
	case *pg_query.Node_TruncateStmt:
		return inspect.StmtTruncate, ""
	case *pg_query.Node_LockStmt:
		return inspect.StmtLock, ""
	case *pg_query.Node_ListenStmt, *pg_query.Node_UnlistenStmt:
		return inspect.StmtListen, ""
	case *pg_query.Node_NotifyStmt:
		return inspect.StmtNotify, ""
	case *pg_query.Node_TransactionStmt:
		return inspect.StmtTransaction, ""
	case *pg_query.Node_VariableSetStmt, *pg_query.Node_VariableShowStmt:
		return inspect.StmtSet, ""
	case *pg_query.Node_CopyStmt:
		return inspect.StmtCopy, ""
	case *pg_query.Node_CallStmt:
		return inspect.StmtCall, ""
	case *pg_query.Node_PrepareStmt:
		return statementKind(x.PrepareStmt.GetQuery())
	case *pg_query.Node_ExplainStmt, *pg_query.Node_ExecuteStmt, *pg_query.Node_DoStmt, *pg_query.Node_VacuumStmt,
		*pg_query.Node_DeallocateStmt, *pg_query.Node_DiscardStmt, *pg_query.Node_CheckPointStmt, *pg_query.Node_ClusterStmt,
		*pg_query.Node_LoadStmt, *pg_query.Node_DeclareCursorStmt, *pg_query.Node_FetchStmt, *pg_query.Node_ClosePortalStmt,
		*pg_query.Node_ConstraintsSetStmt:
		return inspect.StmtOther, ""
	case nil:
		return inspect.StmtOther, ""
	}
	return inspect.StmtDDL, ddlTag(n)
}
