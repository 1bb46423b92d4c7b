package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var exclusionConstraint = &Rule{
	ID:       "AR303",
	Name:     "exclusion-constraint",
	Title:    "Exclusion constraint",
	Severity: Warning,
	Category: CategoryConstraints,
	Engines:  AllEngines,
	Effect:   EffectHome,
	Doc: Doc{
		Why: `An exclusion constraint (no two bookings of a room may overlap) is checked only against the rows
a node has. Two nodes can each accept an overlapping booking; when the rows meet, the violation
is not a key conflict any engine can resolve. Apply stops with the violation, or deadlocks while
replaying (pgactive), and the business rule the constraint protected is broken on one node
until someone picks a winner by hand.`,
		Engines: map[string]string{
			EngineNative:    `The violation stops apply; PostgreSQL 18 logs no conflict details for exclusion constraints.`,
			EnginePglogical: `Apply stops with the violation.`,
			EnginePgactive:  `"doesn't support exclusion constraints ... expect replication to break"; its DDL filter only rejects them when DDL replication is on.`,
			EngineSpock:     `Apply stops with the violation and the change goes to the exception log.`,
			EnginePGD:       `Supported since 5.6 as multiple_unique_conflicts, resolved by deleting rows.`,
		},
		Detection: `pg_constraint.contype = 'x' on a permanent table of the application.`,
		Fix: `Route every write that the constraint arbitrates (all bookings of one room) to one node, or drop the
constraint and enforce the rule in a single home region. There is no safe multi-writer form.`,
		Example: `CREATE TABLE public.bookings (room int, during tstzrange,
  EXCLUDE USING gist (room WITH =, during WITH &&));`,
		References: []string{
			"aws/pgactive:docs/referenceguide.md, src/pgactive_commandfilter.c",
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			for _, c := range t.Constraints {
				if c.Type != inspect.Exclusion {
					continue
				}
				expr := ""
				if c.Expression != "" {
					expr = " (" + shorten(c.Expression, 80) + ")"
				}
				p.Report(Finding{
					Object:     constraintObject(t, c.Name),
					ObjectKind: "constraint",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("exclusion constraint %s on %s%s is checked only against the rows each node has: overlapping rows from two nodes stop apply", inspect.QuoteIdent(c.Name), t.QualifiedName(), expr),
					Fix:        "Route all writes the constraint arbitrates to one node, or enforce the rule in a single home region.",
					Pos:        c.Pos,
				})
			}
		}
	},
}
