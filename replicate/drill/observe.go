package drill

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/jackc/pgx/v5"
)

// sample is the cluster as seen at one moment.
type sample struct {
	at time.Duration
	st *replicate.HAStatus
}

// observer polls the cluster every 200 ms during a run: Patroni's REST API
// under automatic failover, else each node's pg_is_in_recovery(). It
// records what changed as events.
type observer struct {
	p      *replicate.Plan
	since  func() time.Duration
	mu     sync.Mutex
	events []Event
	hist   []sample
	stopc  chan struct{}
	done   chan struct{}
}

func startObserver(ctx context.Context, p *replicate.Plan, since func() time.Duration) *observer {
	ob := &observer{p: p, since: since, stopc: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(ob.done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			ob.poll(ctx)
			select {
			case <-ob.stopc:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ob
}

func (ob *observer) stop() {
	select {
	case <-ob.stopc:
	default:
		close(ob.stopc)
	}
	<-ob.done
}

func (ob *observer) poll(ctx context.Context) {
	var st *replicate.HAStatus
	if ob.p.Topology.HA != nil {
		st = replicate.ReadHA(ctx, ob.p)
	} else {
		st = sqlStatus(ctx, ob.p)
	}
	at := ob.since()
	ob.mu.Lock()
	defer ob.mu.Unlock()
	var prev *replicate.HAStatus
	if len(ob.hist) > 0 {
		prev = ob.hist[len(ob.hist)-1].st
	}
	ob.hist = append(ob.hist, sample{at: at, st: st})
	if prev == nil {
		return
	}
	if st.Source == "" && prev.Source != "" {
		ob.events = append(ob.events, Event{AtMS: at.Milliseconds(), Kind: "member", Detail: "no REST API answers: " + st.Error})
		return
	}
	if st.Source == "" {
		return
	}
	if st.Leader != prev.Leader || st.Timeline != prev.Timeline && st.Leader != "" {
		switch {
		case st.Leader == "":
			ob.events = append(ob.events, Event{AtMS: at.Milliseconds(), Kind: "leader", Node: prev.Leader, Detail: fmt.Sprintf("no leader (was %s)", prev.Leader)})
		default:
			ob.events = append(ob.events, Event{AtMS: at.Milliseconds(), Kind: "leader", Node: st.Leader,
				Detail: fmt.Sprintf("leader %s on timeline %d (was %s on %d)", st.Leader, st.Timeline, orNone(prev.Leader), prev.Timeline)})
		}
	}
	was := map[string]replicate.HAMember{}
	for _, m := range prev.Members {
		was[m.Name] = m
	}
	for _, m := range st.Members {
		w := was[m.Name]
		if w.Role != m.Role || w.State != m.State {
			ob.events = append(ob.events, Event{AtMS: at.Milliseconds(), Kind: "member", Node: m.Name,
				Detail: fmt.Sprintf("%s: %s %s → %s %s", m.Name, orNone(w.Role), orNone(w.State), orNone(m.Role), m.State)})
		}
	}
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// latest returns the last sample.
func (ob *observer) latest() *replicate.HAStatus {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if len(ob.hist) == 0 {
		return nil
	}
	return ob.hist[len(ob.hist)-1].st
}

// history returns the samples and the events so far.
func (ob *observer) history() ([]sample, []Event) {
	ob.mu.Lock()
	defer ob.mu.Unlock()
	return append([]sample(nil), ob.hist...), append([]Event(nil), ob.events...)
}

// promoted returns when a new leader (another node, or the same on a new
// timeline) was first seen after the fault.
func promoted(hist []sample, fault time.Duration, before *replicate.HAStatus) (time.Duration, string, int, bool) {
	for _, s := range hist {
		if s.at <= fault || s.st.Leader == "" {
			continue
		}
		if s.st.Leader != before.Leader || s.st.Timeline > before.Timeline {
			return s.at, s.st.Leader, s.st.Timeline, true
		}
	}
	return 0, "", 0, false
}

// leadersAfter lists the nodes seen holding the leader key after the
// fault, with when each was first seen so.
func leadersAfter(hist []sample, fault time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for _, s := range hist {
		if s.at <= fault || s.st.Leader == "" {
			continue
		}
		if _, ok := out[s.st.Leader]; !ok {
			out[s.st.Leader] = s.at
		}
	}
	return out
}

// rejoined returns when every broken node was back: running, on the
// leader's timeline, and (unless it is the leader) a replica Patroni
// reports a lag for. The nodes must first have been seen broken after the
// fault (Patroni notices a crash only at its next loop), and back after
// from (the undo).
func rejoined(hist []sample, fault, from time.Duration, broken []string) (time.Duration, bool) {
	fine := func(st *replicate.HAStatus) bool {
		if st.Leader == "" {
			return false
		}
		for _, name := range broken {
			m, found := st.Member(name)
			if !found || !m.Running() || m.Timeline != st.Timeline || (name != st.Leader && m.LagBytes == nil) {
				return false
			}
		}
		return true
	}
	seenBroken := false
	for _, s := range hist {
		if s.at < fault {
			continue
		}
		ok := fine(s.st)
		if !ok {
			seenBroken = true
			continue
		}
		if seenBroken && s.at >= from {
			return s.at, true
		}
	}
	return 0, false
}

// sqlStatus describes a streaming topology without automatic failover
// in the shape of a Patroni cluster: the node not in recovery leads.
func sqlStatus(ctx context.Context, p *replicate.Plan) *replicate.HAStatus {
	st := &replicate.HAStatus{Engine: "none", Source: "sql", SyncStandbys: []string{}}
	type row struct {
		m   replicate.HAMember
		lsn int64
	}
	rows := make([]row, len(p.Topology.Nodes))
	var wg sync.WaitGroup
	for i, n := range p.Topology.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rows[i].m = replicate.HAMember{Name: n.Name, State: "stopped"}
			cfg, err := pgx.ParseConfig(n.DSN)
			if err != nil {
				return
			}
			cfg.ConnectTimeout = time.Second
			cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			conn, err := pgx.ConnectConfig(cctx, cfg)
			if err != nil {
				return
			}
			defer conn.Close(context.WithoutCancel(ctx))
			var rec bool
			var tl int
			var lsn int64
			err = conn.QueryRow(cctx, `SELECT pg_catalog.pg_is_in_recovery(), (SELECT timeline_id FROM pg_catalog.pg_control_checkpoint()),
  (CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END - '0/0'::pg_lsn)::bigint`).Scan(&rec, &tl, &lsn)
			if err != nil {
				return
			}
			rows[i].m.State, rows[i].m.Timeline, rows[i].lsn = "running", tl, lsn
			rows[i].m.Role = replicate.PatroniReplica
			if !rec {
				rows[i].m.Role = replicate.PatroniLeader
			}
		}()
	}
	wg.Wait()
	var leaderLSN int64
	for _, r := range rows {
		if r.m.Role == replicate.PatroniLeader {
			st.Leader, st.Timeline, leaderLSN = r.m.Name, r.m.Timeline, r.lsn
		}
	}
	for _, r := range rows {
		m := r.m
		if m.Role == replicate.PatroniReplica && st.Leader != "" {
			lag := max(leaderLSN-r.lsn, 0)
			m.LagBytes = &lag
			m.Timeline = st.Timeline // the checkpoint timeline lags behind a replay
		}
		st.Members = append(st.Members, m)
	}
	sort.SliceStable(st.Members, func(i, j int) bool { return st.Members[i].Name < st.Members[j].Name })
	return st
}

// maxLag is the largest replica lag in a status.
func maxLag(st *replicate.HAStatus) *int64 {
	var out *int64
	for _, m := range st.Members {
		if m.LagBytes != nil && (out == nil || *m.LagBytes > *out) {
			v := *m.LagBytes
			out = &v
		}
	}
	return out
}

func joinNames(s []string) string { return strings.Join(s, ", ") }
