package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var eventTrigger = &Rule{
	ID:       "AR504",
	Name:     "event-trigger",
	Title:    "Event trigger interacts with DDL handling",
	Severity: Info,
	Category: CategoryTriggers,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Event triggers fire on DDL. Replication engines that capture or replicate DDL use event triggers
and DDL hooks of their own (pglogical suggests one to add new tables to a replication set; Spock
and PGD replicate DDL), and DDL that an engine replays on another node fires that node's event
triggers again. A custom event trigger that logs, blocks or rewrites DDL must be reviewed against
the engine's DDL handling, and it is itself not replicated.`,
		Engines: map[string]string{
			EnginePglogical: `Suggests its own event trigger to add new tables to a replication set.`,
			EngineSpock:     `Automatic DDL replication (spock.enable_ddl_replication) replays DDL on peers.`,
			EnginePGD:       `DDL is replicated with global locking; event triggers fire on every node.`,
			EngineNative:    `DDL is not replicated; event triggers run on the node where DDL is executed.`,
		},
		Detection: `Rows of pg_event_trigger that are not disabled (CREATE EVENT TRIGGER in a schema file).`,
		Fix: `Review each event trigger: create it on every node, make its effects idempotent, and check it does
not block the engine's own DDL.`,
		Example: `CREATE EVENT TRIGGER log_ddl ON ddl_command_end EXECUTE FUNCTION log_ddl();`,
		References: []string{
			"2ndQuadrant/pglogical:docs/README.md",
			"pgEdge/spock:docs/managing/spock_autoddl.md",
		},
	},
	Check: func(p *Pass) {
		for _, et := range p.DB.EventTriggers {
			if et.Enabled == inspect.TriggerDisabled {
				continue
			}
			p.Report(Finding{
				Object:     inspect.QuoteIdent(et.Name),
				ObjectKind: "event trigger",
				Message:    fmt.Sprintf("event trigger %s on %s (function %s) must exist on every node and fit the engine's DDL handling", inspect.QuoteIdent(et.Name), et.Event, et.Function),
				Fix:        "Create the event trigger on every node, make it idempotent, and check it does not block the engine's DDL.",
				Pos:        et.Pos,
			})
		}
	},
}
