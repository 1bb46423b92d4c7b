package sqlfile

import (
	"strconv"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
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
			parts = append(parts, p.print(pe.GetExpr(), "text"))
		default:
			parts = append(parts, "("+p.print(pe.GetExpr(), "text")+")")
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
		out = append(out, d.GetDefname()+"="+defArgText(d.GetArg()))
	}
	return out
}

// defArgText renders the value of a DefElem as the catalog stores it.
func defArgText(n *pg_query.Node) string {
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
		_, name := typeNameParts(n.GetTypeName())
		return name
	case n.GetAConst() != nil:
		return strings.Trim(constText(n.GetAConst(), ""), "'")
	}
	return exprText(n)
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
		if serial = serialBase(cd.GetTypeName()); serial != "" {
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
			col.GeneratedExpr = r.printer(t).print(c.GetRawExpr(), "text")
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
		col.Default = "nextval(" + quoteLiteral(regclassText(inspect.QuoteQualified(seq.Schema, seq.Name))) + "::regclass)"
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
			return constText(c, labelType(col.Type))
		}
	}
	if tc := e.GetTypeCast(); tc != nil && tc.GetArg().GetAConst().GetIsnull() {
		return ""
	}
	return r.printer(t).print(e, "text")
}

// printer renders expressions in the context of table t.
func (r *schemaReader) printer(t *inspect.Table) *exprPrinter {
	return &exprPrinter{colType: func(name string) string {
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

// LIKE options, as TableLikeOption.
const (
	likeConstraints = 1 << 2
	likeDefaults    = 1 << 3
	likeGenerated   = 1 << 4
	likeIdentity    = 1 << 5
	likeIndexes     = 1 << 6
	likeStorage     = 1 << 8
)

// likeColumns copies the columns of LIKE other: names, types and NOT
// NULL, and what the INCLUDING options ask for.
func (r *schemaReader) likeColumns(t *inspect.Table, like *pg_query.TableLikeClause) {
	src := r.mustTable(like.GetRelation())
	if src == nil {
		return
	}
	opts := like.GetOptions()
	for _, sc := range src.Columns {
		if t.Column(sc.Name) != nil {
			continue
		}
		c := &inspect.Column{Name: sc.Name, Type: sc.Type, NotNull: sc.NotNull, Pos: r.pos(like.GetRelation().GetLocation())}
		if opts&likeDefaults != 0 && sc.Generated == "" {
			c.Default = sc.Default
		}
		if opts&likeGenerated != 0 {
			c.Generated, c.GeneratedExpr = sc.Generated, sc.GeneratedExpr
		}
		if opts&likeIdentity != 0 && sc.Identity != "" {
			c.Identity = sc.Identity
			r.likeIdentitySequence(t, src, c)
		}
		if opts&likeStorage != 0 {
			c.Storage = sc.Storage
		}
		t.Columns = append(t.Columns, c)
	}
}

// likeIdentitySequence gives an identity column copied by LIKE ...
// INCLUDING IDENTITY a sequence of its own, with the options of the
// source column's sequence but not its type: PostgreSQL (15 at least)
// leaves the new sequence bigint.
func (r *schemaReader) likeIdentitySequence(t, src *inspect.Table, c *inspect.Column) {
	name := qname{t.Schema, chooseName(t.Name, c.Name, "seq", r.relTaken(t.Schema))}
	seq := r.newSequence(name, "bigint", c.Pos)
	for _, s := range r.db.Sequences {
		if s.OwnedBy == src.Schema+"."+src.Name+"."+c.Name {
			seq.Start, seq.Increment, seq.Min, seq.Max, seq.Cache, seq.Cycle = s.Start, s.Increment, s.Min, s.Max, s.Cache, s.Cycle
		}
	}
	seq.Persistence = t.Persistence
	seq.OwnedBy = t.Schema + "." + t.Name + "." + c.Name
}

// likeConstraints copies CHECK constraints (same names) and indexes (new
// names) of LIKE other INCLUDING CONSTRAINTS / INDEXES, after the table's
// own constraints as PostgreSQL does.
func (r *schemaReader) likeConstraints(t *inspect.Table, like *pg_query.TableLikeClause) {
	src := r.table(like.GetRelation())
	if src == nil {
		return
	}
	opts := like.GetOptions()
	if opts&likeConstraints != 0 {
		for _, c := range src.Constraints {
			if c.Type == inspect.Check && !hasConstraint(t, c.Name) {
				cc := *c
				cc.Pos = r.pos(like.GetRelation().GetLocation())
				t.Constraints = append(t.Constraints, &cc)
				r.conNames[qname{t.Schema, cc.Name}] = true
			}
		}
	}
	if opts&likeIndexes == 0 {
		return
	}
	for _, ix := range src.Indexes {
		basis := r.indexBasis[ix]
		if basis == nil {
			basis = indexNameColumns(src, ix.Columns)
		}
		label := "idx"
		switch {
		case ix.Primary:
			label = "pkey"
		case ix.Constraint != "" && ix.Unique:
			label = "key"
		case ix.Constraint != "":
			label = "excl"
		}
		addition := ""
		if !ix.Primary {
			addition = nameAddition(basis)
		}
		ci := *ix
		ci.Name = chooseName(t.Name, addition, label, r.relOrConTaken(t.Schema))
		ci.Pos, ci.ReplicaIdentity = r.pos(like.GetRelation().GetLocation()), false
		r.relNames[qname{t.Schema, ci.Name}] = true
		r.indexBasis[&ci] = basis
		if ix.Constraint != "" {
			ci.Constraint = ci.Name
			for _, c := range src.Constraints {
				if c.Name == ix.Constraint {
					cc := *c
					cc.Name, cc.Pos = ci.Name, ci.Pos
					t.Constraints = append(t.Constraints, &cc)
					r.conNames[qname{t.Schema, cc.Name}] = true
				}
			}
		}
		t.Indexes = append(t.Indexes, &ci)
	}
}

// addConstraints adds queued constraints in PostgreSQL's order: CHECK
// constraints, then the primary key, then other unique and exclusion
// constraints (dropping duplicates), then foreign keys.
func (r *schemaReader) addConstraints(t *inspect.Table, cons []conSpec) {
	for _, cs := range cons {
		if cs.c.GetContype() == pg_query.ConstrType_CONSTR_CHECK {
			r.addConstraint(t, cs.c, cs.cols)
		}
	}
	for _, cs := range cons {
		if cs.c.GetContype() == pg_query.ConstrType_CONSTR_PRIMARY {
			r.addConstraint(t, cs.c, cs.cols)
		}
	}
	for _, cs := range cons {
		switch cs.c.GetContype() {
		case pg_query.ConstrType_CONSTR_UNIQUE, pg_query.ConstrType_CONSTR_EXCLUSION:
			if !r.duplicateIndex(t, cs.c, cs.cols) {
				r.addConstraint(t, cs.c, cs.cols)
			}
		}
	}
	for _, cs := range cons {
		if cs.c.GetContype() == pg_query.ConstrType_CONSTR_FOREIGN {
			r.addConstraint(t, cs.c, cs.cols)
		}
	}
}

// duplicateIndex reports whether a UNIQUE constraint in CREATE TABLE
// repeats an index already made there (PostgreSQL drops it silently).
func (r *schemaReader) duplicateIndex(t *inspect.Table, c *pg_query.Constraint, cols []string) bool {
	if c.GetContype() != pg_query.ConstrType_CONSTR_UNIQUE || c.GetConname() != "" {
		return false
	}
	keys := stringList(c.GetKeys())
	if len(keys) == 0 {
		keys = cols
	}
	for _, ix := range t.Indexes {
		if (ix.Primary || ix.Unique) && ix.Predicate == "" && strings.Join(ix.Columns, ",") == strings.Join(keys, ",") && ix.Deferrable == c.GetDeferrable() {
			return true
		}
	}
	return false
}

func stringList(nodes []*pg_query.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.GetString_().GetSval())
	}
	return out
}

var fkActions = map[string]inspect.FKAction{
	"a": inspect.FKNoAction, "r": inspect.FKRestrict, "c": inspect.FKCascade,
	"n": inspect.FKSetNull, "d": inspect.FKSetDefault, "": inspect.FKNoAction,
}

// addConstraint adds one constraint, and its index for PRIMARY KEY,
// UNIQUE and EXCLUDE, choosing the name PostgreSQL would when none is
// given. cols is the column of a column constraint.
func (r *schemaReader) addConstraint(t *inspect.Table, c *pg_query.Constraint, cols []string) *inspect.Constraint {
	con := &inspect.Constraint{Name: c.GetConname(), Deferrable: c.GetDeferrable(), InitiallyDeferred: c.GetInitdeferred(), Pos: r.pos(c.GetLocation())}
	switch c.GetContype() {
	case pg_query.ConstrType_CONSTR_CHECK:
		con.Type = inspect.Check
		refs := columnsIn(c.GetRawExpr())
		if con.Name == "" {
			col := ""
			if len(refs) == 1 {
				col = refs[0]
			}
			con.Name = chooseName(t.Name, col, "check", r.conTaken(t.Schema))
		}
		con.Columns = refs
		con.Expression = r.printer(t).print(c.GetRawExpr(), "text")
		if c.GetRawExpr() == nil && c.GetCookedExpr() != "" {
			con.Expression = c.GetCookedExpr()
		}
	case pg_query.ConstrType_CONSTR_FOREIGN:
		con.Type = inspect.ForeignKey
		con.Columns = stringList(c.GetFkAttrs())
		if len(con.Columns) == 0 {
			con.Columns = cols
		}
		if con.Name == "" {
			con.Name = chooseName(t.Name, nameAddition(con.Columns), "fkey", r.conTaken(t.Schema))
		}
		con.RefTable = r.refName(c.GetPktable())
		con.RefColumns = stringList(c.GetPkAttrs())
		con.OnDelete, con.OnUpdate = fkActions[c.GetFkDelAction()], fkActions[c.GetFkUpdAction()]
	case pg_query.ConstrType_CONSTR_PRIMARY, pg_query.ConstrType_CONSTR_UNIQUE, pg_query.ConstrType_CONSTR_EXCLUSION:
		return r.indexConstraint(t, c, cols, con)
	default:
		return nil
	}
	r.conNames[qname{t.Schema, con.Name}] = true
	t.Constraints = append(t.Constraints, con)
	return con
}

// indexConstraint adds PRIMARY KEY, UNIQUE or EXCLUDE with its index.
func (r *schemaReader) indexConstraint(t *inspect.Table, c *pg_query.Constraint, cols []string, con *inspect.Constraint) *inspect.Constraint {
	label := "key"
	con.Type = inspect.Unique
	switch c.GetContype() {
	case pg_query.ConstrType_CONSTR_PRIMARY:
		label, con.Type = "pkey", inspect.PrimaryKey
	case pg_query.ConstrType_CONSTR_EXCLUSION:
		label, con.Type = "excl", inspect.Exclusion
	}
	ix := &inspect.Index{Unique: con.Type != inspect.Exclusion, Primary: con.Type == inspect.PrimaryKey,
		Deferrable: con.Deferrable, Valid: true, Method: "btree", Pos: con.Pos}
	if m := c.GetAccessMethod(); m != "" {
		ix.Method = m
	}
	p := r.printer(t)
	if con.Type == inspect.Exclusion {
		var parts []string
		for _, ex := range c.GetExclusions() {
			items := ex.GetList().GetItems()
			if len(items) != 2 {
				continue
			}
			col, isExpr := indexElemText(p, items[0].GetIndexElem())
			ix.Columns = append(ix.Columns, col)
			ix.Expression = ix.Expression || isExpr
			ops := stringList(items[1].GetList().GetItems())
			parts = append(parts, col+" WITH "+strings.Join(ops, "."))
		}
		con.Expression = "EXCLUDE USING " + ix.Method + " (" + strings.Join(parts, ", ") + ")"
		if w := c.GetWhereClause(); w != nil {
			ix.Predicate = p.print(w, "text")
			con.Expression += " WHERE (" + ix.Predicate + ")"
		}
	} else {
		ix.Columns = stringList(c.GetKeys())
		if len(ix.Columns) == 0 {
			ix.Columns = cols
		}
	}
	if existing := c.GetIndexname(); existing != "" {
		// ADD CONSTRAINT ... USING INDEX: the index becomes the constraint's
		// and takes its name.
		for i, have := range t.Indexes {
			if have.Name == existing {
				ix.Columns, ix.Method, ix.Predicate, ix.Expression = have.Columns, have.Method, have.Predicate, have.Expression
				t.Indexes = append(t.Indexes[:i], t.Indexes[i+1:]...)
				delete(r.relNames, qname{t.Schema, existing})
				if con.Name == "" {
					con.Name = existing
				}
				break
			}
		}
	}
	con.Columns = ix.Columns
	if con.Name == "" {
		addition := ""
		if con.Type != inspect.PrimaryKey {
			addition = nameAddition(indexNameColumns(t, ix.Columns))
		}
		con.Name = chooseName(t.Name, addition, label, r.relOrConTaken(t.Schema))
	}
	ix.Name, ix.Constraint = con.Name, con.Name
	if ix.Primary {
		for _, name := range ix.Columns {
			if col := t.Column(name); col != nil {
				col.NotNull = true
			}
		}
	}
	r.relNames[qname{t.Schema, ix.Name}] = true
	r.conNames[qname{t.Schema, con.Name}] = true
	t.Indexes = append(t.Indexes, ix)
	t.Constraints = append(t.Constraints, con)
	return con
}

// indexNameColumns are the names PostgreSQL uses for index columns when
// it names an index: the column, or "expr" for an expression.
func indexNameColumns(t *inspect.Table, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c
		if t.Column(c) == nil {
			out[i] = "expr"
		}
	}
	return out
}

