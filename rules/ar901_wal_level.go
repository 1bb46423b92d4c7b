package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var walLevel = &Rule{
	ID:       "AR901",
	Name:     "wal-level",
	Title:    "wal_level is not logical",
	Severity: Error,
	Category: CategoryServer,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceSettings},
	Doc: Doc{
		Why: `Logical decoding needs wal_level = logical. With replica or minimal, no publication can be read and
no multi-master engine starts. Changing it needs a server restart, so it belongs in the plan before
the maintenance window, not in it.`,
		Engines: map[string]string{
			EngineNative:    `Required for publications and subscriptions.`,
			EnginePglogical: `Required.`,
			EnginePgactive:  `Required; enforced at startup.`,
			EngineSpock:     `Required.`,
			EnginePGD:       `Required.`,
		},
		Detection: `Server setting wal_level (pg_settings).`,
		Fix:       "```sql\nALTER SYSTEM SET wal_level = logical;  -- then restart the server\n```",
		References: []string{
			"https://www.postgresql.org/docs/current/runtime-config-wal.html#GUC-WAL-LEVEL",
			"aws/pgactive:src/pgactive.c",
		},
	},
	Check: func(p *Pass) {
		v, ok := p.DB.Setting("wal_level")
		if !ok {
			p.Skip("the setting wal_level was not read", fixLive)
			return
		}
		if settingIs(p.DB, "wal_level", "logical") {
			return
		}
		p.Report(Finding{
			Object:     "setting wal_level",
			ObjectKind: "setting",
			Message:    fmt.Sprintf("wal_level is %s: logical decoding needs logical", v),
			Fix:        "Set wal_level to logical and restart the server.",
			FixSQL:     "ALTER SYSTEM SET wal_level = logical;  -- restart required",
		})
	},
}
