package drill

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
)

// Result is a drill: its settings, every run, and the verdict.
type Result struct {
	SchemaVersion int       `json:"schema_version"`
	Generated     time.Time `json:"generated"`
	Tool          string    `json:"tool,omitempty"`
	Design        string    `json:"design,omitempty"` // the plan's recommendation (SP-SYNC, ...)
	Kind          string    `json:"kind"`
	Engine        string    `json:"engine"`
	// HA is the plan's automatic failover, with Patroni's defaults filled
	// in (nil without it).
	HA       *replicate.HA `json:"ha,omitempty"`
	Nodes    []DrillNode   `json:"nodes"`
	Fault    Fault         `json:"fault"`
	Settings Settings      `json:"settings"`
	Runs     []Run         `json:"runs"`
	Summary  Summary       `json:"summary"`
	// Expected is the failover time Patroni's settings predict for the
	// fault (nil when they predict none).
	Expected *Expected `json:"expected,omitempty"`
	Targets  Targets   `json:"targets"`
	Verdict  Verdict   `json:"verdict"`
}

// ReadResult reads a drill result (aadvisor drill --format json): the one
// reader of drill files, for recommend, ask and report.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read drill: %w", err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a drill result (aadvisor drill --format json): %v", path, err)
	}
	if r.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("%s: drill schema_version %d, want %d (aadvisor drill --format json)", path, r.SchemaVersion, SchemaVersion)
	}
	if len(r.Runs) == 0 {
		return nil, fmt.Errorf("%s: the drill has no runs", path)
	}
	return &r, nil
}

// DrillNode is a node of the plan as the drill saw it.
type DrillNode struct {
	Name   string `json:"name"`
	Region string `json:"region,omitempty"`
	Role   string `json:"role"`
}

// Settings are the load and fault settings of the drill.
type Settings struct {
	Rate         int     `json:"rate_per_s"`
	Clients      int     `json:"clients"`
	DurationS    float64 `json:"duration_s"`
	FaultAfterS  float64 `json:"fault_after_s"`
	HoldS        float64 `json:"hold_s"` // 0: until writes resume
	WriteTimeout float64 `json:"write_timeout_s"`
	Endpoint     string  `json:"endpoint"` // how clients find the primary
}

// Run is one drill run. Times are milliseconds from the start of the load.
type Run struct {
	N     int       `json:"n"`
	ID    string    `json:"id"` // the run column of its rows
	Start time.Time `json:"start"`
	// Broken lists the nodes the fault hit.
	Broken  []string `json:"broken"`
	FaultMS int64    `json:"fault_ms"`
	// FaultDoneMS is when the fault was in place: a killed server's
	// backends answer until they notice their postmaster is gone.
	FaultDoneMS int64 `json:"fault_done_ms"`
	UndoneMS    int64 `json:"undone_ms,omitempty"`
	Attempted   int64 `json:"writes_attempted"`
	Acked       int64 `json:"writes_acknowledged"`
	// LastAckBeforeMS and FirstAckAfterMS bound the write outage.
	LastAckBeforeMS int64 `json:"last_ack_before_fault_ms"`
	FirstAckAfterMS int64 `json:"first_ack_after_fault_ms"` // -1: writes never resumed
	// RTOMS is the write outage as clients saw it: from the last write
	// acknowledged before the fault to the first after it (-1: never).
	RTOMS int64 `json:"rto_ms"`
	// LostWrites are acknowledged writes missing after recovery (counted
	// row by row); LostWindowMS is the time span they cover (see
	// lostWindow).
	LostWrites   int64 `json:"lost_writes"`
	LostWindowMS int64 `json:"lost_window_ms"`
	// InDoubtCommitted are writes whose acknowledgement never came but
	// that committed anyway (the client cannot tell: not a loss).
	InDoubtCommitted int64 `json:"in_doubt_committed"`
	// SplitBrainWrites were acknowledged after the fault by a node that is
	// not the primary at the end, while another node held the leader key
	// or after it had been promoted and overruled: writes accepted by two
	// primaries.
	SplitBrainWrites int64  `json:"split_brain_writes"`
	LeaderBefore     string `json:"leader_before,omitempty"`
	LeaderAfter      string `json:"leader_after,omitempty"`
	TimelineBefore   int    `json:"timeline_before,omitempty"`
	TimelineAfter    int    `json:"timeline_after,omitempty"`
	SyncBefore       string `json:"sync_standby_before,omitempty"`
	// PromotedMS is when the new leader was first seen (-1: no promotion).
	PromotedMS int64 `json:"promoted_ms"`
	// RejoinMS is when every broken node was back as a replica of the
	// leader (streaming; logical: links streaming), -1 when it did not
	// within Recover; RejoinAfterUndoMS counts from the undo.
	RejoinMS          int64 `json:"rejoin_ms"`
	RejoinAfterUndoMS int64 `json:"rejoin_after_undo_ms"`
	// ResumedByUndo: writes came back only after the drill undid the
	// fault (a streaming design with nothing to fail over to): the
	// outage is the drill's hold, not the design's recovery.
	ResumedByUndo bool `json:"resumed_by_undo,omitempty"`
	// LagBeforeBytes is the largest replica lag Patroni reported right
	// before the fault (streaming with HA).
	LagBeforeBytes *int64 `json:"lag_before_bytes,omitempty"`
	// Logical designs: writes acknowledged on the broken node that no
	// peer had while it was down (lost if it never came back), and mesh
	// verify of the drill table after recovery.
	StrandedWrites *int64 `json:"stranded_writes,omitempty"`
	// disconnect-site: the WAL the hub and the site held for each other
	// at the end of the outage, and how long after the links came back
	// the hub held every write the site had acknowledged by then.
	HubHeldBytes *int64 `json:"hub_held_wal_bytes,omitempty"`
	// HeldBackWrites are the writes the site acknowledged while cut off
	// that the hub lacked at the end of the outage.
	HeldBackWrites   *int64  `json:"held_back_writes,omitempty"`
	SiteHeldBytes    *int64  `json:"site_held_wal_bytes,omitempty"`
	CatchUpMS        *int64  `json:"catch_up_ms,omitempty"`
	OtherNodesMaxGap int64   `json:"other_nodes_max_gap_ms,omitempty"`
	VerifyDiffs      *int    `json:"verify_differences,omitempty"`
	RepairedDiffs    *int    `json:"verify_differences_after_repair,omitempty"`
	Events           []Event `json:"events"`
	// AcksPer100ms is the timeline: acknowledged writes in each 100 ms.
	AcksPer100ms []int    `json:"acks_per_100ms"`
	Notes        []string `json:"notes,omitempty"`
}

