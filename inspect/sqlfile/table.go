package sqlfile

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// conSpec is a constraint waiting to be added: table constraints and the
// constraints written in a column definition (cols names that column).
type conSpec struct {
	c    *pg_query.Constraint
	cols []string
}

func persistence(p string) inspect.Persistence {
	switch p {
	case "u":
		return inspect.Unlogged
	case "t":
		return inspect.Temporary
	}
	return inspect.Permanent
}

// newTable registers a relation. It returns nil when the name is taken,
// recording an error unless ifNotExists.
func (r *schemaReader) newTable(rv *pg_query.RangeVar, kind inspect.RelKind, ifNotExists bool) *inspect.Table {
	schema := r.creationSchema(rv)
	key := qname{schema, rv.GetRelname()}
	if r.tables[key] != nil || r.relNames[key] {
		if !ifNotExists {
			r.errorf(rv.GetLocation(), "relation "+inspect.QuoteQualified(schema, rv.GetRelname())+" is defined twice")
		}
		return nil
	}
	t := &inspect.Table{
		Schema: schema, Name: rv.GetRelname(), Kind: kind,
		Persistence: persistence(rv.GetRelpersistence()), ReplicaIdentity: inspect.IdentityDefault,
		ToastBytes: -1, Pos: r.pos(rv.GetLocation()),
	}
	if kind == inspect.RelView || kind == inspect.RelForeign {
		// Only tables and materialized views have a replica identity.
		t.ReplicaIdentity = inspect.IdentityNothing
	}
	r.tables[key] = t
	r.relNames[key] = true
	r.db.Tables = append(r.db.Tables, t)
	return t
}

// createTable reads CREATE [FOREIGN] TABLE, PARTITION OF and INHERITS.
func (r *schemaReader) createTable(cs *pg_query.CreateStmt, kind inspect.RelKind) {
	if kind == "" {
		kind = inspect.RelTable
		if cs.GetPartspec() != nil {
			kind = inspect.RelPartitioned
		}
	}
	t := r.newTable(cs.GetRelation(), kind, cs.GetIfNotExists())
	if t == nil {
		return
	}
	var parents []*inspect.Table
	for _, inh := range cs.GetInhRelations() {
		rv := inh.GetRangeVar()
		parent := r.mustTable(rv)
		if cs.GetPartbound() != nil {
			t.PartitionOf = r.refName(rv)
		} else {
			t.Inherits = append(t.Inherits, r.refName(rv))
		}
		if parent != nil {
			parents = append(parents, parent)
		}
	}
	for _, p := range parents {
		inheritColumns(t, p)
	}
	t.Options = append(t.Options, relOptions(cs.GetOptions())...)

	var cons []conSpec
	var likes []*pg_query.TableLikeClause
	elts := cs.GetTableElts()
	for i, e := range elts {
		switch {
		case e.GetColumnDef() != nil:
			next := int32(-1)
			if i+1 < len(elts) {
				next = nodeLocation(elts[i+1])
			}
			r.columnDef(t, e.GetColumnDef(), next, &cons)
		case e.GetConstraint() != nil:
			cons = append(cons, conSpec{c: e.GetConstraint()})
		case e.GetTableLikeClause() != nil:
			r.likeColumns(t, e.GetTableLikeClause())
			likes = append(likes, e.GetTableLikeClause())
		}
	}
	for _, c := range cs.GetConstraints() {
		cons = append(cons, conSpec{c: c.GetConstraint()})
	}
	if ps := cs.GetPartspec(); ps != nil {
		t.PartitionKey = r.partitionKey(t, ps)
	}
	r.addConstraints(t, cons)
	for _, like := range likes {
		r.likeConstraints(t, like)
	}
	for _, p := range parents {
		r.cloneFromParent(p, t, cs.GetPartbound() != nil)
	}
}

