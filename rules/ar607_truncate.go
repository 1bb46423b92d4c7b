package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var truncateRule = &Rule{
	ID:       "AR607",
	Name:     "truncate",
	Title:    "Workload truncates tables",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `TRUNCATE is replicated as a whole-table operation and never produces row conflicts, so rows
another node inserted just before the TRUNCATE arrived survive there and nowhere else (or the
other way round): the nodes diverge silently. CASCADE is applied only on the origin by pglogical
and Spock, RESTART IDENTITY is not replicated by pglogical, and native apply fails when tables
linked by foreign keys are not all in the subscription.`,
		Engines: map[string]string{
			EngineNative:    `Replicated; fails on the subscriber when foreign-key-linked tables are outside the subscription.`,
			EnginePglogical: `CASCADE applies only on the provider; RESTART IDENTITY is not replicated.`,
			EnginePgactive:  `"must be used with extreme caution or avoided".`,
			EngineSpock:     `CASCADE only on the provider; RESTART IDENTITY is replicated.`,
			EnginePGD:       `Never produces row conflicts, so concurrent DML diverges; bdr.truncate_locking = on serializes it.`,
		},
		Detection: `Workload statements that TRUNCATE a table (parse-tree fact), with CASCADE and RESTART IDENTITY noted.`,
		Fix: `Use DELETE (which replicates row by row and can conflict visibly), or truncate only in maintenance
windows with writes stopped on all nodes; on PGD set bdr.truncate_locking = on.`,
		Example: `TRUNCATE public.staging_rows;`,
		References: []string{
			"2ndQuadrant/pglogical:docs/README.md (TRUNCATE)",
			"pgEdge/spock:docs/limitations.md",
			"aws/pgactive:docs/best-practices.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx (TRUNCATE conflicts)",
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
		},
	},
	Check: func(p *Pass) {
		for _, w := range writes(p) {
			if w.W.Op != inspect.StmtTruncate {
				continue
			}
			var opts []string
			if w.W.Cascade {
				opts = append(opts, "CASCADE (applied only on the origin by pglogical and Spock)")
			}
			if w.W.RestartIdentity {
				opts = append(opts, "RESTART IDENTITY (not replicated by pglogical)")
			}
			extra := ""
			if len(opts) > 0 {
				extra = " with " + strings.Join(opts, " and ")
			}
			name := tableName(w.Table, w.W.Table)
			p.Report(Finding{
				Object:     name,
				ObjectKind: "table",
				Table:      name,
				Message:    fmt.Sprintf("%s truncates %s%s: TRUNCATE causes no row conflicts, so rows written concurrently on other nodes diverge", stmtText(w.Stmt), name, extra),
				Fix:        "Use DELETE, or truncate only with writes stopped on all nodes.",
				Pos:        w.Stmt.Pos,
			})
		}
	},
}
