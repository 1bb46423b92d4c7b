package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var replicaIdentityFull = &Rule{
	ID:       "AR103",
	Name:     "replica-identity-full",
	Title:    "Table with REPLICA IDENTITY FULL",
	Severity: Warning,
	Category: CategoryKeys,
	Engines:  []string{EngineNative, EnginePglogical, EnginePgactive, EngineSpock, EnginePGD},
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `With REPLICA IDENTITY FULL every UPDATE and DELETE writes the whole old row to WAL, and the
subscriber matches rows by comparing all columns (with a sequential scan unless an index can be
used, PostgreSQL 16+). That multiplies WAL volume and apply time on every peer of the mesh, and
the multi-master engines that resolve conflicts by key either do not support it or only in
combination with a primary key. Columns whose types have no equality operator (point, json)
cannot be matched at all.`,
		Engines: map[string]string{
			EngineNative:    `Works, but WAL-heavy; apply scans unless a suitable index exists (PG16+ can use one).`,
			EnginePglogical: `"REPLICA IDENTITY FULL is not supported yet".`,
			EnginePgactive:  `Not supported for conflict handling (aws/pgactive#301).`,
			EngineSpock:     `Only together with delta-apply on tables that also have a primary key.`,
			EnginePGD:       `Works, but "can increase WAL size significantly".`,
		},
		Detection: `pg_class.relreplident = 'f' on a permanent table of the application. Tables with FULL and no
primary key are reported by missing-primary-key instead.`,
		Fix: `Use the primary key as the identity:

` + "```sql" + `
ALTER TABLE public.orders REPLICA IDENTITY DEFAULT;
` + "```",
		Example: `CREATE TABLE public.orders (id bigint PRIMARY KEY, total numeric);
ALTER TABLE public.orders REPLICA IDENTITY FULL;`,
		References: []string{
			"2ndQuadrant/pglogical:docs/README.md (Limitations and restrictions)",
			"pgEdge/spock:docs/limitations.md",
			"https://github.com/aws/pgactive/issues/301",
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			if t.ReplicaIdentity != inspect.IdentityFull || primaryKey(p, t) == nil {
				continue
			}
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message:    fmt.Sprintf("%s uses REPLICA IDENTITY FULL although it has a primary key: every UPDATE and DELETE logs the whole old row, and pglogical and pgactive cannot resolve conflicts on it", t.QualifiedName()),
				Fix:        "Use the primary key as the replica identity.",
				FixSQL:     fmt.Sprintf("ALTER TABLE %s REPLICA IDENTITY DEFAULT;", t.Ident()),
				Pos:        t.Pos,
			})
		}
	},
}
