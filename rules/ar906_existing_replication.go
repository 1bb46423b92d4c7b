package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var existingReplication = &Rule{
	ID:       "AR906",
	Name:     "existing-replication",
	Title:    "Replication already configured in the database",
	Severity: Warning,
	Category: CategoryServer,
	Engines:  AllEngines,
	Doc: Doc{
		Why: `Engines do not share a database well. pgactive cannot be a subscriber of native or pglogical
replication and blocks CREATE EXTENSION of other logical replication extensions; Spock node ids
overlap with replication origins and Spock advises against native subscriptions in the same
database. Existing publications, subscriptions and logical slots also belong to someone (a CDC
pipeline, an earlier migration) whose consumers must keep working, and leftover ones retain WAL.`,
		Engines: map[string]string{
			EnginePgactive: `Cannot subscribe to native or pglogical replication; blocks other logical replication extensions.`,
			EngineSpock:    `"Avoid running Spock and native logical replication subscriptions on the same database".`,
			EngineNative:   `Coexists, but origin = none filters changes applied by any subscription, including other pipelines'.`,
		},
		Detection: `Installed extensions pglogical, pgactive, spock, bdr; publications; subscriptions; logical
replication slots (live).`,
		Fix: `Choose one engine per database: remove leftovers (DROP SUBSCRIPTION, DROP PUBLICATION,
pg_drop_replication_slot, DROP EXTENSION) or plan the mesh with the engine already installed, and
keep the consumers of existing publications in mind.`,
		References: []string{
			"aws/pgactive:docs/README.md, src/pgactive_commandfilter.c",
			"pgEdge/spock:docs/limitations.md",
		},
	},
	Check: func(p *Pass) {
		db := p.DB
		found := false
		for _, e := range db.Extensions {
			switch e.Name {
			case "pglogical", "pgactive", "spock", "bdr":
			default:
				continue
			}
			found = true
			p.Report(Finding{
				Object:     "extension " + e.Name,
				ObjectKind: "extension",
				Message:    fmt.Sprintf("extension %s is installed: choose one replication engine per database", e.Name),
				Fix:        "Plan the mesh with this engine, or remove it before setting up another.",
				FixSQL:     fmt.Sprintf("DROP EXTENSION %s;  -- only after its nodes and subscriptions are removed", inspect.QuoteIdent(e.Name)),
				Pos:        e.Pos,
			})
		}
		for _, pub := range db.Publications {
			found = true
			scope := ""
			if pub.AllTables {
				scope = " (FOR ALL TABLES)"
			}
			p.Report(Finding{
				Severity:   Info,
				Object:     "publication " + pub.Name,
				ObjectKind: "publication",
				Message:    fmt.Sprintf("publication %s%s already exists: find its consumers before reusing or dropping it", inspect.QuoteIdent(pub.Name), scope),
				Fix:        "Keep it for its consumers, reuse it for the mesh, or drop it.",
			})
		}
		for _, sub := range db.Subscriptions {
			found = true
			origin := sub.Origin
			if origin == "" {
				origin = "any"
			}
			p.Report(Finding{
				Object:     "subscription " + sub.Name,
				ObjectKind: "subscription",
				Message:    fmt.Sprintf("subscription %s (origin = %s, enabled = %t) already applies changes into this database", inspect.QuoteIdent(sub.Name), origin, sub.Enabled),
				Fix:        "Fold it into the mesh design or drop it before setting up the mesh.",
				FixSQL:     fmt.Sprintf("DROP SUBSCRIPTION %s;", inspect.QuoteIdent(sub.Name)),
			})
		}
		for _, s := range db.ReplicationSlots {
			if s.Type != "logical" || s.Temporary {
				continue
			}
			found = true
			plugin := ""
			if s.Plugin != "" {
				plugin = " (plugin " + s.Plugin + ")"
			}
			p.Report(Finding{
				Severity:   Info,
				Object:     "slot " + s.Name,
				ObjectKind: "slot",
				Message:    fmt.Sprintf("logical slot %s%s already exists: another consumer reads this database's changes", inspect.QuoteIdent(s.Name), plugin),
				Fix:        "Count it in the slot budget and keep its consumer working, or drop it.",
			})
		}
		if !found {
			if sk := db.SkippedFor(inspect.EvidenceSubscription); sk != nil {
				p.Skip(sk.Reason, sk.Fix)
			}
		}
	},
}
