package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// Queue-table thresholds on pg_stat_user_tables.
const (
	queueMinInserts   = 1000 // ignore tables with fewer inserts
	queueDeleteRatio  = 0.8  // deletes >= 80% of inserts
	queueLiveFraction = 0.05 // live rows <= 5% of inserts
)

var queueTable = &Rule{
	ID:         "AR105",
	Name:       "queue-table",
	Title:      "Queue-like table with insert-then-delete churn",
	Severity:   Warning,
	Category:   CategoryKeys,
	Engines:    AllEngines,
	Effect:     EffectHome,
	EffectNote: `A queue of node-local work stays out of replication instead (local). ` + nodeLocalDoc,
	Doc: Doc{
		Why: `A table used as a queue (rows inserted, picked up and deleted shortly after) is the worst case
for asynchronous multi-primary replication. The consumer on node B can delete a row before B has
even received it from node A, or two nodes pick up the same job because the locks that serialize
consumers are node-local. With three or more nodes, an INSERT from A and the DELETE of that row
from B can reach C in the wrong order: the DELETE finds nothing (delete_missing) and the row
lives on forever on C. PGD's documentation recommends not replicating such tables at all.`,
		Engines: map[string]string{
			EngineNative:    `delete_missing is skipped silently; rows can survive on some nodes.`,
			EnginePglogical: `DELETE of a missing row is skipped; same divergence.`,
			EnginePgactive:  `INSERT/DELETE ordering anomalies leave "different data on different nodes".`,
			EngineSpock:     `delete_missing is skipped and logged.`,
			EnginePGD:       `"We recommend not replicating the affected tables" for insert/delete queue tables.`,
		},
		Detection: `From pg_stat_user_tables: at least 1,000 inserts, deletes at least 80% of inserts, and live rows
(n_live_tup, or pg_class.reltuples when larger: a statistics reset zeroes n_live_tup) at most 5% of
inserts. From the workload: the table is both inserted into and deleted from, and
either it is read with a row lock (SELECT ... FOR UPDATE [SKIP LOCKED], the usual job-queue
pattern) or pg_stat_statements shows at least 80% as many rows deleted as inserted.`,
		Fix: `Route the queue's writes to one home node: producers and consumers of a queue row (or of the
whole queue) write on the node that owns it, so a row is inserted, picked up and deleted in one
place while the other nodes still see it. That is the advice for a queue of business work that
other nodes must see, such as orders waiting for delivery. Never reuse a deleted job's key.

Only a queue of node-local work (each node processes its own jobs, nobody elsewhere needs them)
may stay out of replication:

` + "```sql" + `
-- native, on each node (aadvisor bootstrap names the publications aadv_pub_<node>;
-- before bootstrap, leave the table out of the plan's tables instead):
--   psql -v publication=aadv_pub_node1 -f fix.sql
ALTER PUBLICATION :"publication" DROP TABLE public.node_jobs;
` + "```",
		Example: `CREATE TABLE public.jobs (id uuid PRIMARY KEY, payload jsonb);
-- INSERT INTO jobs ...; SELECT ... FROM jobs FOR UPDATE SKIP LOCKED; DELETE FROM jobs WHERE id = $1;`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx (Conflicts with three or more nodes)",
			"aws/pgactive:docs/best-practices.md",
		},
	},
	Check: checkQueueTable,
}

type tableActivity struct {
	insertStmts, deleteStmts int
	insertRows, deleteRows   int64
	lockedRead               bool
}

func workloadActivity(p *Pass) map[*inspect.Table]*tableActivity {
	act := map[*inspect.Table]*tableActivity{}
	get := func(t *inspect.Table) *tableActivity {
		if act[t] == nil {
			act[t] = &tableActivity{}
		}
		return act[t]
	}
	for _, s := range analyzed(p.DB) {
		single := len(s.Facts.Writes) == 1
		for _, w := range s.Facts.Writes {
			t := p.index().ref(w.Table)
			if t == nil {
				continue
			}
			a := get(t)
			switch w.Op {
			case inspect.StmtInsert:
				a.insertStmts++
				if single {
					a.insertRows += s.Rows
				}
			case inspect.StmtDelete:
				a.deleteStmts++
				if single {
					a.deleteRows += s.Rows
				}
			}
		}
		if s.Facts.RowLock != "" {
			for _, r := range s.Facts.Reads {
				if t := p.index().ref(r); t != nil {
					get(t).lockedRead = true
				}
			}
		}
	}
	return act
}

func checkQueueTable(p *Pass) {
	db := p.DB
	if !p.needAny(inspect.EvidenceTableStats, inspect.EvidenceStatements) {
		return
	}
	act := workloadActivity(p)
	for _, t := range replicatedTables(db) {
		var why []string
		if s := t.Stats; s != nil && s.Inserts >= queueMinInserts &&
			float64(s.Deletes) >= queueDeleteRatio*float64(s.Inserts) &&
			float64(s.Rows()) <= queueLiveFraction*float64(s.Inserts) {
			why = append(why, fmt.Sprintf("%s, %s and only %s in pg_stat_user_tables%s",
				plural(s.Inserts, "insert", "inserts"), plural(s.Deletes, "delete", "deletes"), plural(s.Rows(), "live row", "live rows"), statsWindow(db)))
		}
		if a := act[t]; a != nil && a.insertStmts > 0 && a.deleteStmts > 0 {
			switch {
			case a.insertRows >= queueMinInserts && float64(a.deleteRows) >= queueDeleteRatio*float64(a.insertRows):
				why = append(why, fmt.Sprintf("the workload inserts %s and deletes %s", plural(a.insertRows, "row", "rows"), plural(a.deleteRows, "row", "rows")))
			case a.lockedRead:
				why = append(why, "the workload inserts into it, reads it with a row lock and deletes from it (a job-queue pattern)")
			}
		}
		if len(why) == 0 {
			continue
		}
		f := Finding{
			Object:     t.QualifiedName(),
			ObjectKind: "table",
			Table:      t.QualifiedName(),
			Message:    fmt.Sprintf("%s behaves like a queue: %s; rows deleted on one node can be resurrected or processed twice on another", t.QualifiedName(), strings.Join(why, "; ")),
			Fix:        "Route the queue's producers and consumers to one home node (per queue row or for the whole queue), so other nodes still see its rows.",
			Pos:        t.Pos,
		}
		if nl := nodeLocal(p, t); nl != "" {
			f.Effect, f.EffectWhy = EffectLocal, nl
			f.Fix = "Keep the queue node-local (" + nl + "): leave it out of the publication or replication set."
			f.FixSQL = fmt.Sprintf("-- native, on each node: leave the queue out of its publication (aadvisor bootstrap names it aadv_pub_<node>;\n"+
				"-- before bootstrap, leave the table out of the plan's tables instead). Run with: psql -v publication=aadv_pub_<node> -f fix.sql\n"+
				"ALTER PUBLICATION :\"publication\" DROP TABLE %s;", t.Ident())
		}
		p.Report(f)
	}
}
