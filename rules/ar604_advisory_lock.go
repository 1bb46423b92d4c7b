package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var advisoryLock = &Rule{
	ID:       "AR604",
	Name:     "advisory-lock",
	Title:    "Advisory locks are node-local",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectNone,
	Doc: Doc{
		Why: `pg_advisory_lock() and its variants are held in one server's lock table. Applications use them
as mutexes (run a job once, migrate once, serialize per customer); with several writable nodes
each node hands out the same lock to its own caller, so the "once" happens once per node.`,
		Engines: map[string]string{
			EngineNative:   `Advisory locks are not replicated.`,
			EnginePgactive: `No inter-node locking.`,
			EnginePGD:      `Node-local; pgd assess reports advisory lock usage.`,
		},
		Detection: `Workload statements that call pg_advisory_lock, pg_try_advisory_lock, their _xact and _shared
variants (parse-tree fact AdvisoryLocks).`,
		Fix: `Take such locks on one designated node (route the job runner or migrator there), or use a lock
service outside the database (etcd, Consul, a lease table written on one home node).`,
		Example: `SELECT pg_try_advisory_lock(42);`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx",
			"aws/pgactive:docs/README.md",
		},
	},
	Check: func(p *Pass) {
		for _, s := range analyzed(p.DB) {
			if len(s.Facts.AdvisoryLocks) == 0 {
				continue
			}
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Table:      statementTable(p, s),
				Message:    fmt.Sprintf("%s calls %s: advisory locks are held on one node only, so another node grants the same lock", stmtText(s), strings.Join(s.Facts.AdvisoryLocks, ", ")),
				Fix:        "Take the lock on one designated node, or use a lock service outside the database.",
				Pos:        s.Pos,
			})
		}
	},
}
