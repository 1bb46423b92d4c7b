package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// bulkRowsPerCall is the average rows per call above which a write is a
// bulk operation.
const bulkRowsPerCall = 10000

var longTransactions = &Rule{
	ID:       "AR610",
	Name:     "long-transactions",
	Title:    "Long or large transactions delay replication",
	Severity: Info,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `A transaction is replicated when it commits (unless streaming of in-progress transactions is on),
so a long or large transaction holds back everything behind it: replication lag grows, and with it
the window in which conflicting writes on two nodes go unnoticed. Large transactions also spill to
disk during decoding and retain WAL. Sessions left idle in transaction pin the xmin horizon and
slots.`,
		Engines: map[string]string{
			EngineNative:   `Large transactions are decoded at commit unless streaming = on / parallel.`,
			EnginePgactive: `Large transactions raise lag and WAL/disk pressure on the receiver.`,
			EnginePGD:      `In synchronous commit scopes, small commits queue behind big ones.`,
		},
		Detection: `Server setting idle_in_transaction_session_timeout = 0 (unlimited idle transactions); workload
statements that write on average at least 10,000 rows per call (pg_stat_statements rows / calls);
and COPY ... FROM statements (bulk loads). Skipped when neither settings nor statements are known.
Transaction durations themselves are not sampled.`,
		Fix: `Batch bulk writes into transactions of a few thousand rows, set a timeout for idle transactions,
and enable streaming of large transactions on the subscriptions:

` + "```sql" + `
ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min';
ALTER SUBSCRIPTION sub_b_from_a SET (streaming = parallel);  -- PostgreSQL 16+
` + "```",
		Example: `UPDATE public.events SET archived = true WHERE created_at < now() - interval '1 year';`,
		References: []string{
			"aws/pgactive:docs/README.md, docs/best-practices.md",
			"https://www.postgresql.org/docs/current/sql-createsubscription.html (streaming)",
		},
	},
	Check: func(p *Pass) {
		if !p.needAny(inspect.EvidenceSettings, inspect.EvidenceStatements) {
			return
		}
		if v, ok := p.DB.SettingInt("idle_in_transaction_session_timeout"); ok && v == 0 {
			p.Report(Finding{
				Object:     "setting idle_in_transaction_session_timeout",
				ObjectKind: "setting",
				Message:    "idle_in_transaction_session_timeout is 0: a session idle in a transaction holds back the xmin horizon and replication indefinitely",
				Fix:        "Set a timeout for idle transactions.",
				FixSQL:     "ALTER SYSTEM SET idle_in_transaction_session_timeout = '5min';\nSELECT pg_reload_conf();",
			})
		}
		for _, s := range analyzed(p.DB) {
			var what string
			switch {
			case s.Facts.Kind == inspect.StmtCopy && len(s.Facts.Writes) > 0:
				what = "is a bulk load (COPY FROM): replicated only at commit as one large transaction"
			case len(s.Facts.Writes) > 0 && s.Calls > 0 && s.Rows/s.Calls >= bulkRowsPerCall:
				what = fmt.Sprintf("writes %s rows per call on average: each call is replicated at commit as one large transaction", inspect.GroupThousands(s.Rows/s.Calls))
			default:
				continue
			}
			var tables []string
			for _, w := range s.Facts.Writes {
				tables = append(tables, tableName(p.index().ref(w.Table), w.Table))
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Table:      strings.Join(tables[:1], ""),
				Message:    fmt.Sprintf("%s %s", stmtText(s), what),
				Fix:        "Batch the write into smaller transactions and enable streaming of large transactions on the subscriptions.",
				Pos:        s.Pos,
			})
		}
	},
}
