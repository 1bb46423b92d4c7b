package stmt

import (
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/aadvisor/aadvisor/inspect"
)

// analyzeJSON derives the facts of the statements workloads are made of
// (SELECT, INSERT, UPDATE, DELETE, MERGE, TRUNCATE, LOCK, COPY, CALL,
// LISTEN/NOTIFY, SET, transaction control) from libpg_query's JSON
// parse tree, with the same rules as the protobuf path (facts.go) and
// the same result: TestAnalyzeJSONSameAsTree and FuzzAnalyzeJSON hold
// the two to each other. ok is false for anything else (DDL, EXPLAIN,
// PREPARE, ON CONFLICT on an expression, parse errors, invalid UTF-8),
// which the protobuf path then handles.
func analyzeJSON(query string) (*inspect.StatementFacts, bool) {
	if !utf8.ValidString(query) || len(query) > 2*maxChain && chainLength(query) > maxChain {
		return nil, false
	}
	js, err := pgparser.ParseToJSON(query)
	if err != nil {
		return nil, false
	}
	t := jtrees.Get().(*jtree)
	defer jtrees.Put(t)
	root, ok := t.parse(js)
	if !ok {
		return nil, false
	}
	c := &jcollector{schema: jsonSchema()}
	stmts := root.get("stmts")
	for i := 0; i < stmts.len(); i++ {
		c.statement(stmts.at(i).get("stmt"))
		if c.fallback {
			return nil, false
		}
	}
	out := finishFacts(c.out, c.ctes)
	out.Internal = riCheck(out, c.catalogOp)
	return out, true
}

// jfield is what a message field holds, for walking JSON trees.
type jfield struct {
	kind childKind
	msg  string // message type of childMessage(s); "" for scalars
}

const childScalar childKind = 255

// jsonSchema maps each parse-tree message to its fields by JSON key (the
// proto name and the JSON name both), from the generated descriptors.
var jsonSchema = sync.OnceValue(func() map[string]map[string]jfield {
	out := map[string]map[string]jfield{}
	msgs := (&pg_query.ParseResult{}).ProtoReflect().Descriptor().ParentFile().Messages()
	for i := 0; i < msgs.Len(); i++ {
		md := msgs.Get(i)
		fields := map[string]jfield{}
		for j := 0; j < md.Fields().Len(); j++ {
			fd := md.Fields().Get(j)
			f := jfield{kind: childScalar}
			if fd.Kind() == protoreflect.MessageKind {
				node := fd.Message().FullName() == "pg_query.Node"
				switch {
				case node && fd.IsList():
					f.kind = childNodes
				case node:
					f.kind = childNode
				case fd.IsList():
					f.kind, f.msg = childMessages, string(fd.Message().Name())
				default:
					f.kind, f.msg = childMessage, string(fd.Message().Name())
				}
			}
			fields[string(fd.Name())] = f
			fields[fd.JSONName()] = f
		}
		out[string(md.Name())] = fields
	}
	return out
})

// jcollector is collector (facts.go) over JSON trees. Its sets are
// small: slices, not maps.
type jcollector struct {
	out       inspect.StatementFacts
	targets   []int32 // RangeVars written or locked, not read
	ctes      map[string]bool
	lockRank  int
	catalogOp bool // an operator qualified with pg_catalog (riCheck)
	schema    map[string]map[string]jfield
	// fallback is set for what this path does not handle; the query
	// then goes to the protobuf path.
	fallback bool
}

func (c *jcollector) target(rv jref) {
	if rv.ok() {
		c.targets = append(c.targets, rv.i)
	}
}

func (c *jcollector) isTarget(rv jref) bool {
	for _, t := range c.targets {
		if t == rv.i {
			return true
		}
	}
	return false
}