func nodeLocation(n *pg_query.Node) int32 {
	switch {
	case n.GetColumnDef() != nil:
		return n.GetColumnDef().GetLocation()
	case n.GetConstraint() != nil:
		return n.GetConstraint().GetLocation()
	case n.GetTableLikeClause() != nil:
		return n.GetTableLikeClause().GetRelation().GetLocation()
	}
	return -1
}

// partitionKey renders PARTITION BY as pg_get_partkeydef: "RANGE (ts)".
func (r *schemaReader) partitionKey(t *inspect.Table, ps *pg_query.PartitionSpec) string {
	strategy := map[pg_query.PartitionStrategy]string{
		pg_query.PartitionStrategy_PARTITION_STRATEGY_LIST:  "LIST",
		pg_query.PartitionStrategy_PARTITION_STRATEGY_RANGE: "RANGE",
		pg_query.PartitionStrategy_PARTITION_STRATEGY_HASH:  "HASH",
	}[ps.GetStrategy()]
	p := r.printer(t)
	var parts []string
	for _, e := range ps.GetPartParams() {
		pe := e.GetPartitionElem()
		switch {
		case pe.GetName() != "":
			parts = append(parts, inspect.QuoteIdent(pe.GetName()))
		case pe.GetExpr().GetFuncCall() != nil:
			parts = append(parts, p.Print(pe.GetExpr(), "text"))
		default:
			parts = append(parts, "("+p.Print(pe.GetExpr(), "text")+")")
		}
	}
	return strategy + " (" + strings.Join(parts, ", ") + ")"
}

// relOptions renders WITH (...) storage parameters as reloptions
// "name=value"; toast.* options belong to the TOAST table and are left out.
func relOptions(opts []*pg_query.Node) []string {
	var out []string
	for _, o := range opts {
		d := o.GetDefElem()
		if d == nil || d.GetDefnamespace() != "" {
			continue
		}
		out = append(out, d.GetDefname()+"="+stmt.DefArgText(d.GetArg()))
	}
	return out
}

// inheritColumns copies a parent's columns into a child (INHERITS,
// PARTITION OF): type, NOT NULL, default and generation expression.
func inheritColumns(t, parent *inspect.Table) {
	for _, pc := range parent.Columns {
		if t.Column(pc.Name) != nil {
			continue
		}
		c := *pc
		c.Identity = ""
		c.Pos = t.Pos
		t.Columns = append(t.Columns, &c)
	}
}

// columnDef adds one column definition and queues its constraints. next
// is the parser location of the following table element (-1 if none).
func (r *schemaReader) columnDef(t *inspect.Table, cd *pg_query.ColumnDef, next int32, cons *[]conSpec) {
	col := t.Column(cd.GetColname())
	if col == nil {
		col = &inspect.Column{Name: cd.GetColname(), Pos: r.pos(cd.GetLocation())}
		t.Columns = append(t.Columns, col)
	}
	serial := ""
	if cd.GetTypeName() != nil {
		col.Type = r.typeName(cd.GetTypeName())
		if serial = stmt.SerialBase(cd.GetTypeName()); serial != "" {
			col.Type = serial
		}
	}
	if s := cd.GetStorageName(); s != "" {
		col.Storage = strings.ToLower(s)
	}
	if cd.GetIsNotNull() {
		col.NotNull = true
	}
	var last *pg_query.Constraint
	for _, n := range cd.GetConstraints() {
		c := n.GetConstraint()
		switch c.GetContype() {
		case pg_query.ConstrType_CONSTR_NOTNULL:
			col.NotNull = true
		case pg_query.ConstrType_CONSTR_NULL:
			col.NotNull = false
		case pg_query.ConstrType_CONSTR_DEFAULT:
			col.Default = r.defaultText(t, col, c.GetRawExpr())
		case pg_query.ConstrType_CONSTR_IDENTITY:
			r.identity(t, col, c, c.GetOptions())
		case pg_query.ConstrType_CONSTR_GENERATED:
			col.Generated = "stored"
			if r.isVirtual(c.GetLocation(), next) {
				col.Generated = "virtual"
			}
			col.GeneratedExpr = r.printer(t).Print(c.GetRawExpr(), "text")
		case pg_query.ConstrType_CONSTR_CHECK, pg_query.ConstrType_CONSTR_PRIMARY, pg_query.ConstrType_CONSTR_UNIQUE,
			pg_query.ConstrType_CONSTR_FOREIGN, pg_query.ConstrType_CONSTR_EXCLUSION:
			*cons = append(*cons, conSpec{c: c, cols: []string{col.Name}})
			last = c
		case pg_query.ConstrType_CONSTR_ATTR_DEFERRABLE, pg_query.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE,
			pg_query.ConstrType_CONSTR_ATTR_DEFERRED, pg_query.ConstrType_CONSTR_ATTR_IMMEDIATE:
			applyAttr(last, c.GetContype())
		}
	}
	if serial != "" {
		seq := r.newSequence(qname{t.Schema, chooseName(t.Name, col.Name, "seq", r.relTaken(t.Schema))}, serial, col.Pos)
		seq.OwnedBy = t.Schema + "." + t.Name + "." + col.Name
		col.Default = nextvalText(seq.Schema, seq.Name)
		col.NotNull = true
	}
}

