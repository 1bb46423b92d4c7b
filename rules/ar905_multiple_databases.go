package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var multipleDatabases = &Rule{
	ID:       "AR905",
	Name:     "multiple-databases",
	Title:    "Instance holds more than one application database",
	Severity: Info,
	Category: CategoryServer,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceDatabases},
	Doc: Doc{
		Why: `Every engine replicates one database at a time: each database needs its own publications,
subscriptions, slots and workers (multiplying the capacity needs of replication-capacity), and
an assessment of one database says nothing about the others. PGD 6 no longer supports several
databases in one node group.`,
		Engines: map[string]string{
			EnginePGD:    `Multiple databases are deprecated ("will no longer be supported with PGD 6"); pgd assess flags them.`,
			EngineNative: `Publications and subscriptions are per database.`,
		},
		Detection: `Non-template databases of the instance other than postgres and the inspected one (pg_database).`,
		Fix: `Plan one mesh per database (and size slots and workers for all of them), assess each database, or
consolidate databases into schemas.`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/planning/limitations.mdx",
		},
	},
	Check: func(p *Pass) {
		var others []string
		for _, d := range p.DB.Databases {
			if d == "postgres" || d == p.DB.Name || strings.HasPrefix(d, "template") {
				continue
			}
			others = append(others, d)
		}
		if len(others) == 0 {
			return
		}
		p.Report(Finding{
			Object:     "database " + p.DB.Name,
			ObjectKind: "database",
			Message:    fmt.Sprintf("the instance also holds %s: %s; each needs its own mesh and assessment", plural(int64(len(others)), "other database", "other databases"), strings.Join(others, ", ")),
			Fix:        "Plan and assess one mesh per database, or consolidate databases into schemas.",
		})
	},
}