// walk calls fn for v, a message of type typ, and every message below
// it, depth first in field order, like walk in walk.go.
func (c *jcollector) walk(v jref, typ string, fn func(typ string, v jref) bool) {
	fields, ok := c.schema[typ]
	if !ok || v.kind() != jobj {
		c.fallback = true
		return
	}
	if !fn(typ, v) {
		return
	}
	for i := 0; i < v.len(); i++ {
		child := v.at(i)
		switch child.kind() {
		case jobj, jarr:
		default:
			continue // scalars hold no messages
		}
		f, ok := fields[child.key()]
		if !ok {
			c.fallback = true
			return
		}
		switch f.kind {
		case childNode:
			c.walkNode(child, fn)
		case childNodes:
			for j := 0; j < child.len(); j++ {
				c.walkNode(child.at(j), fn)
			}
		case childMessage:
			c.walk(child, f.msg, fn)
		case childMessages:
			for j := 0; j < child.len(); j++ {
				c.walk(child.at(j), f.msg, fn)
			}
		default:
			c.fallback = true // an object where the schema has a scalar
			return
		}
		if c.fallback {
			return
		}
	}
}

func (c *jcollector) walkNode(n jref, fn func(typ string, v jref) bool) {
	if typ, inner := n.node(); inner.ok() {
		c.walk(inner, typ, fn)
	} else if n.kind() != jobj || n.len() != 0 {
		c.fallback = true
	}
}

// statement walks one top-level statement.
func (c *jcollector) statement(n jref) {
	typ, inner := n.node()
	kind := ""
	switch typ {
	case "SelectStmt":
		if inner.get("intoClause").ok() {
			c.fallback = true // SELECT INTO is DDL
			return
		}
		kind = inspect.StmtSelect
	case "InsertStmt":
		kind = inspect.StmtInsert
	case "UpdateStmt":
		kind = inspect.StmtUpdate
	case "DeleteStmt":
		kind = inspect.StmtDelete
	case "MergeStmt":
		kind = inspect.StmtMerge
	case "TruncateStmt":
		kind = inspect.StmtTruncate
	case "LockStmt":
		kind = inspect.StmtLock
	case "ListenStmt", "UnlistenStmt":
		kind = inspect.StmtListen
	case "NotifyStmt":
		kind = inspect.StmtNotify
	case "TransactionStmt":
		kind = inspect.StmtTransaction
	case "VariableSetStmt", "VariableShowStmt":
		kind = inspect.StmtSet
	case "CopyStmt":
		kind = inspect.StmtCopy
	case "CallStmt":
		kind = inspect.StmtCall
	default:
		c.fallback = true
		return
	}
	if c.out.Kind == "" || c.out.Kind == inspect.StmtTransaction {
		c.out.Kind, c.out.DDLKind = kind, ""
	}
	if typ == "SelectStmt" {
		c.out.Selected = c.selectedColumns(inner, c.out.Selected)
	}
	c.walk(inner, typ, c.visit)
}

// selectedColumns is selectedColumns (facts.go) over JSON trees.
func (c *jcollector) selectedColumns(s jref, out []string) []string {
	if op := s.get("op").str(); op != "" && op != "SETOP_NONE" {
		return c.selectedColumns(s.get("rarg"), c.selectedColumns(s.get("larg"), out))
	}
	return c.refColumns(s.get("targetList"), out)
}

// refColumns is refColumns (facts.go) over JSON trees.
func (c *jcollector) refColumns(targets jref, out []string) []string {
	for i := 0; i < targets.len(); i++ {
		c.walkNode(targets.at(i), func(typ string, x jref) bool {
			switch typ {
			case "SelectStmt":
				return false
			case "ColumnRef":
				last := x.get("fields").last()
				switch t, in := last.node(); t {
				case "A_Star":
					out = appendUnique(out, "*")
				case "String":
					out = appendUnique(out, in.get("sval").text())
				}
				return false
			}
			return true
		})
	}
	return out
}

