package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var outputPluginLibraries = &Rule{
	ID:       "AR909",
	Name:     "output-plugin-libraries",
	Title:    "output_plugin_libraries leaves out the engine's output plugin",
	Severity: Warning,
	Category: CategoryServer,
	Engines:  []string{EngineNative, EnginePglogical},
	Needs:    []string{inspect.EvidenceSettings, inspect.EvidenceHiddenSettings},
	Doc: Doc{
		Why: `Each peer reads this node's changes through a logical replication slot and the engine's output
plugin: pgoutput for native logical replication, pglogical_output for pglogical. The minor releases
of November 2026 (15.19 and the releases of the same day) added output_plugin_libraries, the list
of plugins a replication connection may decode with, by default 'pgoutput, test_decoding' only.
A plugin left out of it cannot create its slot: the subscription is created, its apply worker
retries every few seconds, nothing replicates, and the reason ("library ... may not be used as an
output plugin") is only in the provider's server log. Every pglogical node of a server updated to
these releases has this until the setting names pglogical_output. A warning, not an error: it
concerns one engine and takes a reload to fix, and bootstrap's prechecks refuse to start an engine
whose plugin is not allowed.`,
		Engines: map[string]string{
			EngineNative:    `Decodes with pgoutput, which the default list has; only a list narrowed by hand leaves it out.`,
			EnginePglogical: `Decodes with pglogical_output, which the default list does not have.`,
		},
		Detection: `Server setting output_plugin_libraries (pg_settings), where the server has it: a server without
the setting lets every installed plugin decode. pg_settings shows it only to superusers and
members of pg_read_all_settings; for another role the rule is skipped.`,
		Fix:     "The setting takes a reload, not a restart. Give each name its own literal: one literal\n'a, b' sets the one name \"a, b\", which allows no plugin at all.\n\n```sql\nALTER SYSTEM SET output_plugin_libraries = 'pgoutput', 'test_decoding', 'pglogical_output';\nSELECT pg_reload_conf();\n```",
		Example: `-- postgresql.conf of a 15.20 server: output_plugin_libraries = 'pgoutput, test_decoding' (the default)`,
		References: []string{
			"https://www.postgresql.org/docs/release/15.19/",
			"2ndQuadrant/pglogical:pglogical_output_plugin.c",
		},
	},
	Check: func(p *Pass) {
		v, ok := p.DB.Setting("output_plugin_libraries")
		if !ok {
			return // the server predates the setting: every plugin may decode
		}
		for _, e := range []struct{ engine, plugin string }{{EngineNative, "pgoutput"}, {EnginePglogical, "pglogical_output"}} {
			if inspect.ListHas(v, e.plugin) {
				continue
			}
			p.Report(Finding{
				Object:     "setting output_plugin_libraries",
				ObjectKind: "setting",
				Engines:    []string{e.engine},
				Message: fmt.Sprintf("output_plugin_libraries is %q, without %s: %s peers cannot decode this node's changes, so their subscriptions never start",
					v, e.plugin, e.engine),
				Fix:    fmt.Sprintf("Add %s to output_plugin_libraries and reload the configuration (no restart).", e.plugin),
				FixSQL: "ALTER SYSTEM SET output_plugin_libraries = " + inspect.ListAddSQL(v, e.plugin) + ";\nSELECT pg_reload_conf();",
			})
		}
	},
}
