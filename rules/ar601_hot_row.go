package rules

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// DefaultReplicationWindow is the replication window W assumed when the
// user gives none: one-way latency plus apply lag between two writing
// regions (docs/decision.md, "The default replication window"). It is
// defined here, the lowest package that needs it, and used as it is by the
// hot-row rule, ask's replication_window_ms question and observe's --lag.
const DefaultReplicationWindow = 100 * time.Millisecond

// Hot-row judgement: the chance that an update of a row meets a
// concurrent update of the same row on another node, from the per-row
// update rate over the statistics window and DefaultReplicationWindow.
const (
	// HotPConflict is the chance of a conflict per update above which a
	// row is hot (assess's hot_row_p_conflict threshold).
	HotPConflict = 0.01
	// hotMinUpdates: fewer updates than this cannot show a rate.
	hotMinUpdates = 100
	// hotShortWindow: statistics gathered over less time than this are
	// too short to call a table cold.
	hotShortWindow = 10 * time.Minute
	// Without a window, concentration alone: at least this many updates,
	// and this many per live row.
	hotMinUpdatesNoWindow = 10000
	hotUpdatesPerRow      = 100
)

// HotRowPConflict is P(an update of a row conflicts) when the row takes
// rate updates per second spread evenly over nodes nodes and the
// replication window is w: 1 − e^(−2·w·rate·(nodes−1)/nodes), the
// forecast's Σ sᵢ·(1 − e^(−2W·λ·(1−sᵢ))) with equal shares.
func HotRowPConflict(w time.Duration, rate float64, nodes int) float64 {
	if nodes < 2 {
		return 0
	}
	return 1 - math.Exp(-2*w.Seconds()*rate*float64(nodes-1)/float64(nodes))
}

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
		Detection: `Concentration and rate, not a count: the updates of each table per live row per second over the
statistics window (n_tup_upd / greatest(n_live_tup, pg_class.reltuples, 1) / seconds since
pg_stat_database.stats_reset, or since the database was created when its statistics were never
reset; reltuples because a reset sets n_live_tup to 0) give the chance that an
update meets a concurrent update of the same row on another node within the replication window W
(` + windowText(DefaultReplicationWindow) + `, the default of ask and observe, docs/decision.md) across the planned nodes:
1 - exp(-2 W rate (N-1)/N), as the forecast of observe computes it for even shares. A table is
hot from a chance of 1% (the decision procedure's hot_row_p_conflict), given at least 100
updates: a 1-row table that took 1,500 updates in 5 seconds is hot. Rows are not all equally
hot, so the average understates the hottest.

When the statistics window is shorter than 10 minutes, tables that are not found hot are not
called cold: the rule says it could not judge them, with their numbers (the partitions of one
partitioned table summed, on the partitioned table). When the window is not
known (no reset time, and the database's creation time is not readable), concentration alone is
judged: at least 10,000 updates and 100 per live row.`,
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
	Check: checkHotRow,
}

func checkHotRow(p *Pass) {
	w := p.DB.Workload
	var window time.Duration
	if !w.TableStatsSince.IsZero() && w.CollectedAt.After(w.TableStatsSince) {
		window = w.CollectedAt.Sub(w.TableStatsSince)
	}
	nodes := p.Config.Nodes
	// Tables too quiet, or watched too briefly, to judge; the partitions of
	// one partitioned table are one entry, on its root.
	type quiet struct {
		name          string
		rows, updates int64
		parts         int
		rowsText      string
	}
	var unjudged []*quiet
	byRoot := map[string]*quiet{}
	for _, t := range replicatedTables(p.DB) {
		s := t.Stats
		if s == nil || s.Updates <= 0 {
			continue
		}
		live := max(s.Rows(), 1)
		rows := plural(s.LiveTup, "live row", "live rows")
		if s.RelTuples > s.LiveTup {
			// n_live_tup restarted at a statistics reset; reltuples did not
			rows = "about " + plural(s.RelTuples, "row", "rows") + " (pg_class.reltuples)"
		}
		if window == 0 {
			per := s.Updates / live
			if s.Updates < hotMinUpdatesNoWindow || per < hotUpdatesPerRow {
				continue
			}
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message: fmt.Sprintf("%s has %s and took %s (%s per row) over a statistics window that is not known, so the rate cannot be judged: concurrent updates of the same row on two nodes lose one of them",
					t.QualifiedName(), rows, plural(s.Updates, "update", "updates"), inspect.GroupThousands(per)),
				Fix: "Route writes of each hot row to one home node, or replace in-place updates with an append-only ledger or the engine's conflict-free types.",
				Pos: t.Pos,
			})
			continue
		}
		rate := float64(s.Updates) / float64(live) / window.Seconds()
		pc := HotRowPConflict(DefaultReplicationWindow, rate, nodes)
		numbers := fmt.Sprintf("%s and took %s in %s (%s updates per row per second)",
			rows, plural(s.Updates, "update", "updates"), windowText(window), rateText(rate))
		switch {
		case pc >= HotPConflict && s.Updates >= hotMinUpdates:
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message: fmt.Sprintf("%s has %s: with a %s replication window across %d nodes, %s of its updates meet a concurrent update of the same row on another node (hot from %s), and last-update-wins loses one of them",
					t.QualifiedName(), numbers, windowText(DefaultReplicationWindow), nodes, percent(pc), percent(HotPConflict)),
				Fix: "Route writes of each hot row to one home node, or replace in-place updates with an append-only ledger or the engine's conflict-free types.",
				Pos: t.Pos,
			})
		case window < hotShortWindow || s.Updates < hotMinUpdates && pc >= HotPConflict:
			root := partitionRoot(p, t)
			if root == nil {
				unjudged = append(unjudged, &quiet{name: t.QualifiedName(), rows: live, updates: s.Updates, rowsText: rows})
				continue
			}
			q := byRoot[root.QualifiedName()]
			if q == nil {
				q = &quiet{name: root.QualifiedName()}
				byRoot[q.name] = q
				unjudged = append(unjudged, q)
			}
			q.rows, q.updates, q.parts = q.rows+live, q.updates+s.Updates, q.parts+1
			q.rowsText = plural(int64(q.parts), "partition", "partitions") + ", " + plural(q.rows, "row", "rows")
		}
	}
	if len(unjudged) > 0 {
		var list []string
		for _, q := range unjudged {
			list = append(list, fmt.Sprintf("%s (%s, %s, %s updates per row per second)",
				q.name, q.rowsText, plural(q.updates, "update", "updates"), rateText(float64(q.updates)/float64(q.rows)/window.Seconds())))
		}
		more := ""
		if len(list) > 5 {
			list, more = list[:5], fmt.Sprintf("; and %d more", len(list)-5)
		}
		p.Skip(fmt.Sprintf("the table statistics cover %s, too short to judge the update rate of %s%s",
			windowText(window), strings.Join(list, "; "), more),
			"reset the statistics (SELECT pg_stat_reset()) and assess again after at least 10 minutes of representative load")
	}
}

// windowText formats a window: "850ms", "5.0s", "42s", "3m", "6h", "3d".
func windowText(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < 10*time.Second:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	}
	return duration(d)
}

// rateText formats a rate with two significant digits.
func rateText(r float64) string {
	switch {
	case r >= 100:
		return inspect.GroupThousands(int64(math.Round(r)))
	}
	return strconv.FormatFloat(r, 'g', 2, 64)
}

// percent formats a probability: "nearly all", "14%", "1.4%", "0.02%".
func percent(x float64) string {
	if x >= 0.995 {
		return "nearly all"
	}
	return strconv.FormatFloat(100*x, 'g', 2, 64) + "%"
}
