package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var trackCommitTimestamp = &Rule{
	ID:       "AR902",
	Name:     "track-commit-timestamp",
	Title:    "track_commit_timestamp is off",
	Severity: Error,
	Category: CategoryServer,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceSettings},
	Doc: Doc{
		Why: `Last-update-wins needs to know when each row version was committed. Without
track_commit_timestamp, pgactive refuses to start, pglogical does not allow last_update_wins or
keep_local, Spock's conflicts become invisible and the remote change always wins, and native
replication cannot detect update_origin_differs / delete_origin_differs. Turning it on needs a
restart. Clocks must also be synchronized (NTP/chrony), or "last" is decided by clock drift.`,
		Engines: map[string]string{
			EngineNative:    `Needed to detect *_origin_differs conflicts (PostgreSQL 18 conflict logging).`,
			EnginePglogical: `Required for last_update_wins, first_update_wins and keep_local.`,
			EnginePgactive:  `Required; pgactive does not start without it.`,
			EngineSpock:     `Without it, conflicts are invisible and the remote change always wins.`,
			EnginePGD:       `Used for conflict detection; bdr.maximum_clock_skew limits drift.`,
		},
		Detection: `Server setting track_commit_timestamp (pg_settings).`,
		Fix:       "```sql\nALTER SYSTEM SET track_commit_timestamp = on;  -- then restart the server\n```\n\nAnd keep all nodes' clocks synchronized with NTP or chrony.",
		References: []string{
			"aws/pgactive:src/pgactive.c",
			"2ndQuadrant/pglogical:docs/README.md (conflict_resolution), pglogical_conflict.c",
			"pgEdge/spock:docs/conflict_types.md",
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
		},
	},
	Check: func(p *Pass) {
		v, ok := p.DB.Setting("track_commit_timestamp")
		if !ok {
			p.Skip("the setting track_commit_timestamp was not read", fixLive)
			return
		}
		if settingIs(p.DB, "track_commit_timestamp", "on", "true", "1", "yes") {
			return
		}
		p.Report(Finding{
			Object:     "setting track_commit_timestamp",
			ObjectKind: "setting",
			Message:    fmt.Sprintf("track_commit_timestamp is %s: last-update-wins conflict resolution and origin-conflict detection need it", v),
			Fix:        "Turn track_commit_timestamp on and restart the server; keep clocks synchronized.",
			FixSQL:     "ALTER SYSTEM SET track_commit_timestamp = on;  -- restart required",
		})
	},
}