func (c *jcollector) visit(typ string, x jref) bool {
	switch typ {
	case "InsertStmt":
		w := c.write(x.get("relation"), inspect.StmtInsert)
		cols := x.get("cols")
		for i := 0; i < cols.len(); i++ {
			if name := cols.at(i).as("ResTarget").get("name").str(); !slices.Contains(w.Columns, name) {
				w.Columns = append(w.Columns, strings.Clone(name))
			}
		}
		w.Returning = c.refColumns(x.get("returningList"), w.Returning)
		if oc := x.get("onConflictClause"); oc.ok() {
			w.OnConflict = c.onConflict(oc)
			if oc.get("action").str() == "ONCONFLICT_UPDATE" {
				w.SetColumns, w.Increments = jAssignments(oc.get("targetList"), w.SetColumns, w.Increments)
			}
		}
	case "UpdateStmt":
		w := c.write(x.get("relation"), inspect.StmtUpdate)
		w.SetColumns, w.Increments = jAssignments(x.get("targetList"), w.SetColumns, w.Increments)
		w.Returning = c.refColumns(x.get("returningList"), w.Returning)
	case "DeleteStmt":
		w := c.write(x.get("relation"), inspect.StmtDelete)
		w.Returning = c.refColumns(x.get("returningList"), w.Returning)
	case "MergeStmt":
		w := c.write(x.get("relation"), inspect.StmtMerge)
		w.Returning = c.refColumns(x.get("returningList"), w.Returning)
		wcs := x.get("mergeWhenClauses")
		for i := 0; i < wcs.len(); i++ {
			mw := wcs.at(i).as("MergeWhenClause")
			if mw.get("commandType").str() == "CMD_UPDATE" {
				w.SetColumns, w.Increments = jAssignments(mw.get("targetList"), w.SetColumns, w.Increments)
			}
		}
	case "TruncateStmt":
		rels := x.get("relations")
		for i := 0; i < rels.len(); i++ {
			w := c.write(rels.at(i).as("RangeVar"), inspect.StmtTruncate)
			w.Cascade = w.Cascade || x.get("behavior").str() == "DROP_CASCADE"
			w.RestartIdentity = w.RestartIdentity || x.get("restart_seqs").boolean()
		}
	case "CopyStmt":
		if x.get("is_from").boolean() && x.get("relation").ok() {
			c.write(x.get("relation"), inspect.StmtInsert)
		}
	case "LockStmt":
		rels := x.get("relations")
		for i := 0; i < rels.len(); i++ {
			rv := rels.at(i).as("RangeVar")
			c.target(rv)
			c.out.LockTables = append(c.out.LockTables, jTableRef(rv))
		}
		c.out.LockMode = lockModes[int32(x.get("mode").int())]
	case "CommonTableExpr":
		if c.ctes == nil {
			c.ctes = map[string]bool{}
		}
		c.ctes[x.get("ctename").text()] = true
	case "RangeVar":
		if x.get("alias").get("aliasname").str() != "" {
			if ref := jTableRef(x); !slices.Contains(c.out.Aliased, ref) {
				c.out.Aliased = append(c.out.Aliased, ref)
			}
		}
		if !c.isTarget(x) {
			if ref := jTableRef(x); !slices.Contains(c.out.Reads, ref) {
				c.out.Reads = append(c.out.Reads, ref)
			}
		}
	case "SelectStmt":
		c.selectStmt(x)
	case "A_Expr":
		if n := x.get("name"); n.len() == 2 && n.at(0).sval() == "pg_catalog" {
			c.catalogOp = true
		}
	case "FuncCall":
		c.funcCall(x)
	case "ListenStmt":
		c.out.Listen = true
	case "NotifyStmt":
		c.out.Notify = true
	case "DefElem":
		if x.get("defname").str() == "transaction_isolation" && jIsSerializable(x.get("arg")) {
			c.out.Serializable = true
		}
	case "VariableSetStmt":
		switch strings.ToLower(x.get("name").str()) {
		case "default_transaction_isolation", "transaction_isolation":
			args := x.get("args")
			for i := 0; i < args.len(); i++ {
				if jIsSerializable(args.at(i)) {
					c.out.Serializable = true
				}
			}
		}
	case "ExplainStmt":
		c.fallback = true
		return false
	}
	return true
}

func jTableRef(rv jref) inspect.TableRef {
	return inspect.TableRef{Schema: rv.get("schemaname").text(), Name: rv.get("relname").text()}
}

func (c *jcollector) write(rv jref, op string) *inspect.TableWrite {
	if !rv.ok() {
		return &inspect.TableWrite{}
	}
	c.target(rv)
	ref := jTableRef(rv)
	for i := range c.out.Writes {
		if c.out.Writes[i].Table == ref && c.out.Writes[i].Op == op {
			return &c.out.Writes[i]
		}
	}
	c.out.Writes = append(c.out.Writes, inspect.TableWrite{Table: ref, Op: op})
	return &c.out.Writes[len(c.out.Writes)-1]
}

