package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var foreignTable = &Rule{
	ID:       "AR404",
	Name:     "foreign-table",
	Title:    "Foreign table is not replicated",
	Severity: Info,
	Category: CategoryReplicationScope,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `A foreign table's rows live in another system; logical replication carries only local tables.
Every node needs its own foreign server definition, user mapping and network path to the remote
system, and writes through it from several nodes are not coordinated.`,
		Engines: map[string]string{
			EngineNative: `Foreign tables cannot be published.`,
			EngineSpock:  `Not replicated; ACE refuses foreign tables.`,
			EnginePGD:    `Base tables only.`,
		},
		Detection: `Relations with relkind = 'f'.`,
		Fix: `Create the foreign server, user mappings and foreign tables on every node (they are not replicated
either), check that every node can reach the remote system, and route writes through one node.`,
		Example: `CREATE FOREIGN TABLE public.remote_rates (code text, rate numeric) SERVER rates_srv;`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range relationsOfKind(p.DB, inspect.RelForeign) {
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "foreign table",
				Table:      t.QualifiedName(),
				Message:    fmt.Sprintf("foreign table %s is not replicated: every node needs its own server, user mapping and access to the remote system", t.QualifiedName()),
				Fix:        "Define the foreign server, user mappings and table on every node, and route writes through one node.",
				Pos:        t.Pos,
			})
		}
	},
}
