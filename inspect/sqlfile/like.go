package sqlfile

import (
	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
)

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
