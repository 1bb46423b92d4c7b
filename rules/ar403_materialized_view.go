package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var materializedView = &Rule{
	ID:       "AR403",
	Name:     "materialized-view",
	Title:    "Materialized view is refreshed per node",
	Severity: Info,
	Category: CategoryReplicationScope,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Only base tables replicate. A materialized view holds whatever its node computed at the last
REFRESH, from the rows that node had then, so the same query returns different answers on
different nodes until every node refreshes. REFRESH itself is not replicated.`,
		Engines: map[string]string{
			EngineNative: `Only tables can be published.`,
			EnginePGD:    `"Base tables only"; pgd assess flags materialized views.`,
			EngineSpock:  `Not replicated; ACE refuses to compare them.`,
		},
		Detection: `Relations with relkind = 'm'.`,
		Fix: `Refresh the view on every node on the same schedule (and accept the skew), or replace it with a
table maintained by the application on one node, which then replicates:

` + "```sql" + `
REFRESH MATERIALIZED VIEW CONCURRENTLY public.daily_totals;  -- on every node
` + "```",
		Example: `CREATE MATERIALIZED VIEW public.daily_totals AS SELECT ...;`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range relationsOfKind(p.DB, inspect.RelMatView) {
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "materialized view",
				Table:      t.QualifiedName(),
				Message:    fmt.Sprintf("materialized view %s is not replicated: each node serves its own last refresh", t.QualifiedName()),
				Fix:        "Refresh it on every node on the same schedule, or replace it with a table written on one node.",
				FixSQL:     fmt.Sprintf("REFRESH MATERIALIZED VIEW %s;  -- on every node", t.Ident()),
				Pos:        t.Pos,
			})
		}
	},
}
