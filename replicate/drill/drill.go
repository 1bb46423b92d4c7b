// Package drill breaks a topology that bootstrap stood up, on purpose, and
// measures what clients see: how long writes stop (RTO), how many
// acknowledged writes are gone afterwards (RPO), whether two primaries
// accepted writes at once (split brain), and how long the broken node takes
// to rejoin. The load is its own: pgx clients on loopback writing numbered
// rows at a bounded rate, each write recorded when the server acknowledged
// it. The HA engine (Patroni) decides and promotes; the drill only injects
// the fault, undoes it as an operator would, and counts.
//
// It imports replicate, replicate/sandbox and inspect; never rules,
// assess or cmd.
package drill

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
)

// SchemaVersion is the version of the Result JSON.
const SchemaVersion = 1

// Fault kinds.
const (
	KillPrimary   = "kill-primary"   // SIGKILL of the primary's postmaster
	StopPrimary   = "stop-primary"   // a fast stop of the primary (its Patroni stopped, under HA)
	FreezePrimary = "freeze-primary" // SIGSTOP of the primary's server: a hung primary
	KillNode      = "kill-node"      // SIGKILL of a node's Patroni and postmaster: a lost machine
	KillRegion    = "kill-region"    // kill-node for every node of a region
	// DisconnectSite cuts a site of a hub-and-spoke topology off from its
	// hub (both links disabled) while everyone keeps writing (site.go).
	DisconnectSite = "disconnect-site"
)

// Faults lists the fault kinds, for messages.
var Faults = []string{KillPrimary, StopPrimary, FreezePrimary, KillNode + "=NAME", KillRegion + "=REGION", DisconnectSite + "=NAME"}

// Fault is what breaks: a kind and, for kill-node and kill-region, its
// target.
type Fault struct {
	Kind   string `json:"kind"`
	Target string `json:"target,omitempty"`
}

func (f Fault) String() string {
	if f.Target != "" {
		return f.Kind + "=" + f.Target
	}
	return f.Kind
}

// ParseFault reads --fault.
func ParseFault(s string) (Fault, error) {
	kind, target, _ := strings.Cut(strings.TrimSpace(s), "=")
	switch kind {
	case KillPrimary, StopPrimary, FreezePrimary:
		if target != "" {
			return Fault{}, fmt.Errorf("--fault %s takes no =VALUE", kind)
		}
		return Fault{Kind: kind}, nil
	case KillNode, KillRegion, DisconnectSite:
		if target == "" {
			return Fault{}, fmt.Errorf("--fault %s needs =%s", kind, map[string]string{KillNode: "NAME", KillRegion: "REGION", DisconnectSite: "NAME"}[kind])
		}
		return Fault{Kind: kind, Target: target}, nil
	}
	return Fault{}, fmt.Errorf("--fault %q: want one of %s", s, strings.Join(Faults, ", "))
}

// Options tune a drill.
type Options struct {
	Fault Fault
	// Rate is the writes per second of the whole load (default 200).
	Rate int
	// Clients is how many connections write (default 4).
	Clients int
	// Duration is how long the load runs (default 60s); it runs on until
	// writes resume after the fault, within Recover.
	Duration time.Duration
	// FaultAfter is when the fault hits, counted from the start of the
	// load (default a quarter of Duration, at least 5s).
	FaultAfter time.Duration
	// Hold is how long the fault lasts before the drill undoes it as an
	// operator would (restart the node, resume it). 0: until writes
	// resume, then 2s more (or until the load ends when they do not).
	Hold time.Duration
	// Runs repeats the drill (default 1).
	Runs int
	// WriteTimeout bounds each write; a write still waiting is not
	// acknowledged (default 5s).
	WriteTimeout time.Duration
	// Recover bounds the wait for the cluster to be whole again after the
	// load (the old primary rejoined, links streaming; default 3m).
	Recover time.Duration
	// RepairSQL, for logical designs, is where the repair script of the
	// differences found after recovery goes; the drill then runs it with
	// psql and verifies again.
	RepairSQL string
	// Local maps plan nodes to sandbox nodes: faults are signals, so the
	// nodes they hit must run on this machine.
	Local   map[string]*sandbox.Node
	Sandbox *sandbox.Sandbox
	Targets Targets
	Log     *slog.Logger
	// Progress, when set, is called with a line per phase (stderr).
	Progress func(string)
}

