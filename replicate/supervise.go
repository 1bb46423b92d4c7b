package replicate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// SuperviseOptions tune the supervisor.
type SuperviseOptions struct {
	// Interval between polls (default 5s).
	Interval time.Duration
	// AutoReenable re-enables a native subscription that an apply error
	// disabled (disable_on_error), at most MaxReenables times in a row,
	// ReenableBackoff apart. When it keeps failing, the error is not
	// transient and an alarm asks for a human.
	AutoReenable    bool
	MaxReenables    int           // default 3
	ReenableBackoff time.Duration // default 30s
	// DownBudget is how long a node may be unreachable before the
	// node_down alarm fires (default 60s).
	DownBudget time.Duration
	Status     StatusOptions
	Log        *slog.Logger
	// LagWindow is the plan's replication window W and RPO its recovery
	// point objective across regions; both are exported as metrics (when
	// positive) for the alert rules to compare the lag with.
	LagWindow time.Duration
	RPO       time.Duration
	// VerifyEvery runs Verify (with the Verify options) at this interval,
	// the first time at the start, and exports its results; 0 never does.
	VerifyEvery time.Duration
	Verify      VerifyOptions
}

// Event is a change the supervisor (or the dashboard) noticed.
type Event struct {
	Time    time.Time `json:"time"`
	Kind    string    `json:"kind"` // node_down, node_up, link_state, alarm, alarm_cleared, reenabled
	Node    string    `json:"node,omitempty"`
	Link    string    `json:"link,omitempty"`
	Message string    `json:"message"`
}

// Changes lists what changed between two snapshots (prev may be nil).
func Changes(prev, cur *Status) []Event {
	var out []Event
	if cur == nil {
		return nil
	}
	prevNodes := map[string]NodeStatus{}
	prevLinks := map[string]LinkStatus{}
	if prev != nil {
		for _, n := range prev.Nodes {
			prevNodes[n.Name] = n
		}
		for _, l := range prev.Links {
			prevLinks[linkID(l)] = l
		}
	}
	for _, n := range cur.Nodes {
		p, seen := prevNodes[n.Name]
		switch {
		case (!seen || p.Up) && !n.Up:
			out = append(out, Event{Time: cur.Time, Kind: "node_down", Node: n.Name, Message: fmt.Sprintf("node %s is down: %s", n.Name, n.Error)})
		case seen && !p.Up && n.Up:
			out = append(out, Event{Time: cur.Time, Kind: "node_up", Node: n.Name, Message: fmt.Sprintf("node %s is up (PostgreSQL %s)", n.Name, n.Version)})
		}
	}
	for _, l := range cur.Links {
		p, seen := prevLinks[linkID(l)]
		if seen && p.State == l.State {
			continue
		}
		if !seen && prev == nil && l.State == LinkStreaming {
			continue // the first look reports only what is wrong
		}
		from := "new"
		if seen {
			from = p.State
		}
		out = append(out, Event{Time: cur.Time, Kind: "link_state", Node: l.To, Link: linkID(l),
			Message: fmt.Sprintf("link %s -> %s: %s -> %s", l.From, l.To, from, l.State)})
	}
	return out
}

func linkID(l LinkStatus) string {
	if l.Subscription != "" {
		return l.To + "/" + l.Subscription
	}
	return l.From + "->" + l.To
}

func alarmID(a Alarm) string { return a.Kind + "|" + a.Node + "|" + a.Link }

// Supervisor polls a mesh, exports metrics, logs changes, raises alarms
// and (when allowed) re-enables failed subscriptions.
type Supervisor struct {
	plan      *Plan
	opts      SuperviseOptions
	collector *Collector
	log       *slog.Logger

	mu        sync.Mutex
	last      *Status
	alarms    []Alarm
	events    []Event
	downSince map[string]time.Time
	reenable  map[string]*reenableState
	polls     int64
	lastPoll  time.Duration
	reenabled int64
	verify    verifyState

	registry *prometheus.Registry
}

type reenableState struct {
	attempts int
	last     time.Time
	gaveUp   bool
}

