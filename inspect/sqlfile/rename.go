package sqlfile

import (
	"slices"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
	pg_query "github.com/pganalyze/pg_query_go/v6"
)

// rename applies ALTER ... RENAME of tables (views, sequences, indexes)
// and of columns, constraints and triggers, so that a file of migrations
// reads as the schema they leave behind. Names that point elsewhere
// (foreign keys, partitions, inheritance, owned sequences, defaults)
// follow, as PostgreSQL's references by OID do.
func (r *schemaReader) rename(rs *pg_query.RenameStmt) {
	rv, newName := rs.GetRelation(), rs.GetNewname()
	switch rs.GetRenameType() {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW,
		pg_query.ObjectType_OBJECT_FOREIGN_TABLE:
		if t := r.table(rv); t != nil {
			r.renameTable(t, newName)
		} else if s := r.sequence(rv); s != nil {
			r.renameSequence(s, newName) // ALTER TABLE works on sequences too
		} else {
			r.renameIndex(rv, newName) // and on indexes
		}
	case pg_query.ObjectType_OBJECT_SEQUENCE:
		if s := r.sequence(rv); s != nil {
			r.renameSequence(s, newName)
		}
	case pg_query.ObjectType_OBJECT_INDEX:
		r.renameIndex(rv, newName)
	case pg_query.ObjectType_OBJECT_COLUMN:
		if t := r.table(rv); t != nil {
			r.renameColumn(t, rs.GetSubname(), newName)
		}
	case pg_query.ObjectType_OBJECT_TABCONSTRAINT:
		if t := r.table(rv); t != nil {
			for _, c := range t.Constraints {
				if c.Name == rs.GetSubname() {
					delete(r.conNames, qname{t.Schema, c.Name})
					c.Name = newName
					r.conNames[qname{t.Schema, c.Name}] = true
				}
			}
			for _, ix := range t.Indexes {
				if ix.Constraint == rs.GetSubname() {
					// A key's index takes the constraint's new name.
					delete(r.relNames, qname{t.Schema, ix.Name})
					if t.ReplicaIdentityIndex == ix.Name {
						t.ReplicaIdentityIndex = newName
					}
					ix.Constraint, ix.Name = newName, newName
					r.relNames[qname{t.Schema, ix.Name}] = true
				}
			}
		}
	case pg_query.ObjectType_OBJECT_TRIGGER:
		if t := r.table(rv); t != nil {
			for _, tg := range t.Triggers {
				if tg.Name == rs.GetSubname() {
					tg.Name = newName
				}
			}
		}
	case pg_query.ObjectType_OBJECT_POLICY:
		if t := r.table(rv); t != nil {
			for i, p := range t.Policies {
				if p == rs.GetSubname() {
					t.Policies[i] = newName
				}
			}
		}
	}
}

func (r *schemaReader) renameTable(t *inspect.Table, newName string) {
	r.moveTable(t, t.Schema, newName)
}

// moveTable renames a table or moves it to another schema (ALTER TABLE
// ... SET SCHEMA, which takes its indexes, constraints and owned
// sequences along).
func (r *schemaReader) moveTable(t *inspect.Table, newSchema, newName string) {
	oldRef, oldPrefix := t.Schema+"."+t.Name, t.Schema+"."+t.Name+"."
	delete(r.tables, qname{t.Schema, t.Name})
	delete(r.relNames, qname{t.Schema, t.Name})
	if newSchema != t.Schema {
		for _, ix := range t.Indexes {
			delete(r.relNames, qname{t.Schema, ix.Name})
			r.relNames[qname{newSchema, ix.Name}] = true
		}
		for _, c := range t.Constraints {
			delete(r.conNames, qname{t.Schema, c.Name})
			r.conNames[qname{newSchema, c.Name}] = true
		}
		for _, s := range append([]*inspect.Sequence(nil), r.db.Sequences...) {
			if strings.HasPrefix(s.OwnedBy, oldPrefix) {
				r.moveSequence(s, newSchema, s.Name)
			}
		}
	}
	t.Schema, t.Name = newSchema, newName
	r.tables[qname{t.Schema, t.Name}] = t
	r.relNames[qname{t.Schema, t.Name}] = true
	newRef := t.Schema + "." + t.Name
	for _, u := range r.db.Tables {
		for _, c := range u.Constraints {
			if c.RefTable == oldRef {
				c.RefTable = newRef
			}
		}
		if u.PartitionOf == oldRef {
			u.PartitionOf = newRef
		}
		for i, p := range u.Inherits {
			if p == oldRef {
				u.Inherits[i] = newRef
			}
		}
	}
	for _, s := range r.db.Sequences {
		if strings.HasPrefix(s.OwnedBy, oldPrefix) {
			s.OwnedBy = newRef + "." + strings.TrimPrefix(s.OwnedBy, oldPrefix)
		}
	}
}

// setSchema applies ALTER TABLE / SEQUENCE / VIEW ... SET SCHEMA.
func (r *schemaReader) setSchema(a *pg_query.AlterObjectSchemaStmt) {
	rv := a.GetRelation()
	switch a.GetObjectType() {
	case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW,
		pg_query.ObjectType_OBJECT_FOREIGN_TABLE, pg_query.ObjectType_OBJECT_SEQUENCE:
		if t := r.table(rv); t != nil {
			r.moveTable(t, a.GetNewschema(), t.Name)
		} else if s := r.sequence(rv); s != nil {
			r.moveSequence(s, a.GetNewschema(), s.Name)
		}
	}
}

