package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var slotWALRetention = &Rule{
	ID:       "AR904",
	Name:     "slot-wal-retention",
	Title:    "Replication slots can retain WAL until the disk is full",
	Severity: Warning,
	Category: CategoryServer,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceSettings},
	Doc: Doc{
		Why: `Every peer of a mesh has a logical slot on this node, and a slot keeps all WAL its consumer has
not confirmed. When a peer is down or slow, WAL piles up "until the disk fills up" and then this
node stops too: one failed node takes the others with it. max_slot_wal_keep_size = -1 (the
default) means no limit. Inactive slots left behind by earlier experiments retain WAL already.`,
		Engines: map[string]string{
			EngineNative:    `Slots retain WAL without limit unless max_slot_wal_keep_size is set.`,
			EnginePglogical: `Inactive slots during initial sync retain WAL (2ndQuadrant/pglogical#491).`,
			EnginePgactive:  `A down peer retains WAL "until the disk fills up"; detach dead nodes.`,
			EngineSpock:     `Same as native.`,
			EnginePGD:       `Same; monitor bdr.node_slots.`,
		},
		Detection: `Server setting max_slot_wal_keep_size = -1, and replication slots that are not active (with the
WAL they retain), from pg_replication_slots.`,
		Fix: `Cap the WAL a slot may retain (a slot that exceeds it is invalidated and its peer must be
re-synchronized, which is better than a full disk), alert on retained WAL, and drop slots that no
consumer uses:

` + "```sql" + `
ALTER SYSTEM SET max_slot_wal_keep_size = '50GB';
SELECT pg_reload_conf();
SELECT pg_drop_replication_slot('old_slot');
` + "```",
		References: []string{
			"aws/pgactive:docs/README.md (Removing a node), docs/best-practices.md",
			"https://github.com/2ndQuadrant/pglogical/issues/491",
			"https://www.postgresql.org/docs/current/runtime-config-replication.html#GUC-MAX-SLOT-WAL-KEEP-SIZE",
		},
	},
	Check: func(p *Pass) {
		if v, ok := p.DB.SettingInt("max_slot_wal_keep_size"); ok && v < 0 {
			p.Report(Finding{
				Object:     "setting max_slot_wal_keep_size",
				ObjectKind: "setting",
				Message:    "max_slot_wal_keep_size is -1 (unlimited): a peer that is down keeps WAL on this node until the disk is full",
				Fix:        "Cap the WAL a slot may retain and alert on retained WAL.",
				FixSQL:     "ALTER SYSTEM SET max_slot_wal_keep_size = '50GB';\nSELECT pg_reload_conf();",
			})
		}
		if !p.have(inspect.EvidenceSlots) {
			reason, fix, _ := missingEvidence(p.DB, inspect.EvidenceSlots)
			p.Skip(reason, fix)
			return
		}
		for _, s := range p.DB.ReplicationSlots {
			if s.Active || s.Temporary {
				continue
			}
			retained := ""
			if s.RetainedBytes >= 0 {
				retained = ", retaining " + inspect.FormatBytes(s.RetainedBytes) + " of WAL"
			}
			if s.WALStatus != "" {
				retained += " (wal_status " + s.WALStatus + ")"
			}
			p.Report(Finding{
				Object:     "slot " + s.Name,
				ObjectKind: "slot",
				Message:    fmt.Sprintf("%s replication slot %s is not active%s", s.Type, inspect.QuoteIdent(s.Name), retained),
				Fix:        "Drop the slot if no consumer will come back for it.",
				FixSQL:     fmt.Sprintf("SELECT pg_drop_replication_slot(%s);", inspect.QuoteLiteral(s.Name)),
			})
		}
	},
}
