package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var unloggedTable = &Rule{
	ID:         "AR402",
	Name:       "unlogged-table",
	Title:      "Unlogged table is not replicated",
	Severity:   Warning,
	Category:   CategoryReplicationScope,
	Engines:    AllEngines,
	Effect:     EffectFixFirst,
	EffectNote: `A table whose data is node-local stays out of replication instead (local). ` + nodeLocalDoc,
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
		Detection: `Application tables with relpersistence = 'u' (CREATE UNLOGGED TABLE, ALTER TABLE ... SET UNLOGGED).
Whether the data is node-local is judged on evidence (see the effect below): only then is keeping
it local the advice.`,
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
			f := Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message:    fmt.Sprintf("%s is UNLOGGED: its rows exist only on the node that wrote them", t.QualifiedName()),
				Fix:        "Make the table logged: nothing shows its data is node-local, so the other nodes need it.",
				EffectWhy:  "make it logged",
				FixSQL:     fmt.Sprintf("ALTER TABLE %s SET LOGGED;", t.Ident()),
				Pos:        t.Pos,
			}
			if nl := nodeLocal(p, t); nl != "" {
				f.Effect, f.EffectWhy, f.FixSQL = EffectLocal, nl, ""
				f.Fix = "Keep it node-local; make it logged only if other nodes need its rows."
			}
			p.Report(f)
		}
	},
}
