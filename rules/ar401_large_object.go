package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var largeObject = &Rule{
	ID:       "AR401",
	Name:     "large-object",
	Title:    "Large objects are not replicated",
	Severity: Error,
	Category: CategoryReplicationScope,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Large objects live in pg_largeobject, a system catalog that logical decoding does not carry. A row
replicated to another node keeps the oid of its large object, but the object itself exists only on
the node that created it: reads on the other nodes fail or find another object, and the data is
lost when the origin node is. No engine replicates them.`,
		Engines: map[string]string{
			EngineNative:    `"Large objects ... are not replicated. There is no workaround for that, other than storing data in normal tables."`,
			EnginePglogical: `Not replicated.`,
			EnginePgactive:  `Not replicated.`,
			EngineSpock:     `Not replicated; the LOLOR extension stores large objects in replicated tables.`,
			EnginePGD:       `Not supported; use bytea.`,
		},
		Detection: `Columns of type oid or lo in application tables, large objects counted in pg_largeobject_metadata
(live), and lo_* / loread / lowrite calls in the workload.`,
		Fix: `Store the data in bytea columns (or in object storage with the key in a column), migrating the
existing objects:

` + "```sql" + `
ALTER TABLE public.documents ADD COLUMN body_bytes bytea;
UPDATE public.documents SET body_bytes = lo_get(body);
-- then drop the oid column and lo_unlink the objects
` + "```" + `

On Spock, the LOLOR extension is an alternative.`,
		Example: `CREATE TABLE public.documents (id uuid PRIMARY KEY, body oid);`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
			"2ndQuadrant/pglogical:docs/README.md (Large objects)",
			"pgEdge/spock:docs/managing/lolor.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: func(p *Pass) {
		db := p.DB
		found := false
		for _, t := range replicatedTables(db) {
			for _, c := range t.Columns {
				typ := strings.ToLower(c.Type)
				if typ != "oid" && typ != "lo" && !strings.HasSuffix(typ, ".lo") {
					continue
				}
				found = true
				p.Report(Finding{
					Object:     colObject(t, c.Name),
					ObjectKind: "column",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("column %s is of type %s: the large objects it points to are not replicated", colObject(t, c.Name), c.Type),
					Fix:        "Store the data in a bytea column (or object storage) instead of large objects.",
					FixSQL: fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s bytea;\nUPDATE %s SET %s = lo_get(%s);",
						t.Ident(), inspect.QuoteIdent(c.Name+"_bytes"), t.Ident(), inspect.QuoteIdent(c.Name+"_bytes"), inspect.QuoteIdent(c.Name)),
					Pos: c.Pos,
				})
			}
		}
		if db.LargeObjects > 0 {
			found = true
			p.Report(Finding{
				Object:     "database",
				ObjectKind: "database",
				Message:    fmt.Sprintf("the database holds %s (pg_largeobject_metadata): none of them is replicated", plural(db.LargeObjects, "large object", "large objects")),
				Fix:        "Migrate the large objects to bytea columns or object storage before replicating.",
			})
		}
		for _, s := range analyzed(db) {
			if !s.Facts.LargeObjects {
				continue
			}
			found = true
			p.Report(Finding{
				Object:     stmtObject(s),
				ObjectKind: "statement",
				Table:      statementTable(p, s),
				Message:    fmt.Sprintf("%s uses large-object functions: the objects stay on the node that wrote them", stmtText(s)),
				Fix:        "Read and write bytea columns instead of large objects.",
				Pos:        s.Pos,
			})
		}
		if !found {
			if sk := db.SkippedFor(inspect.EvidenceLargeObjects); sk != nil {
				p.Skip(sk.Reason, sk.Fix)
			}
		}
	},
}
