package rules

import (
	"fmt"
	"strings"
)

var collationProvider = &Rule{
	ID:       "AR908",
	Name:     "collation-provider",
	Title:    "Collation depends on the operating system's library version",
	Severity: Info,
	Category: CategoryServer,
	Engines:  AllEngines,
	Doc: Doc{
		Why: `Text ordering comes from the C library (libc provider) or from ICU. Different glibc versions sort
some strings differently (glibc 2.28 changed most locales), and so do different ICU versions. Nodes
built from different images then disagree about the order, and so the contents, of B-tree indexes
on text: a unique index can accept on one node a value it rejects on another, and range queries
differ. pgactive refuses to join nodes whose collations differ; PGD assumes identical collations.
The C and C.UTF-8 locales and the builtin provider (PostgreSQL 17+) do not depend on library
versions.`,
		Engines: map[string]string{
			EnginePgactive:  `Join fails unless datcollate/datctype match ("Collation needs to be identical on all node").`,
			EnginePglogical: `Encodings must match.`,
			EngineSpock:     `Encodings must match.`,
			EnginePGD:       `Assumes identical default collation on all nodes.`,
		},
		Detection: `The database's locale provider and collation (pg_database.datlocprovider, datcollate). A libc
collation other than C/POSIX/C.UTF-8, or any ICU collation, is reported. Skipped when the collation is
unknown (offline input).`,
		Fix: `Build every node from the same image (same glibc or ICU version), compare
pg_database.datcollversion across nodes, and REINDEX text indexes after a library upgrade. New
clusters can use the builtin provider (PostgreSQL 17+): initdb --locale-provider=builtin
--builtin-locale=C.UTF-8.`,
		References: []string{
			"aws/pgactive:pgactive--2.1.9.sql (collation check on join)",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
			"https://wiki.postgresql.org/wiki/Locale_data_changes",
		},
	},
	Check: func(p *Pass) {
		db := p.DB
		provider := strings.ToLower(db.LocaleProvider)
		if db.Collate == "" && provider == "" {
			if offline(db) {
				p.Skip("offline input has no database collation; run assess --dsn", fixLive)
			} else {
				p.Skip("the database collation was not read", fixLive)
			}
			return
		}
		coll := db.Collate
		switch provider {
		case "builtin", "b":
			return
		case "icu", "i":
			p.Report(Finding{
				Object:     "database " + db.Name,
				ObjectKind: "database",
				Message:    fmt.Sprintf("the database uses an ICU collation (%s): all nodes must run the same ICU version, or text indexes order differently", coll),
				Fix:        "Build every node from the same image and compare datcollversion across nodes; REINDEX text indexes after ICU upgrades.",
			})
		default:
			switch strings.ToLower(coll) {
			case "", "c", "posix", "c.utf-8", "c.utf8":
				return
			}
			p.Report(Finding{
				Object:     "database " + db.Name,
				ObjectKind: "database",
				Message:    fmt.Sprintf("the database uses the libc collation %s: its sort order depends on the glibc version, which must be the same on every node", coll),
				Fix:        "Build every node from the same image (same glibc), or use the C.UTF-8 or builtin locale; REINDEX text indexes after glibc upgrades.",
			})
		}
	},
}
