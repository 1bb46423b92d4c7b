package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var setvalUsage = &Rule{
	ID:       "AR204",
	Name:     "setval-usage",
	Title:    "Workload calls setval()",
	Severity: Warning,
	Category: CategorySequences,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Code that resets sequences with setval() (after bulk loads, imports, tests, or to "fix" a
sequence after inserting explicit ids) breaks every multi-node id scheme. With per-node offsets a
setval() to max(id)+1 moves the node off its residue and it starts handing out the other nodes'
values; snowflake and global sequences ignore setval() altogether; and on native replication the
call only affects the local node, so the nodes' sequences drift apart.`,
		Engines: map[string]string{
			EngineNative:    `setval() is not replicated (sequences are not replicated before PostgreSQL 19).`,
			EnginePglogical: `Sequence state is synchronized only periodically.`,
			EnginePgactive:  `Snowflake id sequences do not follow setval().`,
			EngineSpock:     `Snowflake sequences ignore setval().`,
			EnginePGD:       `Global sequences (snowflakeid, galloc) ignore INCREMENT, CACHE and setval().`,
		},
		Detection: `Statements of the workload that call setval() (parse-tree fact, so comments and string literals do not count).`,
		Fix: `Remove setval() from application code paths. If explicit ids are loaded, load them into a range that the
id scheme never hands out, or generate them with the same per-node scheme.`,
		Example: `SELECT setval('public.orders_id_seq', (SELECT max(id) FROM public.orders));`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/sequences.mdx",
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
		},
	},
	Check: func(p *Pass) {
		for _, s := range analyzed(p.DB) {
			if len(s.Facts.Setval) == 0 {
				continue
			}
			var seqs []string
			for _, name := range s.Facts.Setval {
				if name != "" {
					seqs = append(seqs, name)
				}
			}
			what := "a sequence"
			if len(seqs) > 0 {
				what = strings.Join(seqs, ", ")
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Table:      statementTable(p, s),
				Message:    fmt.Sprintf("%s resets %s with setval(): per-node offsets and snowflake sequences do not survive it", stmtText(s), what),
				Fix:        "Remove setval() from the application, or make it respect the per-node id scheme.",
				Pos:        s.Pos,
			})
		}
	},
}
