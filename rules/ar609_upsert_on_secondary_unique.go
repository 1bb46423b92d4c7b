package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var upsertOnSecondaryUnique = &Rule{
	ID:       "AR609",
	Name:     "upsert-on-secondary-unique",
	Title:    "Upsert on a unique key that is not the replica identity",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `INSERT ... ON CONFLICT (email) is "get or create by natural key". On one node the arbiter index
makes it atomic. On two nodes, both see no row for the email, both insert one with a different
primary key, and when the rows meet the conflict is on the secondary unique key, not on the replica
identity: conflict resolution does not apply, native replication and pglogical stop with a unique
violation, and other engines keep one row and drop the other (with whatever else referenced it).`,
		Engines: map[string]string{
			EngineNative:    `insert_exists on the secondary key stops apply.`,
			EnginePglogical: `Only one unique index is supported; apply stops.`,
			EnginePgactive:  `Secondary unique violations need manual repair.`,
			EngineSpock:     `update_exists / insert_exists on a secondary key go to the exception log.`,
			EnginePGD:       `multiple_unique_conflicts; data is deleted to resolve it.`,
		},
		Detection: `INSERT ... ON CONFLICT statements whose arbiter (column list or ON CONSTRAINT) is a unique index
other than the primary key or replica identity index, and ON CONFLICT without an arbiter on tables
with more than one unique index (a partitioned table's partitions count: their own unique indexes,
made when the partition is created, are arbiters too).`,
		Fix: `Make the natural key the primary key (then the upsert conflicts on the replica identity and is
resolved), route upserts of a given natural key to one home node, or claim natural keys on one
node first:

` + "```sql" + `
-- the natural key becomes the identity
ALTER TABLE public.users DROP CONSTRAINT users_pkey, ADD PRIMARY KEY (email);
` + "```",
		Example: `INSERT INTO public.users (id, email) VALUES (gen_random_uuid(), $1) ON CONFLICT (email) DO NOTHING;`,
		References: []string{
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
			"2ndQuadrant/pglogical:docs/README.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, w := range writes(p) {
			oc := w.W.OnConflict
			if oc == nil || w.Table == nil {
				continue
			}
			t := w.Table
			ident := identityColumns(p, t)
			var msg string
			if oc.Constraint == "" && len(oc.Columns) == 0 {
				// Without an arbiter any unique index counts, those of the
				// partitions a row lands in too (they may be created at run
				// time, per partition).
				n, where := len(t.UniqueIndexes()), ""
				parts := p.index().partitionsOf[t]
				for i := 0; i < len(parts) && i < 10000; i++ { // sub-partitions too
					part := parts[i]
					if m := len(part.UniqueIndexes()); m > n {
						n, where = m, fmt.Sprintf(" (on partition %s)", part.QualifiedName())
					}
					parts = append(parts[:len(parts):len(parts)], p.index().partitionsOf[part]...)
				}
				if n > 1 {
					msg = fmt.Sprintf("%s upserts into %s without an arbiter while it has %d unique indexes%s: a conflict on a secondary key between nodes is not resolved", stmtText(w.Stmt), t.QualifiedName(), n, where)
				}
			} else if ix := conflictIndex(t, oc); ix != nil && !ix.Primary && !sameColumns(ix.Columns, ident) {
				msg = fmt.Sprintf("%s upserts into %s on unique index %s (%s), not on the replica identity: two nodes can each insert the same %s with different keys, and the resulting conflict is not resolved",
					stmtText(w.Stmt), t.QualifiedName(), inspect.QuoteIdent(ix.Name), strings.Join(ix.Columns, ", "), strings.Join(ix.Columns, ", "))
			}
			if msg == "" {
				continue
			}
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message:    msg,
				Fix:        "Make the natural key the primary key, or route upserts of one natural key to one home node.",
				Pos:        w.Stmt.Pos,
			})
		}
	},
}
