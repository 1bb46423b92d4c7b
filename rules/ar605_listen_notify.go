package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var listenNotify = &Rule{
	ID:       "AR605",
	Name:     "listen-notify",
	Title:    "LISTEN/NOTIFY is node-local",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Notifications are delivered to listeners connected to the server that sent them; they are not
written to WAL and not replicated. A worker listening on node B never hears a NOTIFY sent on node
A, and notifications sent by triggers do not fire on apply (ordinary triggers do not run there).
Cache invalidation and job wake-ups built on LISTEN/NOTIFY silently stop working for clients of
the other nodes.`,
		Engines: map[string]string{
			EngineNative: `NOTIFY is not replicated.`,
			EnginePGD:    `NOTIFY is not replicated; pgd assess reports LISTEN/NOTIFY usage.`,
		},
		Detection: `Workload statements with LISTEN, NOTIFY or pg_notify() (parse-tree facts).`,
		Fix: `Connect listeners to every node (and accept per-node delivery), send notifications from a REPLICA
or ALWAYS trigger so each node notifies its own listeners when the change arrives, or move
messaging to a broker.`,
		Example: `NOTIFY cache_invalidate, 'orders';`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/dml-ddl.mdx",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, s := range analyzed(p.DB) {
			var what string
			switch {
			case s.Facts.Notify:
				what = "sends a notification that only listeners on this node receive"
			case s.Facts.Listen:
				what = "listens for notifications, which arrive only from sessions on the same node"
			default:
				continue
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Message:    fmt.Sprintf("%s %s", stmtText(s), what),
				Fix:        "Connect listeners to every node and notify from REPLICA/ALWAYS triggers, or use a message broker.",
				Pos:        s.Pos,
			})
		}
	},
}