// applyAttr applies DEFERRABLE / INITIALLY DEFERRED written after a
// column constraint to that constraint.
func applyAttr(c *pg_query.Constraint, attr pg_query.ConstrType) {
	if c == nil {
		return
	}
	switch attr {
	case pg_query.ConstrType_CONSTR_ATTR_DEFERRABLE:
		c.Deferrable = true
	case pg_query.ConstrType_CONSTR_ATTR_NOT_DEFERRABLE:
		c.Deferrable = false
	case pg_query.ConstrType_CONSTR_ATTR_DEFERRED:
		c.Initdeferred, c.Deferrable = true, true
	case pg_query.ConstrType_CONSTR_ATTR_IMMEDIATE:
		c.Initdeferred = false
	}
}

// defaultText renders a column default as pg_get_expr shows the stored
// default: a string literal takes the column's type ('x'::text); a NULL
// default is not stored at all.
func (r *schemaReader) defaultText(t *inspect.Table, col *inspect.Column, e *pg_query.Node) string {
	if c := e.GetAConst(); c != nil {
		if c.GetIsnull() {
			return ""
		}
		if c.GetSval() != nil && col.Type != "" {
			return stmt.ConstText(c, stmt.LabelType(col.Type))
		}
	}
	if tc := e.GetTypeCast(); tc != nil && tc.GetArg().GetAConst().GetIsnull() {
		return ""
	}
	return r.printer(t).Print(e, "text")
}

// printer renders expressions in the context of table t.
func (r *schemaReader) printer(t *inspect.Table) *stmt.ExprPrinter {
	return &stmt.ExprPrinter{ColType: func(name string) string {
		if c := t.Column(name); c != nil {
			return c.Type
		}
		return ""
	}}
}

// identity makes a column an identity column with its implicit sequence.
func (r *schemaReader) identity(t *inspect.Table, col *inspect.Column, c *pg_query.Constraint, opts []*pg_query.Node) {
	col.Identity = "by default"
	if c.GetGeneratedWhen() == "a" {
		col.Identity = "always"
	}
	col.NotNull = true
	col.Default = ""
	spec := seqOptions(opts)
	name := qname{t.Schema, ""}
	if len(spec.name) > 0 {
		name.name = spec.name[len(spec.name)-1]
		if len(spec.name) > 1 {
			name.schema = spec.name[len(spec.name)-2]
		}
	} else {
		name.name = chooseName(t.Name, col.Name, "seq", r.relTaken(t.Schema))
	}
	typ := col.Type
	if typ != "smallint" && typ != "integer" {
		typ = "bigint"
	}
	seq := r.sequences[name]
	if seq == nil {
		seq = r.newSequence(name, typ, r.pos(c.GetLocation()))
	}
	seq.Persistence = t.Persistence
	spec.apply(seq, true)
	seq.OwnedBy = t.Schema + "." + t.Name + "." + col.Name
}