// Event is something the drill did or saw, at a time from the start.
type Event struct {
	AtMS   int64  `json:"at_ms"`
	Kind   string `json:"kind"` // fault, undo, leader, promoted, member, rejoined, links_resumed, writes_resumed
	Node   string `json:"node,omitempty"`
	Detail string `json:"detail"`
}

// Summary is the worst case over the runs.
type Summary struct {
	Runs             int     `json:"runs"`
	MaxRTOS          float64 `json:"max_rto_s"` // -1: writes did not resume in some run
	MedianRTOS       float64 `json:"median_rto_s"`
	LostWrites       int64   `json:"lost_writes"`
	MaxLostWindowS   float64 `json:"max_lost_window_s"`
	SplitBrainWrites int64   `json:"split_brain_writes"`
	AllRejoined      bool    `json:"all_rejoined"`
	MaxRejoinS       float64 `json:"max_rejoin_s"`
}

// Expected is the write outage Patroni's settings predict for the fault.
type Expected struct {
	LowS  float64 `json:"low_s"`
	HighS float64 `json:"high_s"`
	Why   string  `json:"why"`
}

// Targets are what the plan promised: the failover time the downtime
// budget assumed and the answers' RTO/RPO. Zero values mean no target.
type Targets struct {
	// RTOS is the outage allowed for this fault, in seconds (0: none).
	RTOS      float64 `json:"rto_s,omitempty"`
	RTOSource string  `json:"rto_source,omitempty"`
	// RPOS is the data loss allowed, in seconds of acknowledged writes;
	// RPOSet tells "0" from "no target".
	RPOS      float64 `json:"rpo_s"`
	RPOSet    bool    `json:"rpo_set"`
	RPOSource string  `json:"rpo_source,omitempty"`
	// AssumedFailoverS is the failover time the downtime arithmetic used.
	AssumedFailoverS float64 `json:"assumed_failover_s,omitempty"`
	AssumedSource    string  `json:"assumed_source,omitempty"`
}

// Verdict holds the measures against the targets.
type Verdict struct {
	Met   bool          `json:"met"`
	Items []VerdictItem `json:"items"`
}

// VerdictItem is one measure against its target.
type VerdictItem struct {
	Measure  string  `json:"measure"`
	Target   string  `json:"target"`
	Measured string  `json:"measured"`
	Margin   string  `json:"margin,omitempty"`
	MarginV  float64 `json:"margin_value,omitempty"`
	Met      bool    `json:"met"`
}