// dropSchema removes what a schema held (DROP SCHEMA ... CASCADE; without
// CASCADE it succeeded only if the schema was empty).
func (r *schemaReader) dropSchema(name string) {
	for _, t := range append([]*inspect.Table(nil), r.db.Tables...) {
		if t.Schema == name && r.tables[qname{t.Schema, t.Name}] == t {
			r.removeTable(t)
		}
	}
	for _, s := range append([]*inspect.Sequence(nil), r.db.Sequences...) {
		if s.Schema == name {
			r.removeSequence(s)
		}
	}
	r.db.Functions = slices.DeleteFunc(r.db.Functions, func(f *inspect.Function) bool {
		if f.Schema == name {
			delete(r.functions, f.Schema+"."+f.Name+"("+f.Args+")")
			return true
		}
		return false
	})
}

func (r *schemaReader) renameSequence(s *inspect.Sequence, newName string) {
	r.moveSequence(s, s.Schema, newName)
}

func (r *schemaReader) moveSequence(s *inspect.Sequence, newSchema, newName string) {
	oldDefault := nextvalText(s.Schema, s.Name)
	delete(r.sequences, qname{s.Schema, s.Name})
	delete(r.relNames, qname{s.Schema, s.Name})
	s.Schema, s.Name = newSchema, newName
	r.sequences[qname{s.Schema, s.Name}] = s
	r.relNames[qname{s.Schema, s.Name}] = true
	newDefault := nextvalText(s.Schema, s.Name)
	for _, t := range r.db.Tables {
		for _, c := range t.Columns {
			if c.Default == oldDefault {
				c.Default = newDefault
			}
		}
	}
}

// nextvalText is a column default that takes values from a sequence, as
// the reader writes it (and pg_get_expr prints it).
func nextvalText(schema, name string) string {
	return "nextval(" + inspect.QuoteLiteralStandard(stmt.RegclassText(inspect.QuoteQualified(schema, name))) + "::regclass)"
}

func (r *schemaReader) renameIndex(rv *pg_query.RangeVar, newName string) {
	schemas := r.searchSchemas()
	if rv.GetSchemaname() != "" {
		schemas = []string{rv.GetSchemaname()}
	}
	for _, s := range schemas {
		for _, t := range r.db.Tables {
			if t.Schema != s {
				continue
			}
			for _, ix := range t.Indexes {
				if ix.Name != rv.GetRelname() {
					continue
				}
				delete(r.relNames, qname{s, ix.Name})
				if t.ReplicaIdentityIndex == ix.Name {
					t.ReplicaIdentityIndex = newName
				}
				ix.Name = newName
				r.relNames[qname{s, ix.Name}] = true
				if ix.Constraint != "" {
					// Renaming a key's index renames the constraint too.
					for _, c := range t.Constraints {
						if c.Name == ix.Constraint {
							delete(r.conNames, qname{s, c.Name})
							c.Name = newName
							r.conNames[qname{s, c.Name}] = true
						}
					}
					ix.Constraint = newName
				}
				return
			}
		}
	}
	// ALTER INDEX also renames other relations (PostgreSQL allows it).
	if t := r.table(rv); t != nil {
		r.renameTable(t, newName)
	} else if seq := r.sequence(rv); seq != nil {
		r.renameSequence(seq, newName)
	}
}

// renameColumn renames a column in a table and in its partitions and
// inheritance children (PostgreSQL renames it there too), with what names
// it: key and index column lists, foreign keys elsewhere, owned sequences,
// and the text of CHECK, generation, default, predicate and partition key
// expressions.
func (r *schemaReader) renameColumn(t *inspect.Table, oldName, newName string) {
	r.renameColumnIn(t, oldName, newName, 0)
}

func (r *schemaReader) renameColumnIn(t *inspect.Table, oldName, newName string, depth int) {
	found := false
	for _, c := range t.Columns {
		if c.Name == oldName {
			c.Name, found = newName, true
		}
	}
	if !found || depth > 32 {
		return
	}
	rename := func(list []string) {
		for i, c := range list {
			if c == oldName {
				list[i] = newName
			}
		}
	}
	for _, c := range t.Columns {
		c.Default = renameIdent(c.Default, oldName, newName)
		c.GeneratedExpr = renameIdent(c.GeneratedExpr, oldName, newName)
	}
	for _, ix := range t.Indexes {
		rename(ix.Columns)
		ix.Predicate = renameIdent(ix.Predicate, oldName, newName)
	}
	ref := t.Schema + "." + t.Name
	for _, c := range t.Constraints {
		rename(c.Columns)
		if c.Type == inspect.Check {
			c.Expression = renameIdent(c.Expression, oldName, newName)
		}
	}
	t.PartitionKey = renameIdent(t.PartitionKey, oldName, newName)
	for _, u := range r.db.Tables {
		for _, c := range u.Constraints {
			if c.RefTable == ref {
				rename(c.RefColumns)
			}
		}
	}
	for _, s := range r.db.Sequences {
		if s.OwnedBy == ref+"."+oldName {
			s.OwnedBy = ref + "." + newName
		}
	}
	for _, u := range r.db.Tables {
		if u.PartitionOf == ref || slices.Contains(u.Inherits, ref) {
			r.renameColumnIn(u, oldName, newName, depth+1)
		}
	}
}

// renameIdent replaces the identifier old by new in an expression's text,
// leaving string literals and other names alone.
func renameIdent(expr, old, new string) string {
	if expr == "" || !strings.Contains(expr, old) {
		return expr
	}
	var b strings.Builder
	last := 0
	for _, tk := range stmt.Tokens(expr) {
		if tk.Text == inspect.QuoteIdent(old) || tk.Text == `"`+old+`"` {
			b.WriteString(expr[last:tk.Start])
			b.WriteString(inspect.QuoteIdent(new))
			last = tk.End
		}
	}
	b.WriteString(expr[last:])
	return b.String()
}
