package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var rowLocking = &Rule{
	ID:       "AR603",
	Name:     "row-locking",
	Title:    "Row or table locks protect a read-then-write",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `SELECT ... FOR UPDATE / FOR SHARE and LOCK TABLE serialize transactions on one node only: locks
are not replicated. Code that locks a row, checks it, and then writes (reserve a seat, take a job,
check a balance) is safe on a single primary and races freely when another node runs the same code
on its own copy of the row. Both transactions succeed, and replication then keeps one of the writes
(or both, for inserts), so the invariant the lock protected is broken.`,
		Engines: map[string]string{
			EngineNative:    `Locks are node-local.`,
			EnginePglogical: `Locks are node-local.`,
			EnginePgactive:  `"no inter-node row or relation locking".`,
			EngineSpock:     `Locks are node-local.`,
			EnginePGD:       `Node-local unless Eager replication or commit scopes are used; pgd assess reports LOCK TABLE and row-level lock usage.`,
		},
		Detection: `Workload statements with a locking clause (FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY
SHARE) or LOCK TABLE, as parse-tree facts. PostgreSQL's own foreign-key checks (SELECT 1 FROM [ONLY] t x
WHERE ... OPERATOR(pg_catalog.=) ... FOR KEY SHARE OF x), which pg_stat_statements records with
track = all, are not the application's and do not count.`,
		Fix: `Route the flows that rely on the lock to a single writer node (home-node routing by key), or
replace the lock by an atomic conditional write whose conflict is detectable, or use a
distributed lock outside the database. PGD users can use Eager replication or commit scopes for
these transactions.`,
		Example: `SELECT * FROM public.seats WHERE id = $1 FOR UPDATE;`,
		References: []string{
			"aws/pgactive:docs/README.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, s := range analyzed(p.DB) {
			f := s.Facts
			if f.RowLock == "" && len(f.LockTables) == 0 {
				continue
			}
			var what string
			switch {
			case len(f.LockTables) > 0:
				var names []string
				for _, r := range f.LockTables {
					names = append(names, tableName(p.index().ref(r), r))
				}
				mode := f.LockMode
				if mode == "" {
					mode = "ACCESS EXCLUSIVE"
				}
				what = fmt.Sprintf("takes %s locks on %s", strings.ToUpper(mode), strings.Join(names, ", "))
			default:
				what = "takes " + strings.ToUpper(f.RowLock) + " row locks"
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Table:      statementTable(p, s),
				Message:    fmt.Sprintf("%s %s, which exist only on this node: the same code on another node does not wait for them", stmtText(s), what),
				Fix:        "Route the flow that relies on this lock to one writer node, or use an atomic conditional write or a distributed lock.",
				Pos:        s.Pos,
			})
		}
	},
}