func newResult(p *replicate.Plan, o Options) *Result {
	r := &Result{SchemaVersion: SchemaVersion, Generated: time.Now().UTC().Truncate(time.Second), Kind: p.Topology.Kind,
		Engine: p.Topology.Engine, Fault: o.Fault, Targets: o.Targets, Runs: []Run{},
		Settings: Settings{Rate: o.Rate, Clients: o.Clients, DurationS: o.Duration.Seconds(), FaultAfterS: o.FaultAfter.Seconds(),
			HoldS: o.Hold.Seconds(), WriteTimeout: o.WriteTimeout.Seconds()}}
	if p.Recommendation != nil {
		r.Design = p.Recommendation.Design
	}
	if p.Topology.HA != nil {
		h := p.Topology.HA.Effective(p.Topology.Database)
		r.HA = &h
	}
	for _, n := range p.Topology.Nodes {
		r.Nodes = append(r.Nodes, DrillNode{Name: n.Name, Region: n.Region, Role: n.Role})
	}
	if p.Topology.Kind == replicate.TopologyStreaming {
		r.Settings.Endpoint = "one connection string naming every node, target_session_attrs=read-write"
	} else {
		r.Settings.Endpoint = "each client writes to its home node"
	}
	r.Expected = expected(r.HA, o.Fault, p.Topology.Kind)
	return r
}

// expected is the outage Patroni's documented behaviour predicts
// (docs/SETTINGS.rst of Patroni 3.0): a lost or hung leader keeps its key
// until ttl runs out (it was refreshed up to loop_wait ago), then a
// replica takes it within a loop; a crashed postmaster is seen within
// loop_wait and, with primary_start_timeout 0, failed over at once, else
// restarted in place; a stopped Patroni hands its key over at once.
func expected(h *replicate.HA, f Fault, kind string) *Expected {
	if h == nil || kind != replicate.TopologyStreaming {
		return nil
	}
	ttl, loop := float64(h.TTL), float64(h.LoopWait)
	switch f.Kind {
	case KillNode, KillRegion, FreezePrimary:
		return &Expected{LowS: ttl - loop, HighS: ttl + loop,
			Why: fmt.Sprintf("the leader key expires ttl (%gs) after its last refresh, which was up to loop_wait (%gs) before the fault; a replica takes it within a loop", ttl, loop)}
	case KillPrimary:
		if *h.PrimaryStartTimeout == 0 {
			return &Expected{LowS: 0, HighS: 2 * loop,
				Why: fmt.Sprintf("Patroni sees the crash within loop_wait (%gs) and, with primary_start_timeout 0, hands the key to the synchronous standby, which takes it within a loop", loop)}
		}
		return &Expected{LowS: 0, HighS: 2 * loop,
			Why: fmt.Sprintf("Patroni sees the crash within loop_wait (%gs) and restarts the primary in place (primary_start_timeout %ds); crash recovery follows", loop, *h.PrimaryStartTimeout)}
	case StopPrimary:
		return &Expected{LowS: 0, HighS: loop,
			Why: fmt.Sprintf("a stopped Patroni shuts PostgreSQL down and deletes its leader key; a replica takes it within a loop (loop_wait %gs)", loop)}
	}
	return nil
}

// resumedByUndo tells whether writes came back, in some run, only when
// the drill undid the fault.
func (r *Result) resumedByUndo() bool {
	for _, run := range r.Runs {
		if run.ResumedByUndo {
			return true
		}
	}
	return false
}

// MeasuresFailover tells whether the worst write outage measures how the
// design recovers: false when it never recovered, or recovered only when
// the drill undid the fault with no --hold standing for an operator.
func (r *Result) MeasuresFailover() bool {
	return r.Summary.MaxRTOS >= 0 && !(r.resumedByUndo() && r.Settings.HoldS == 0)
}