func (c *jcollector) onConflict(oc jref) *inspect.OnConflict {
	out := &inspect.OnConflict{Action: "nothing"}
	if oc.get("action").str() == "ONCONFLICT_UPDATE" {
		out.Action = "update"
	}
	if inf := oc.get("infer"); inf.ok() {
		out.Constraint = inf.get("conname").text()
		elems := inf.get("indexElems")
		for i := 0; i < elems.len(); i++ {
			name := elems.at(i).as("IndexElem").get("name").text()
			if name == "" {
				c.fallback = true // an expression: printed by the protobuf path
				return out
			}
			out.Columns = append(out.Columns, name)
		}
	}
	return out
}

func jAssignments(targets jref, set, inc []string) ([]string, []string) {
	for i := 0; i < targets.len(); i++ {
		rt := targets.at(i).as("ResTarget")
		if !rt.ok() {
			continue
		}
		name := rt.get("name").str()
		if !slices.Contains(set, name) {
			set = append(set, strings.Clone(name))
		}
		val := rt.get("val")
		if mar := val.as("MultiAssignRef"); mar.ok() {
			args := mar.get("source").as("RowExpr").get("args")
			i := mar.get("colno").int() - 1
			if i < 0 || i >= args.len() {
				continue
			}
			val = args.at(i)
		}
		if jIsIncrement(val, name) && !slices.Contains(inc, name) {
			inc = append(inc, strings.Clone(name))
		}
	}
	return set, inc
}

func jIsIncrement(e jref, col string) bool {
	a := e.as("A_Expr")
	names := a.get("name")
	if !a.ok() || a.get("kind").str() != "AEXPR_OP" || names.len() == 0 {
		return false
	}
	op := names.last().sval()
	if op != "+" && op != "-" {
		return false
	}
	if jIsSelf(a.get("lexpr"), col) || jIsIncrement(a.get("lexpr"), col) {
		return true
	}
	return op == "+" && (jIsSelf(a.get("rexpr"), col) || jIsIncrement(a.get("rexpr"), col))
}

func jIsSelf(n jref, col string) bool {
	if cr := n.as("ColumnRef"); cr.ok() {
		fields := cr.get("fields")
		l := fields.len()
		if l == 0 || fields.at(l-1).sval() != col {
			return false
		}
		return l == 1 || fields.at(l-2).sval() != "excluded"
	}
	if ce := n.as("CoalesceExpr"); ce.ok() {
		args := ce.get("args")
		return args.len() > 0 && jIsSelf(args.at(0), col)
	}
	if tc := n.as("TypeCast"); tc.ok() {
		return jIsSelf(tc.get("arg"), col)
	}
	return false
}

var rowLockNames = map[string]pg_query.LockClauseStrength{
	"LCS_FORKEYSHARE":    pg_query.LockClauseStrength_LCS_FORKEYSHARE,
	"LCS_FORSHARE":       pg_query.LockClauseStrength_LCS_FORSHARE,
	"LCS_FORNOKEYUPDATE": pg_query.LockClauseStrength_LCS_FORNOKEYUPDATE,
	"LCS_FORUPDATE":      pg_query.LockClauseStrength_LCS_FORUPDATE,
}

func (c *jcollector) selectStmt(s jref) {
	lcs := s.get("lockingClause")
	for i := 0; i < lcs.len(); i++ {
		lc := lcs.at(i).as("LockingClause")
		rels := lc.get("lockedRels")
		for j := 0; j < rels.len(); j++ {
			c.target(rels.at(j).as("RangeVar"))
		}
		if strength, ok := rowLockNames[lc.get("strength").str()]; ok {
			if l := rowLocks[strength]; l.rank > c.lockRank {
				c.lockRank, c.out.RowLock = l.rank, l.name
			}
		}
	}
	var exprs []jref
	tl := s.get("targetList")
	for i := 0; i < tl.len(); i++ {
		exprs = append(exprs, tl.at(i))
	}
	vls := s.get("valuesLists")
	for i := 0; i < vls.len(); i++ {
		items := vls.at(i).as("List").get("items")
		for j := 0; j < items.len(); j++ {
			exprs = append(exprs, items.at(j))
		}
	}
	for _, e := range exprs {
		c.walkNode(e, func(typ string, x jref) bool {
			switch typ {
			case "SelectStmt":
				return false
			case "A_Expr":
				if q := jMaxPlusOne(x, s); q != "" {
					c.out.MaxPlusOne = appendUnique(c.out.MaxPlusOne, q)
				}
			}
			return true
		})
	}
}