// NewSupervisor makes a supervisor for the plan's mesh.
func NewSupervisor(p *Plan, o SuperviseOptions) *Supervisor {
	if o.Interval <= 0 {
		o.Interval = 5 * time.Second
	}
	if o.MaxReenables <= 0 {
		o.MaxReenables = 3
	}
	if o.ReenableBackoff <= 0 {
		o.ReenableBackoff = 30 * time.Second
	}
	if o.DownBudget <= 0 {
		o.DownBudget = 60 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Supervisor{plan: p, opts: o, collector: NewCollector(p, o.Status), log: o.Log,
		downSince: map[string]time.Time{}, reenable: map[string]*reenableState{}, alarms: []Alarm{}}
	s.registry = prometheus.NewRegistry()
	s.registry.MustRegister(&meshMetrics{s: s}, &planMetrics{s: s})
	return s
}

// Close releases the supervisor's connections.
func (s *Supervisor) Close() { s.collector.Close() }

// Run polls until ctx is cancelled, then returns nil.
func (s *Supervisor) Run(ctx context.Context) error {
	s.log.Info("supervisor started", "nodes", len(s.plan.Topology.Nodes), "interval", s.opts.Interval.String(), "auto_reenable", s.opts.AutoReenable,
		"verify_every", s.opts.VerifyEvery.String())
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	if s.opts.VerifyEvery > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.verifyLoop(ctx)
		}()
	}
	for {
		s.Poll(ctx)
		select {
		case <-ctx.Done():
			s.log.Info("supervisor stopped", "polls", s.polls)
			return nil
		case <-t.C:
		}
	}
}

// Poll reads the mesh once and acts on what it finds.
func (s *Supervisor) Poll(ctx context.Context) *Status {
	start := time.Now()
	st := s.collector.Collect(ctx)
	if ctx.Err() != nil {
		return st
	}
	now := time.Now()
	s.mu.Lock()
	prev := s.last
	s.mu.Unlock()
	events := Changes(prev, st)
	for _, e := range events {
		switch e.Kind {
		case "node_down":
			s.log.Warn("node down", "node", e.Node, "message", e.Message)
		case "node_up":
			s.log.Info("node up", "node", e.Node)
		default:
			s.log.Info("link state", "link", e.Link, "message", e.Message)
		}
	}
	// Node-down alarms wait for the budget.
	var alarms []Alarm
	for _, a := range st.Alarms {
		if a.Kind != AlarmNodeDown {
			alarms = append(alarms, a)
		}
	}
	for _, n := range st.Nodes {
		if n.Up {
			delete(s.downSince, n.Name)
			continue
		}
		since, ok := s.downSince[n.Name]
		if !ok {
			since = now
			s.downSince[n.Name] = now
		}
		if d := now.Sub(since); d >= s.opts.DownBudget {
			alarms = append(alarms, Alarm{Kind: AlarmNodeDown, Node: n.Name, Message: fmt.Sprintf(
				"node %s has been down for %s (budget %s); its peers retain WAL for it until it returns or is removed",
				n.Name, d.Round(time.Second), s.opts.DownBudget)})
		}
	}
	alarms = append(alarms, s.reenableFailed(ctx, st, &events)...)
	sort.SliceStable(alarms, func(i, j int) bool { return alarmID(alarms[i]) < alarmID(alarms[j]) })
	s.mu.Lock()
	old := map[string]bool{}
	for _, a := range s.alarms {
		old[alarmID(a)] = true
	}
	cur := map[string]bool{}
	for _, a := range alarms {
		cur[alarmID(a)] = true
		if !old[alarmID(a)] {
			s.log.Error("alarm", "kind", a.Kind, "node", a.Node, "link", a.Link, "message", a.Message)
			events = append(events, Event{Time: st.Time, Kind: "alarm", Node: a.Node, Link: a.Link, Message: a.Message})
		}
	}
	for _, a := range s.alarms {
		if !cur[alarmID(a)] {
			s.log.Info("alarm cleared", "kind", a.Kind, "node", a.Node, "link", a.Link)
			events = append(events, Event{Time: st.Time, Kind: "alarm_cleared", Node: a.Node, Link: a.Link, Message: "cleared: " + a.Message})
		}
	}
	if alarms == nil {
		alarms = []Alarm{}
	}
	st.Alarms = alarms
	s.alarms = alarms
	s.last = st
	s.events = append(s.events, events...)
	if len(s.events) > 100 {
		s.events = s.events[len(s.events)-100:]
	}
	s.polls++
	s.lastPoll = time.Since(start)
	s.mu.Unlock()
	return st
}