func (o *Options) defaults() {
	if o.Rate <= 0 {
		o.Rate = 200
	}
	if o.Clients <= 0 {
		o.Clients = 4
	}
	if o.Clients > o.Rate {
		o.Clients = o.Rate
	}
	if o.Duration <= 0 {
		o.Duration = 60 * time.Second
	}
	if o.FaultAfter <= 0 {
		o.FaultAfter = max(o.Duration/4, 5*time.Second)
	}
	if o.Runs <= 0 {
		o.Runs = 1
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 5 * time.Second
	}
	if o.Recover <= 0 {
		o.Recover = 3 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// UsageError marks bad options or a plan the drill cannot break (exit 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usage(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// Drill runs the drill on the plan's topology, Runs times, and holds the
// result against the targets.
func Drill(ctx context.Context, p *replicate.Plan, o Options) (*Result, error) {
	o.defaults()
	if err := p.Validate(); err != nil {
		return nil, &UsageError{err}
	}
	if err := check(p, o); err != nil {
		return nil, err
	}
	res := newResult(p, o)
	for i := 1; i <= o.Runs; i++ {
		o.Progress(fmt.Sprintf("run %d of %d: %s, %d writes/s for %s, fault after %s", i, o.Runs, o.Fault, o.Rate, o.Duration, o.FaultAfter))
		var run *Run
		var err error
		if p.Topology.Kind == replicate.TopologyStreaming {
			run, err = streamingRun(ctx, p, o, i)
		} else {
			run, err = logicalRun(ctx, p, o, i)
		}
		if run != nil {
			res.Runs = append(res.Runs, *run)
		}
		if err != nil {
			res.finish(o)
			return res, fmt.Errorf("run %d: %w", i, err)
		}
	}
	res.finish(o)
	return res, nil
}

// check refuses what the drill cannot do before anything breaks.
func check(p *replicate.Plan, o Options) error {
	t := p.Topology
	logical := t.Kind != replicate.TopologyStreaming
	switch {
	case logical && (o.Fault.Kind == KillPrimary || o.Fault.Kind == StopPrimary || o.Fault.Kind == FreezePrimary):
		return usage("--fault %s: the plan's %s topology has no primary; break a node with kill-node=NAME or kill-region=REGION", o.Fault.Kind, t.Kind)
	case t.Kind == replicate.TopologyHubSpoke && o.Fault.Kind == KillRegion:
		return usage("--fault kill-region: a hub-and-spoke topology is drilled a site at a time: kill-node=NAME or disconnect-site=NAME")
	case o.Fault.Kind == KillNode:
		if nodeByName(p, o.Fault.Target) == nil {
			return usage("--fault kill-node=%s: no node of that name in the plan (nodes: %s)", o.Fault.Target, strings.Join(nodeNames(p), ", "))
		}
	case o.Fault.Kind == KillRegion:
		if len(regionNodes(p, o.Fault.Target)) == 0 {
			return usage("--fault kill-region=%s: no node of the plan has region %s (regions: %s)", o.Fault.Target, o.Fault.Target, strings.Join(regions(p), ", "))
		}
		if logical && len(regionNodes(p, o.Fault.Target)) == len(t.Nodes) {
			return usage("--fault kill-region=%s: every node is in that region; nothing would be left to measure", o.Fault.Target)
		}
	case o.Fault.Kind == DisconnectSite:
		if err := checkSite(p, o); err != nil {
			return err
		}
	case o.Fault.Kind == "":
		return usage("--fault is required (one of %s)", strings.Join(Faults, ", "))
	}
	var notLocal []string
	for _, n := range t.Nodes {
		if o.Local[n.Name] == nil && o.Fault.Kind != DisconnectSite { // a cut needs no signal
			notLocal = append(notLocal, n.Name)
		}
	}
	if len(notLocal) > 0 {
		what := "are not sandbox nodes"
		if len(notLocal) == 1 {
			what = "is not a sandbox node"
		}
		return usage("the drill breaks nodes with signals, so they must run on this machine: %s %s here (use --sandbox, or --sandbox-dir of the sandbox bootstrap used)",
			strings.Join(notLocal, ", "), what)
	}
	if o.Duration <= o.FaultAfter {
		return usage("--duration %s must be longer than --fault-after %s", o.Duration, o.FaultAfter)
	}
	if o.Rate > 5000 {
		return usage("--rate %d: at most 5000 writes/s (the load is a probe, not a benchmark)", o.Rate)
	}
	return nil
}

func nodeByName(p *replicate.Plan, name string) *replicate.PlanNode {
	for i := range p.Topology.Nodes {
		if p.Topology.Nodes[i].Name == name {
			return &p.Topology.Nodes[i]
		}
	}
	return nil
}

func nodeNames(p *replicate.Plan) []string {
	var out []string
	for _, n := range p.Topology.Nodes {
		out = append(out, n.Name)
	}
	return out
}

func regionNodes(p *replicate.Plan, region string) []string {
	var out []string
	for _, n := range p.Topology.Nodes {
		if n.Region == region {
			out = append(out, n.Name)
		}
	}
	return out
}

func regions(p *replicate.Plan) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range p.Topology.Nodes {
		if n.Region != "" && !seen[n.Region] {
			seen[n.Region] = true
			out = append(out, n.Region)
		}
	}
	if len(out) == 0 {
		return []string{"none set in the plan"}
	}
	return out
}

// errNoPrimary is returned when the cluster has no primary to break.
var errNoPrimary = errors.New("no primary found")