// finish computes the summary and the verdict.
func (r *Result) finish(o Options) {
	s := Summary{Runs: len(r.Runs), AllRejoined: len(r.Runs) > 0}
	var rtos []float64
	for _, run := range r.Runs {
		rto := float64(run.RTOMS) / 1000
		if run.RTOMS < 0 {
			s.MaxRTOS = -1
		} else if s.MaxRTOS >= 0 {
			s.MaxRTOS = math.Max(s.MaxRTOS, rto)
		}
		if run.RTOMS >= 0 {
			rtos = append(rtos, rto)
		}
		s.LostWrites += run.LostWrites
		s.MaxLostWindowS = math.Max(s.MaxLostWindowS, float64(run.LostWindowMS)/1000)
		s.SplitBrainWrites += run.SplitBrainWrites
		if run.RejoinMS < 0 {
			s.AllRejoined = false
		} else {
			s.MaxRejoinS = math.Max(s.MaxRejoinS, float64(run.RejoinAfterUndoMS)/1000)
		}
	}
	s.MedianRTOS = median(rtos)
	r.Summary = s
	r.Verdict = verdict(r)
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	c := append([]float64(nil), v...)
	for i := 1; i < len(c); i++ {
		for j := i; j > 0 && c[j] < c[j-1]; j-- {
			c[j], c[j-1] = c[j-1], c[j]
		}
	}
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// verdict holds the worst run against each target; without a target a
// measure is reported, not judged, except split brain and rejoin, which
// every design must get right.
func verdict(r *Result) Verdict {
	v := Verdict{Met: true}
	add := func(it VerdictItem) {
		v.Items = append(v.Items, it)
		v.Met = v.Met && it.Met
	}
	s, t := r.Summary, r.Targets
	if len(r.Runs) == 0 {
		return Verdict{}
	}
	rtoText := fmt.Sprintf("%.1f s (worst of %d)", s.MaxRTOS, s.Runs)
	// An outage that ended only because the drill undid the fault
	// measures the drill's hold. With --hold standing for the operator's
	// restart it is the design's RTO; by default it is no measure at all,
	// so no target is met on it.
	byUndo := r.resumedByUndo()
	measured := s.MaxRTOS >= 0
	switch {
	case s.MaxRTOS < 0:
		rtoText = "writes did not resume"
	case byUndo && r.Settings.HoldS > 0:
		rtoText += fmt.Sprintf(", of which --hold %gs stands for the operator's restart (nothing failed over)", r.Settings.HoldS)
	case byUndo:
		rtoText = fmt.Sprintf("not measured: writes resumed only when the drill undid the fault after %.1f s (nothing failed over); give --hold the time your operator takes to restart it", s.MaxRTOS)
		measured = false
	}
	switch {
	case t.RTOS > 0:
		it := VerdictItem{Measure: "write outage (RTO)", Target: fmt.Sprintf("≤ %.0f s (%s)", t.RTOS, t.RTOSource), Measured: rtoText}
		it.Met = measured && s.MaxRTOS <= t.RTOS
		if measured {
			it.MarginV = t.RTOS - s.MaxRTOS
			it.Margin = fmt.Sprintf("%+.1f s", it.MarginV)
		}
		add(it)
	default:
		add(VerdictItem{Measure: "write outage (RTO)", Target: "none given", Measured: rtoText, Met: measured})
	}
	if t.AssumedFailoverS > 0 && t.AssumedFailoverS != t.RTOS {
		it := VerdictItem{Measure: "failover time the downtime budget assumed", Target: fmt.Sprintf("%.0f s (%s)", t.AssumedFailoverS, t.AssumedSource), Measured: rtoText}
		it.Met = measured && s.MaxRTOS <= t.AssumedFailoverS
		if measured {
			it.MarginV = t.AssumedFailoverS - s.MaxRTOS
			it.Margin = fmt.Sprintf("%+.1f s", it.MarginV)
		}
		add(it)
	}
	lost := fmt.Sprintf("%d acknowledged write(s), window %.1f s", s.LostWrites, s.MaxLostWindowS)
	if t.RPOSet {
		it := VerdictItem{Measure: "data loss (RPO)", Target: fmt.Sprintf("≤ %g s (%s)", t.RPOS, t.RPOSource), Measured: lost}
		if t.RPOS == 0 {
			it.Target = fmt.Sprintf("0 acknowledged writes (%s)", t.RPOSource)
			it.Met = s.LostWrites == 0
		} else {
			it.Met = s.MaxLostWindowS <= t.RPOS
			it.MarginV = t.RPOS - s.MaxLostWindowS
			it.Margin = fmt.Sprintf("%+.1f s", it.MarginV)
		}
		add(it)
	} else {
		add(VerdictItem{Measure: "data loss (RPO)", Target: "none given", Measured: lost, Met: true})
	}
	add(VerdictItem{Measure: "split brain", Target: "0 writes accepted by two primaries", Measured: fmt.Sprintf("%d", s.SplitBrainWrites), Met: s.SplitBrainWrites == 0})
	rejoin := "every broken node rejoined"
	if !s.AllRejoined {
		rejoin = "a broken node did not rejoin"
	} else if s.MaxRejoinS > 0 {
		rejoin += fmt.Sprintf(" (at most %.1f s after the undo)", s.MaxRejoinS)
	}
	back := "the broken node comes back as a replica"
	switch {
	case r.Fault.Kind == DisconnectSite:
		back = "the site's links stream again and the hub catches up"
	case r.Kind != replicate.TopologyStreaming:
		back = "the broken node's links stream again"
	}
	add(VerdictItem{Measure: "rejoin", Target: back, Measured: rejoin, Met: s.AllRejoined})
	if r.Expected != nil && s.MaxRTOS >= 0 {
		// Reported, not judged: the settings' prediction, to read the
		// measure against.
		v.Items = append(v.Items, VerdictItem{Measure: "outage Patroni's settings predict", Target: fmt.Sprintf("%.0f–%.0f s", r.Expected.LowS, r.Expected.HighS),
			Measured: rtoText, Met: true})
	}
	return v
}
