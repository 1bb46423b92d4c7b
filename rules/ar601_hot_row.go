package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

// Hot-row thresholds on pg_stat_user_tables.
const (
	hotMinUpdates    = 10000 // ignore tables with fewer updates
	hotUpdatesPerRow = 100   // updates per live row
)

var hotRow = &Rule{
	ID:       "AR601",
	Name:     "hot-row",
	Title:    "Few rows take many updates",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceTableStats},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `A table whose few rows are updated over and over (counters, balances, inventory levels, "last
seen" rows, settings) is where UPDATE/UPDATE conflicts concentrate. If the same row is updated on
two nodes within the replication lag, last-update-wins keeps one update and discards the other:
an increment, a stock reservation or a balance change is lost without an error. The more updates
per row, the more likely two nodes touch the same row inside the conflict window.`,
		Engines: map[string]string{
			EngineNative:    `update_origin_differs: the remote change is applied, the local one lost (logged on PG18).`,
			EnginePglogical: `last_update_wins (or apply_remote, the default) keeps one version.`,
			EnginePgactive:  `"Just because you can write to any node doesn't mean you should write to the same row".`,
			EngineSpock:     `Last-update-wins; delta-apply columns keep increments.`,
			EnginePGD:       `update_if_newer by default; CRDT column types keep concurrent increments.`,
		},
		Detection: `pg_stat_user_tables: at least 10,000 updates and at least 100 updates per live row
(n_tup_upd / greatest(n_live_tup, 1)) since the statistics were reset.`,
		Fix: `Route all writes of a hot row to one home node (by key), turn in-place counters into an append-only
ledger that replicates without conflicts, or use conflict-free column types where the engine has
them (Spock delta-apply, PGD CRDTs):

` + "```sql" + `
CREATE TABLE public.account_moves (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id bigint NOT NULL, amount numeric NOT NULL, at timestamptz NOT NULL DEFAULT now());
-- balance = SELECT sum(amount) FROM public.account_moves WHERE account_id = $1
` + "```",
		Example: `UPDATE public.stock SET qty = $1 WHERE sku = $2;  -- 40 rows, 2 million updates`,
		References: []string{
			"aws/pgactive:docs/best-practices.md",
			"pgEdge/spock:docs/conflicts.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/conflict-management/crdt/06_crdt-implemented.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			s := t.Stats
			if s == nil || s.Updates < hotMinUpdates {
				continue
			}
			live := max(s.LiveTup, 1)
			per := s.Updates / live
			if per < hotUpdatesPerRow {
				continue
			}
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message: fmt.Sprintf("%s has %s and took %s (%s per row)%s: concurrent updates of the same row on two nodes lose one of them",
					t.QualifiedName(), plural(s.LiveTup, "live row", "live rows"), plural(s.Updates, "update", "updates"), count(per), statsWindow(p.DB)),
				Fix: "Route writes of each hot row to one home node, or replace in-place updates with an append-only ledger or the engine's conflict-free types.",
				Pos: t.Pos,
			})
		}
	},
}
