package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var unloggedTable = &Rule{
	ID:       "AR402",
	Name:     "unlogged-table",
	Title:    "Unlogged table is not replicated",
	Severity: Warning,
	Category: CategoryReplicationScope,
	Engines:  AllEngines,
	Doc: Doc{
		Why: `Unlogged tables write no WAL, so logical decoding never sees their changes: their rows exist only
on the node that wrote them, and are emptied after a crash. In an active-active mesh where users
may be served by any node, data in an unlogged table appears and disappears depending on the node.
That is fine for node-local caches and scratch data, and wrong for anything users expect to see
everywhere.`,
		Engines: map[string]string{
			EngineNative:    `Unlogged tables cannot be published.`,
			EnginePglogical: `"UNLOGGED and TEMPORARY tables will not and cannot be replicated".`,
			EnginePgactive:  `Not replicated.`,
			EngineSpock:     `Not replicated; setting a table UNLOGGED "removes the table from replication".`,
			EnginePGD:       `Not replicated.`,
		},
		Detection: `Application tables with relpersistence = 'u' (CREATE UNLOGGED TABLE, ALTER TABLE ... SET UNLOGGED).`,
		Fix: `Make the table logged if its data must be on every node, or keep it deliberately node-local:

` + "```sql" + `
ALTER TABLE public.sessions SET LOGGED;
` + "```",
		Example: `CREATE UNLOGGED TABLE public.sessions (id uuid PRIMARY KEY, data jsonb);`,
		References: []string{
			"2ndQuadrant/pglogical:docs/README.md",
			"pgEdge/spock:docs/managing/spock_autoddl.md",
			"https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-UNLOGGED",
		},
	},
	Check: func(p *Pass) {
		for _, t := range userTables(p.DB) {
			if t.Persistence != inspect.Unlogged {
				continue
			}
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message:    fmt.Sprintf("%s is UNLOGGED: its rows exist only on the node that wrote them", t.QualifiedName()),
				Fix:        "Make the table logged, unless its data is deliberately node-local.",
				FixSQL:     fmt.Sprintf("ALTER TABLE %s SET LOGGED;", t.Ident()),
				Pos:        t.Pos,
			})
		}
	},
}