// reenableFailed re-enables subscriptions disabled by an apply error, and
// returns alarms for those that keep failing.
func (s *Supervisor) reenableFailed(ctx context.Context, st *Status, events *[]Event) []Alarm {
	var out []Alarm
	for _, l := range st.Links {
		id := linkID(l)
		rs := s.reenable[id]
		if l.State == LinkStreaming {
			// Caught up again a while after the last re-enable: the error
			// was transient, start counting over.
			if rs != nil && l.LagBytes != nil && *l.LagBytes == 0 && time.Since(rs.last) > 2*s.opts.ReenableBackoff {
				delete(s.reenable, id)
			}
			continue
		}
		if l.State != LinkFailed || l.Subscription == "" {
			continue
		}
		if !s.opts.AutoReenable {
			continue // link_broken is already raised by the status
		}
		if rs == nil {
			rs = &reenableState{}
			s.reenable[id] = rs
		}
		if rs.attempts >= s.opts.MaxReenables {
			rs.gaveUp = true
			out = append(out, Alarm{Kind: AlarmLinkBroken, Node: l.To, Link: l.Subscription + " (auto-reenable)", Message: fmt.Sprintf(
				"subscription %s on %s was re-enabled %d times and failed again: the error is not transient; read the server log of %s and fix the conflicting rows",
				l.Subscription, l.To, rs.attempts, l.To)})
			continue
		}
		if !rs.last.IsZero() && time.Since(rs.last) < s.opts.ReenableBackoff {
			continue
		}
		rs.attempts++
		rs.last = time.Now()
		sql := "ALTER SUBSCRIPTION " + pgx.Identifier{l.Subscription}.Sanitize() + " ENABLE"
		if err := s.collector.Exec(ctx, l.To, sql); err != nil {
			s.log.Error("re-enable subscription", "node", l.To, "subscription", l.Subscription, "err", err)
			continue
		}
		s.reenabled++
		s.log.Warn("subscription re-enabled", "node", l.To, "subscription", l.Subscription, "attempt", rs.attempts)
		*events = append(*events, Event{Time: st.Time, Kind: "reenabled", Node: l.To, Link: id,
			Message: fmt.Sprintf("re-enabled %s on %s (attempt %d of %d)", l.Subscription, l.To, rs.attempts, s.opts.MaxReenables)})
	}
	return out
}

// Exec runs one statement on a node through the collector's connection.
func (c *Collector) Exec(ctx context.Context, node, sql string) error {
	for _, pn := range c.plan.Topology.Nodes {
		if pn.Name != node {
			continue
		}
		conn, err := c.conn(ctx, pn)
		if err != nil {
			return err
		}
		c.queries.Add(1)
		if _, err := conn.Exec(ctx, sql); err != nil {
			return fmt.Errorf("node %s: %w", node, err)
		}
		return nil
	}
	return fmt.Errorf("no node %s in the plan", node)
}

// Snapshot returns the last status (nil before the first poll).
func (s *Supervisor) Snapshot() *Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Events returns the recent events, oldest first.
func (s *Supervisor) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Health is the JSON the /healthz endpoint serves.
type Health struct {
	SchemaVersion  int       `json:"schema_version"`
	Status         string    `json:"status"` // ok, degraded (lagging or a link down), critical (an alarm), starting
	Time           time.Time `json:"time"`
	NodesUp        int       `json:"nodes_up"`
	Nodes          int       `json:"nodes"`
	LinksStreaming int       `json:"links_streaming"`
	Links          int       `json:"links"`
	Alarms         []Alarm   `json:"alarms"`
	Polls          int64     `json:"polls"`
	Queries        int64     `json:"queries"`
	Events         []Event   `json:"events"`
}

// Health summarises the last poll.
func (s *Supervisor) Health() Health {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := Health{SchemaVersion: 1, Status: "starting", Time: time.Now().UTC(), Alarms: []Alarm{}, Polls: s.polls,
		Queries: s.collector.Queries(), Events: []Event{}}
	if n := len(s.events); n > 0 {
		h.Events = append(h.Events, s.events[max(0, n-10):]...)
	}
	if s.last == nil {
		return h
	}
	h.Time = s.last.Time
	h.Nodes, h.Links = len(s.last.Nodes), len(s.last.Links)
	for _, n := range s.last.Nodes {
		if n.Up {
			h.NodesUp++
		}
	}
	for _, l := range s.last.Links {
		if l.State == LinkStreaming {
			h.LinksStreaming++
		}
	}
	h.Alarms = append(h.Alarms, s.alarms...)
	switch {
	case len(s.alarms) > 0:
		h.Status = "critical"
	case h.NodesUp < h.Nodes || h.LinksStreaming < h.Links:
		h.Status = "degraded"
	default:
		h.Status = "ok"
	}
	return h
}

// Handler serves /metrics (Prometheus) and /healthz (JSON; 503 when
// critical).
func (s *Supervisor) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		h := s.Health()
		w.Header().Set("Content-Type", "application/json")
		if h.Status == "critical" || h.Status == "starting" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.Encode(h)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "aadvisor mesh supervisor: /metrics (Prometheus), /healthz (JSON)")
	})
	return mux
}

// Registry is the supervisor's Prometheus registry (for tests and
// embedding).
func (s *Supervisor) Registry() *prometheus.Registry { return s.registry }
