package sqlfile

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

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
		refs := stmt.ColumnsIn(c.GetRawExpr())
		if con.Name == "" {
			col := ""
			if len(refs) == 1 {
				col = refs[0]
			}
			con.Name = chooseName(t.Name, col, "check", r.conTaken(t.Schema))
		}
		con.Columns = refs
		con.Expression = r.printer(t).Print(c.GetRawExpr(), "text")
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
			col, isExpr := stmt.IndexElemText(p, items[0].GetIndexElem())
			ix.Columns = append(ix.Columns, col)
			ix.Expression = ix.Expression || isExpr
			ops := stringList(items[1].GetList().GetItems())
			parts = append(parts, col+" WITH "+strings.Join(ops, "."))
		}
		con.Expression = "EXCLUDE USING " + ix.Method + " (" + strings.Join(parts, ", ") + ")"
		if w := c.GetWhereClause(); w != nil {
			ix.Predicate = p.Print(w, "text")
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
