package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var partitionedTable = &Rule{
	ID:       "AR406",
	Name:     "partitioned-table",
	Title:    "Partitioned or inheritance table needs partitions on every node",
	Severity: Info,
	Category: CategoryReplicationScope,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Partitions are separate tables to logical replication. Unless the publication publishes via the
partition root, every partition must exist on every node with the same bounds, and a partition
created on one node (by a job that creates next month's partition) is not created on the others:
rows routed to it fail to apply there. An UPDATE that moves a row to another partition is
replicated as a DELETE and an INSERT, which can raise insert_exists. Legacy inheritance children
are published separately and the parent's ONLY semantics do not carry over.`,
		Engines: map[string]string{
			EngineNative: `Leaf partitions must exist on the subscriber unless publish_via_partition_root; cross-partition UPDATE can raise insert_exists.`,
			EngineSpock:  `New partitions are "not automatically replicated" (spock.repset_add_partition()); detached ones are not removed.`,
			EnginePGD:    `Transparent.`,
		},
		Detection: `Partitioned tables (relkind = 'p') with their number of partitions, and tables that use legacy
inheritance.`,
		Fix: `Create partitions ahead of time on all nodes (the same job on every node, creating the same
bounds), and publish through the root so the subscriber may partition differently:

` + "```sql" + `
CREATE PUBLICATION mesh FOR TABLE public.events WITH (publish_via_partition_root = true);
` + "```",
		Example: `CREATE TABLE public.events (id uuid, at timestamptz, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
			"pgEdge/spock:docs/limitations.md",
		},
	},
	Check: func(p *Pass) {
		db := p.DB
		for _, t := range replicatedTables(db) {
			switch {
			case t.Kind == inspect.RelPartitioned:
				n := p.index().partitions[t]
				key := ""
				if t.PartitionKey != "" {
					key = " (PARTITION BY " + t.PartitionKey + ")"
				}
				p.Report(Finding{
					Object:     t.QualifiedName(),
					ObjectKind: "table",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("%s is partitioned%s with %s: every partition must exist on every node, and new partitions are not replicated", t.QualifiedName(), key, plural(int64(n), "partition", "partitions")),
					Fix:        "Create partitions ahead of time on all nodes and publish via the partition root.",
					FixSQL:     fmt.Sprintf("CREATE PUBLICATION mesh FOR TABLE %s WITH (publish_via_partition_root = true);", t.Ident()),
					Pos:        t.Pos,
				})
			case len(t.Inherits) > 0 && t.PartitionOf == "":
				p.Report(Finding{
					Object:     t.QualifiedName(),
					ObjectKind: "table",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("%s inherits from %s: inheritance children are published as separate tables", t.QualifiedName(), strings.Join(t.Inherits, ", ")),
					Fix:        "Publish every inheritance child and create new children on all nodes, or migrate to declarative partitioning.",
					Pos:        t.Pos,
				})
			}
		}
	},
}
