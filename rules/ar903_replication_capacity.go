package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// syncHeadroom is the extra slots and workers needed while tables are
// initially copied (max_sync_workers_per_subscription defaults to 2).
const syncHeadroom = 2

var replicationCapacity = &Rule{
	ID:       "AR903",
	Name:     "replication-capacity",
	Title:    "Too few slots, WAL senders or workers for the mesh",
	Severity: Error,
	Category: CategoryServer,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceSettings},
	Doc: Doc{
		Why: `In a full mesh of N nodes every node serves N-1 peers: one logical slot and one WAL sender per
peer, plus temporary slots and sync workers while tables are copied, and it runs one apply worker
per peer. Slots and workers already used by other replication come on top. When a limit is
reached, a subscription cannot start or its initial copy waits forever; raising these settings
needs a restart.`,
		Engines: map[string]string{
			EngineNative:    `max_replication_slots, max_wal_senders (publisher); max_logical_replication_workers, max_worker_processes (subscriber).`,
			EnginePglogical: `Sizing rules in the quick setup: worker processes for the manager, each database and each subscription.`,
			EnginePgactive:  `"on a three node system, each node will have five extra processes".`,
			EngineSpock:     `Same sizing as pglogical.`,
			EnginePGD:       `At least 3 nodes for Raft; one slot and worker per peer.`,
		},
		Detection: `With N = the configured mesh size (default 3) and S = the replication slots that already exist:
max_replication_slots and max_wal_senders must be at least N-1+S; max_logical_replication_workers
at least N-1 plus 1; max_worker_processes at least N-1 plus 2 (launcher and one spare). Below the
minimum is an error; less than 2 above it (no room for initial-copy sync workers) is a warning.`,
		Fix: "```sql\nALTER SYSTEM SET max_replication_slots = 10;\nALTER SYSTEM SET max_wal_senders = 10;\nALTER SYSTEM SET max_logical_replication_workers = 8;\nALTER SYSTEM SET max_worker_processes = 16;\n-- then restart the server\n```",
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-config.html",
			"aws/pgactive:docs/best-practices.md",
			"2ndQuadrant/pglogical:docs/README.md (Quick setup)",
		},
	},
	Check: func(p *Pass) {
		peers := int64(p.Config.Nodes - 1)
		existing := int64(0)
		for _, s := range p.DB.ReplicationSlots {
			if !s.Temporary {
				existing++
			}
		}
		type need struct {
			name string
			min  int64
			why  string
		}
		needs := []need{
			{"max_replication_slots", peers + existing, fmt.Sprintf("%d peers + %d existing slots", peers, existing)},
			{"max_wal_senders", peers + existing, fmt.Sprintf("%d peers + %d existing slots", peers, existing)},
			{"max_logical_replication_workers", peers + 1, fmt.Sprintf("%d apply workers + 1", peers)},
			{"max_worker_processes", peers + 2, fmt.Sprintf("%d apply workers + launcher + 1", peers)},
		}
		known := 0
		for _, n := range needs {
			v, ok := p.DB.SettingInt(n.name)
			if !ok {
				continue
			}
			known++
			sev := Severity(0)
			switch {
			case v < n.min:
				sev = Error
			case v < n.min+syncHeadroom:
				sev = Warning
			default:
				continue
			}
			want := n.min + syncHeadroom
			p.Report(Finding{
				Severity:   sev,
				Object:     "setting " + n.name,
				ObjectKind: "setting",
				Message: fmt.Sprintf("%s is %d; a %d-node mesh needs at least %d (%s) and %d with room for initial-copy workers",
					n.name, v, p.Config.Nodes, n.min, n.why, want),
				Fix:    fmt.Sprintf("Raise %s to at least %d and restart the server.", n.name, want),
				FixSQL: fmt.Sprintf("ALTER SYSTEM SET %s = %d;  -- restart required", n.name, want),
			})
		}
		if known == 0 {
			var names []string
			for _, n := range needs {
				names = append(names, n.name)
			}
			p.Skip("none of "+strings.Join(names, ", ")+" was read", fixLive)
		}
	},
}
