package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var replicaIdentityExternalStorage = &Rule{
	ID:       "AR408",
	Name:     "replica-identity-external-storage",
	Title:    "Replica-identity column stored EXTERNAL",
	Severity: Warning,
	Category: CategoryReplicationScope,
	Engines:  []string{EnginePGD},
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `A key column with STORAGE EXTERNAL keeps large values out of line and uncompressed. When such a
value is unchanged by an UPDATE it is not in the WAL record, so the identity of the row is
incomplete on apply. PGD states it "can't work correctly if Replica Identity columns are marked as
external".`,
		Engines: map[string]string{
			EnginePGD: `"PGD can't work correctly if Replica Identity columns are marked as external".`,
		},
		Detection: `Columns of the primary key or replica identity index with attstorage = 'e'.`,
		Fix:       "```sql\nALTER TABLE public.docs ALTER COLUMN slug SET STORAGE EXTENDED;\n```",
		Example:   `ALTER TABLE public.docs ALTER COLUMN slug SET STORAGE EXTERNAL;  -- slug is the primary key`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			for _, name := range identityColumns(p, t) {
				c := t.Column(name)
				if c == nil || c.Storage != "external" {
					continue
				}
				p.Report(Finding{
					Object:     colObject(t, c.Name),
					ObjectKind: "column",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("replica-identity column %s has STORAGE EXTERNAL: unchanged values are missing from the change record", colObject(t, c.Name)),
					Fix:        "Set the column's storage back to EXTENDED (or MAIN).",
					FixSQL:     fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET STORAGE EXTENDED;", t.Ident(), inspect.QuoteIdent(c.Name)),
					Pos:        c.Pos,
				})
			}
		}
	},
}
