package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

const (
	defaultFreezeMinAge   = 50_000_000
	suggestedFreezeMinAge = 500_000_000
)

var freezeSettings = &Rule{
	ID:       "AR907",
	Name:     "freeze-settings",
	Title:    "Early freezing erases conflict-detection data",
	Severity: Info,
	Category: CategoryServer,
	Engines:  []string{EnginePGD, EngineSpock, EnginePglogical, EnginePgactive, EngineNative},
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Conflict detection compares the commit timestamp and origin of the local row version with the
incoming change. Once VACUUM freezes a row, that information is gone: an update arriving for a
frozen row raises no conflict and is always applied. The earlier rows are frozen, the more a long
node outage (whose changes arrive late) turns into silent overwrites. PGD suggests
vacuum_freeze_min_age = 500000000 for this reason; lowering it below the default 50 million makes it
worse.`,
		Engines: map[string]string{
			EnginePGD:   `Frozen rows lose conflict information; suggested vacuum_freeze_min_age = 500000000.`,
			EngineSpock: `"Frozen Tuples": updates to frozen rows are applied without conflict.`,
		},
		Detection: `Server setting vacuum_freeze_min_age below 500,000,000 (info) or below the default 50,000,000
(warning), and tables whose autovacuum_freeze_min_age reloption is below 50,000,000 (warning).`,
		Fix: "```sql\nALTER SYSTEM SET vacuum_freeze_min_age = 500000000;\nSELECT pg_reload_conf();\n```\n\nAnd keep node outages short: re-seed a node that was down for long instead of letting it catch up.",
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/03_conflict_detection.mdx",
			"pgEdge/spock:docs/conflict_types.md",
		},
	},
	Check: func(p *Pass) {
		if !p.need(inspect.EvidenceSettings) {
			return
		}
		if v, ok := p.DB.SettingInt("vacuum_freeze_min_age"); ok && v < suggestedFreezeMinAge {
			sev, why := Info, "rows lose their commit timestamp and origin after "+inspect.GroupThousands(v)+" transactions"
			if v < defaultFreezeMinAge {
				sev, why = Warning, "lowered below the default "+inspect.GroupThousands(defaultFreezeMinAge)+": "+why
			}
			p.Report(Finding{
				Severity:   sev,
				Object:     "setting vacuum_freeze_min_age",
				ObjectKind: "setting",
				Message:    fmt.Sprintf("vacuum_freeze_min_age is %s (%s); updates arriving late for frozen rows are applied without conflict detection", inspect.GroupThousands(v), why),
				Fix:        "Raise vacuum_freeze_min_age (PGD suggests 500000000) and keep node outages short.",
				FixSQL:     "ALTER SYSTEM SET vacuum_freeze_min_age = 500000000;\nSELECT pg_reload_conf();",
			})
		}
		for _, t := range replicatedTables(p.DB) {
			for _, o := range t.Options {
				name, val, ok := strings.Cut(o, "=")
				if !ok || strings.TrimSpace(name) != "autovacuum_freeze_min_age" {
					continue
				}
				v, err := strconv.ParseInt(strings.TrimSpace(val), 10, 64)
				if err != nil || v >= defaultFreezeMinAge {
					continue
				}
				p.Report(Finding{
					Severity:   Warning,
					Object:     t.QualifiedName(),
					ObjectKind: "table",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("%s sets autovacuum_freeze_min_age = %s: its rows lose conflict-detection data early", t.QualifiedName(), inspect.GroupThousands(v)),
					Fix:        "Remove the per-table override.",
					FixSQL:     fmt.Sprintf("ALTER TABLE %s RESET (autovacuum_freeze_min_age);", t.Ident()),
					Pos:        t.Pos,
				})
			}
		}
	},
}
