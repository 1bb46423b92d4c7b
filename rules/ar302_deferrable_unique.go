package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var deferrableUnique = &Rule{
	ID:       "AR302",
	Name:     "deferrable-unique",
	Title:    "Deferrable primary-key, unique or exclusion constraint",
	Severity: Error,
	Category: CategoryConstraints,
	Engines:  AllEngines,
	Effect:   EffectHome,
	Doc: Doc{
		Why: `Conflict detection on apply relies on the unique index answering "does this key exist?" at once.
A DEFERRABLE constraint's index defers that check to commit, so the apply side cannot use it:
pglogical stops with "pglogical doesn't support index rechecks needed for deferrable indexes",
Spock silently skips such constraints during INSERT conflict resolution (duplicate rows), native
replication defines conflicts only for NOT DEFERRABLE unique constraints, and PGD cannot use a
deferred primary key as the replica identity.`,
		Engines: map[string]string{
			EngineNative:    `Conflicts are detected only on NOT DEFERRABLE unique constraints.`,
			EnginePglogical: `ERROR: pglogical doesn't support index rechecks needed for deferrable indexes.`,
			EnginePgactive:  `Unique checks on apply need immediate indexes (inference from the shared apply design).`,
			EngineSpock:     `Deferrable unique constraints "are silently skipped during INSERT conflict resolution ... potentially leading to duplicate rows".`,
			EnginePGD:       `Deferred unique constraints are supported, but a deferred primary key cannot be the replica identity.`,
		},
		Detection: `PRIMARY KEY, UNIQUE and EXCLUDE constraints (and unique indexes) marked DEFERRABLE
(pg_constraint.condeferrable, pg_index.indimmediate = false).`,
		Fix: `Recreate the constraint NOT DEFERRABLE (the default). Code that relied on deferral (swapping two
rows' positions in one transaction) has to use a temporary value instead. Foreign keys that
reference a primary key block dropping it; recreate them afterwards.

` + "```sql" + `
ALTER TABLE public.slots DROP CONSTRAINT slots_position_key,
  ADD CONSTRAINT slots_position_key UNIQUE (position);
` + "```",
		Example: `CREATE TABLE public.slots (id bigint PRIMARY KEY, position int UNIQUE DEFERRABLE INITIALLY DEFERRED);`,
		References: []string{
			"2ndQuadrant/pglogical:docs/README.md",
			"pgEdge/spock:docs/limitations.md",
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			seen := map[string]bool{}
			for _, c := range t.Constraints {
				if !c.Deferrable || (c.Type != inspect.PrimaryKey && c.Type != inspect.Unique && c.Type != inspect.Exclusion) {
					continue
				}
				seen[c.Name] = true
				f := Finding{
					Object:     constraintObject(t, c.Name),
					ObjectKind: "constraint",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("%s constraint %s on %s (%s) is DEFERRABLE: apply cannot use it for conflict detection", c.Type, inspect.QuoteIdent(c.Name), t.QualifiedName(), strings.Join(c.Columns, ", ")),
					Fix:        "Recreate the constraint NOT DEFERRABLE.",
					Pos:        c.Pos,
				}
				switch c.Type {
				case inspect.PrimaryKey:
					f.FixSQL = fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s, ADD CONSTRAINT %s PRIMARY KEY (%s);", t.Ident(), inspect.QuoteIdent(c.Name), inspect.QuoteIdent(c.Name), quoteCols(c.Columns))
					f.Fix += " Foreign keys that reference it must be dropped and recreated around the change."
				case inspect.Unique:
					f.FixSQL = fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s, ADD CONSTRAINT %s UNIQUE (%s);", t.Ident(), inspect.QuoteIdent(c.Name), inspect.QuoteIdent(c.Name), quoteCols(c.Columns))
				}
				p.Report(f)
			}
			for _, ix := range t.Indexes {
				if !ix.Deferrable || seen[ix.Constraint] || seen[ix.Name] {
					continue
				}
				p.Report(Finding{
					Object:     indexObject(t, ix),
					ObjectKind: "index",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("unique index %s on %s (%s) is deferrable: apply cannot use it for conflict detection", inspect.QuoteIdent(ix.Name), t.QualifiedName(), strings.Join(ix.Columns, ", ")),
					Fix:        "Recreate the constraint behind the index NOT DEFERRABLE.",
					Pos:        ix.Pos,
				})
			}
		}
	},
}