// cloneFromParent gives a new partition (or inheritance child) what
// PostgreSQL copies from the parent: CHECK constraints, and for
// partitions also the foreign keys and indexes (primary key and unique
// constraints included).
func (r *schemaReader) cloneFromParent(parent, child *inspect.Table, partition bool) {
	for _, c := range parent.Constraints {
		switch {
		case c.Type == inspect.Check, partition && c.Type == inspect.ForeignKey:
			if hasConstraint(child, c.Name) {
				continue
			}
			cc := *c
			cc.Pos = child.Pos
			child.Constraints = append(child.Constraints, &cc)
			r.conNames[qname{child.Schema, c.Name}] = true
		}
	}
	if !partition {
		return
	}
	for _, ix := range parent.Indexes {
		r.cloneIndex(parent, child, ix)
	}
}

func hasConstraint(t *inspect.Table, name string) bool {
	for _, c := range t.Constraints {
		if c.Name == name {
			return true
		}
	}
	return false
}

// cloneIndex creates on a partition the index that matches a parent's
// index, unless the partition has an equivalent one already.
func (r *schemaReader) cloneIndex(parent, child *inspect.Table, ix *inspect.Index) {
	for _, have := range child.Indexes {
		if strings.Join(have.Columns, ",") == strings.Join(ix.Columns, ",") && have.Unique == ix.Unique &&
			have.Predicate == ix.Predicate && have.Method == ix.Method {
			return
		}
	}
	label := "idx"
	switch {
	case ix.Primary:
		label = "pkey"
	case ix.Constraint != "" && ix.Unique:
		label = "key"
	case ix.Constraint != "":
		label = "excl"
	}
	addition := ""
	if !ix.Primary {
		addition = nameAddition(indexNameColumns(parent, ix.Columns))
	}
	ci := *ix
	ci.Name = chooseName(child.Name, addition, label, r.relOrConTaken(child.Schema))
	ci.Pos, ci.ReplicaIdentity = child.Pos, false
	r.relNames[qname{child.Schema, ci.Name}] = true
	if ix.Constraint != "" {
		ci.Constraint = ci.Name
		for _, c := range parent.Constraints {
			if c.Name == ix.Constraint {
				cc := *c
				cc.Name, cc.Pos = ci.Name, child.Pos
				child.Constraints = append(child.Constraints, &cc)
				r.conNames[qname{child.Schema, cc.Name}] = true
			}
		}
		if ix.Primary {
			for _, name := range ix.Columns {
				if col := child.Column(name); col != nil {
					col.NotNull = true
				}
			}
		}
	}
	child.Indexes = append(child.Indexes, &ci)
}

// partitions returns the partitions of a partitioned table.
func (r *schemaReader) partitions(t *inspect.Table) []*inspect.Table {
	var out []*inspect.Table
	q := t.Schema + "." + t.Name
	for _, c := range r.db.Tables {
		if c.PartitionOf == q {
			out = append(out, c)
		}
	}
	return out
}
