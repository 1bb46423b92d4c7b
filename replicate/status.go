package replicate

// The status of a mesh, in three parts: what it is (this file: the
// snapshot, its link states and alarm kinds), how it is read
// (status_collect.go), how it is judged (status_judge.go: a link's state,
// the alarms), and how it is written (status_render.go).

import (
	"context"
	"time"
)

// StatusSchemaVersion is the version of the JSON shape of Status.
const StatusSchemaVersion = 1

// Link states: the one vocabulary of a replication link, for mesh status,
// bootstrap's readiness, the metrics, the dashboard and the drills.
// status_judge.go says which state a link is in.
const (
	LinkStreaming    = "streaming"    // the apply worker (a standby: its WAL receiver) runs and the walsender is connected
	LinkCatchup      = "catchup"      // connected, still behind (initial sync, tables still copying, or backlog)
	LinkInitializing = "initializing" // pglogical initial sync
	LinkDown         = "down"         // enabled, but no worker or no walsender
	LinkDisabled     = "disabled"     // the subscription is disabled
	LinkError        = "error"        // apply errors since the last look (or the worker keeps failing)
	LinkFailed       = "failed"       // disabled after an apply error (disable_on_error)
	LinkMissing      = "missing"      // no subscription yet (bootstrap has not made it)
	LinkUnknown      = "unknown"      // a node could not be read
)

// Status is a snapshot of a mesh: its nodes, its links, and what needs a
// human.
type Status struct {
	SchemaVersion int          `json:"schema_version"`
	Time          time.Time    `json:"time"`
	Kind          string       `json:"kind"`
	Engine        string       `json:"engine"`
	Database      string       `json:"database,omitempty"`
	Nodes         []NodeStatus `json:"nodes"`
	Links         []LinkStatus `json:"links"`
	Alarms        []Alarm      `json:"alarms"`
	Queries       int64        `json:"queries"` // queries sent to build this snapshot
	// HA is the Patroni cluster of a streaming topology with automatic
	// failover (patroni_status.go).
	HA *HAStatus `json:"ha,omitempty"`
	// Hub is the star of a hub-and-spoke topology (hub_status.go).
	Hub *HubStatus `json:"hub,omitempty"`
}

// NodeStatus is one node.
type NodeStatus struct {
	Name       string `json:"name"`
	Role       string `json:"role"`
	Up         bool   `json:"up"`
	Error      string `json:"error,omitempty"`
	Version    string `json:"version,omitempty"`
	InRecovery bool   `json:"in_recovery"`
	// LSN is the current WAL position (replay position on a standby).
	LSN string `json:"lsn,omitempty"`
	// MaxSlotWALKeepBytes is max_slot_wal_keep_size in bytes; -1 is unlimited.
	MaxSlotWALKeepBytes int64 `json:"max_slot_wal_keep_bytes"`
	// WALDirBytes is the size of pg_wal (nil without the privilege).
	WALDirBytes *int64 `json:"wal_dir_bytes,omitempty"`
	// DiskFreeBytes is the free space where pg_wal lives, known only for
	// nodes on this machine.
	DiskFreeBytes *int64 `json:"disk_free_bytes,omitempty"`
	// Conflicts counts conflicts applied on this node so far (nil: unknown).
	Conflicts     *int64       `json:"conflicts"`
	ConflictsNote string       `json:"conflicts_note,omitempty"`
	Slots         []SlotStatus `json:"slots"`
}

// SlotStatus is one replication slot on a node.
type SlotStatus struct {
	Name          string `json:"name"`
	Type          string `json:"type"`
	Active        bool   `json:"active"`
	WALStatus     string `json:"wal_status,omitempty"`
	RetainedBytes int64  `json:"retained_bytes"`
	// SafeWALBytes is how much more WAL may be written before the slot is
	// lost to max_slot_wal_keep_size (nil when unlimited).
	SafeWALBytes *int64 `json:"safe_wal_bytes,omitempty"`
	// LagBytes is WAL the consumer has not confirmed (logical slots).
	LagBytes *int64 `json:"lag_bytes,omitempty"`
}

// LinkStatus is one replication stream: data flows From -> To.
type LinkStatus struct {
	From         string   `json:"from"`
	To           string   `json:"to"`
	Subscription string   `json:"subscription,omitempty"`
	Slot         string   `json:"slot,omitempty"`
	State        string   `json:"state"`
	Enabled      bool     `json:"enabled"`
	LagBytes     *int64   `json:"lag_bytes"`
	LagSeconds   *float64 `json:"lag_seconds"`
	// RetainedBytes is the WAL the publisher keeps for this link.
	RetainedBytes *int64 `json:"retained_bytes"`
	SafeWALBytes  *int64 `json:"safe_wal_bytes,omitempty"`
	WALStatus     string `json:"wal_status,omitempty"`
	ApplyErrors   *int64 `json:"apply_errors"`
	// Conflicts on this link (nil: the engine does not count per link).
	Conflicts       *int64           `json:"conflicts"`
	ConflictsByType map[string]int64 `json:"conflicts_by_type,omitempty"`
	Note            string           `json:"note,omitempty"`
}

// Alarm kinds.
const (
	AlarmSlotWALLimit = "slot_wal_limit" // a slot is about to exceed max_slot_wal_keep_size (or the disk)
	AlarmSlotLost     = "slot_lost"      // a slot lost WAL it needed
	AlarmNodeDown     = "node_down"      // a node is unreachable (longer than the budget, in the supervisor)
	AlarmLinkBroken   = "link_broken"    // a link is failing or disabled after errors
)

// Alarm is something that needs a human.
type Alarm struct {
	Kind    string `json:"kind"`
	Node    string `json:"node,omitempty"`
	Link    string `json:"link,omitempty"`
	Message string `json:"message"`
}

// StatusOptions tune status collection.
type StatusOptions struct {
	// LogFiles maps node names to server log files on this machine, read
	// to count pglogical conflicts.
	LogFiles map[string]string
	// Timeout bounds each node's reads (default 5s).
	Timeout time.Duration
	// SlotAlarmFraction raises slot_wal_limit when a slot's safe WAL is
	// below this fraction of max_slot_wal_keep_size (default 0.2), or,
	// with no limit, when retained WAL exceeds this fraction of the free
	// disk.
	SlotAlarmFraction float64
	// RateSample is how long a hub-and-spoke read waits to measure the WAL
	// rate of the nodes a cut-off site involves, when no earlier read
	// gives it (default 1s; negative: do not wait).
	RateSample time.Duration
}

// MeshStatus reads the status of the plan's mesh once.
func MeshStatus(ctx context.Context, p *Plan, o StatusOptions) *Status {
	c := NewCollector(p, o)
	defer c.Close()
	return c.Collect(ctx)
}