func jMaxPlusOne(a, s jref) string {
	if a.get("kind").str() != "AEXPR_OP" || a.get("name").last().sval() != "+" {
		return ""
	}
	for _, side := range []jref{a.get("lexpr"), a.get("rexpr")} {
		if sl := side.as("SubLink"); sl.ok() {
			sub := sl.get("subselect").as("SelectStmt")
			if tl := sub.get("targetList"); sub.ok() && tl.len() == 1 {
				if col := jMaxColumn(tl.at(0).as("ResTarget").get("val")); col.ok() {
					return jMaxTarget(col, sub)
				}
			}
			continue
		}
		if col := jMaxColumn(side); col.ok() {
			return jMaxTarget(col, s)
		}
	}
	return ""
}

func jMaxColumn(n jref) jref {
	if ce := n.as("CoalesceExpr"); ce.ok() {
		if args := ce.get("args"); args.len() > 0 {
			n = args.at(0)
		}
	}
	fc := n.as("FuncCall")
	if !fc.ok() {
		return jnil
	}
	args := fc.get("args")
	if _, name := jFuncNameParts(fc.get("funcname")); name != "max" || args.len() != 1 {
		return jnil
	}
	return args.at(0).as("ColumnRef")
}

func jMaxTarget(col, s jref) string {
	fields := col.get("fields")
	l := fields.len()
	if l == 0 {
		return ""
	}
	name := fields.at(l - 1).sval()
	qual := ""
	if l > 1 {
		qual = fields.at(l - 2).sval()
	}
	var rels []jref
	from := s.get("fromClause")
	for i := 0; i < from.len(); i++ {
		if rv := from.at(i).as("RangeVar"); rv.ok() {
			rels = append(rels, rv)
		}
	}
	for _, rv := range rels {
		relname := rv.get("relname").str()
		if qual == "" && len(rels) == 1 || qual != "" && (qual == relname || qual == rv.get("alias").get("aliasname").str()) {
			return inspect.QuoteQualified(rv.get("schemaname").str(), relname) + "." + inspect.QuoteIdent(name)
		}
	}
	return ""
}

func jFuncNameParts(names jref) (string, string) {
	switch l := names.len(); l {
	case 0:
		return "", ""
	case 1:
		return "", names.at(0).sval()
	default:
		return names.at(l - 2).sval(), names.at(l - 1).sval()
	}
}

func jStringArg(n jref) (string, bool) {
	if tc := n.as("TypeCast"); tc.ok() {
		n = tc.get("arg")
	}
	if c := n.as("A_Const"); c.ok() && c.get("sval").ok() {
		return c.get("sval").get("sval").str(), true
	}
	return "", false
}

func jIsSerializable(n jref) bool {
	s, ok := jStringArg(n)
	return ok && strings.EqualFold(strings.TrimSpace(s), "serializable")
}

func (c *jcollector) funcCall(fc jref) {
	_, name := jFuncNameParts(fc.get("funcname"))
	name = strings.ToLower(name)
	if !slices.Contains(c.out.Functions, name) {
		name = strings.Clone(name)
		c.out.Functions = append(c.out.Functions, name)
	}
	args := fc.get("args")
	first := ""
	if args.len() > 0 {
		first, _ = jStringArg(args.at(0))
	}
	switch {
	case strings.HasPrefix(name, "pg_advisory") || strings.HasPrefix(name, "pg_try_advisory"):
		c.out.AdvisoryLocks = appendUnique(c.out.AdvisoryLocks, strings.Clone(name))
	case name == "pg_notify":
		c.out.Notify = true
	case name == "nextval":
		c.out.Nextval = append(c.out.Nextval, strings.Clone(first))
	case name == "setval":
		c.out.Setval = append(c.out.Setval, strings.Clone(first))
	case strings.HasPrefix(name, "lo_") || name == "loread" || name == "lowrite":
		c.out.LargeObjects = true
	case name == "set_config" && args.len() >= 2:
		if k := strings.ToLower(first); (k == "default_transaction_isolation" || k == "transaction_isolation") && jIsSerializable(args.at(1)) {
			c.out.Serializable = true
		}
	}
}
