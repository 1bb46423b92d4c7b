package drill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/jackc/pgx/v5"
)

// streamingRun is one run on a single-primary topology: the load writes
// through the connection string that names every node with
// target_session_attrs=read-write, so that it follows the primary.
func streamingRun(ctx context.Context, p *replicate.Plan, o Options, n int) (*Run, error) {
	ha := p.Topology.HA != nil
	dsn, err := replicate.ClientDSN(p)
	if err != nil {
		return nil, err
	}
	all := nodeNames(p)
	if ha {
		o.Progress("waiting for the Patroni cluster to be whole (leader, replicas streaming on its timeline)")
		if err := waitWhole(ctx, p, all, o.Recover); err != nil {
			return nil, fmt.Errorf("before the fault: %w", err)
		}
	}
	if err := execOn(ctx, dsn, TableDDL(homeColumn(p))); err != nil {
		return nil, fmt.Errorf("create the drill table: %w", err)
	}
	start := time.Now()
	run := &Run{N: n, ID: fmt.Sprintf("%s-%d", start.UTC().Format("20060102T150405"), n), Start: start.UTC(), PromotedMS: -1, RejoinMS: -1,
		RejoinAfterUndoMS: -1, FirstAckAfterMS: -1, Events: []Event{}}
	l, err := startLoad(ctx, p, o, run.ID, []target{{name: "primary", dsn: dsn, home: "primary"}})
	if err != nil {
		return nil, err
	}
	defer l.stop()
	ob := startObserver(ctx, p, l.since)
	defer ob.stop()

	if err := sleepUntil(ctx, l.start.Add(o.FaultAfter)); err != nil {
		return nil, err
	}
	before := ob.latest()
	if before == nil || before.Leader == "" {
		return nil, fmt.Errorf("before the fault: %w (cluster: %s)", errNoPrimary, describe(before))
	}
	run.LeaderBefore, run.TimelineBefore = before.Leader, before.Timeline
	run.SyncBefore = strings.Join(before.SyncStandbys, ", ")
	if ha {
		run.LagBeforeBytes = maxLag(before)
	}
	names, err := faultTargets(p, o.Fault, before.Leader)
	if err != nil {
		return nil, err
	}
	run.Broken = names
	o.Progress(fmt.Sprintf("fault: %s on %s (leader %s, timeline %d)", o.Fault.Kind, joinNames(names), before.Leader, before.Timeline))
	faultAt := l.since()
	br, err := inject(ctx, p, o, names)
	defer br.undoQuietly(ctx)
	faultDone := l.since()
	run.FaultMS, run.FaultDoneMS = faultAt.Milliseconds(), faultDone.Milliseconds()
	if err != nil {
		return run, fmt.Errorf("inject %s: %w", o.Fault, err)
	}
	extra := []Event{{AtMS: run.FaultMS, Kind: "fault", Node: joinNames(names), Detail: fmt.Sprintf("%s on %s", o.Fault.Kind, joinNames(names))}}

	// The fault lasts Hold, or until writes resume (+2 s); the load runs
	// Duration, and on until writes resume (within Recover).
	var undoneAt time.Duration
	resumed := false
	for {
		acks := l.snapshot()
		// Writes count as resumed from when the fault took effect: stopping
		// Patroni takes a second or more (it shuts its server down
		// cleanly), and the writes the primary still acknowledges meanwhile
		// are no recovery (the hold would end before the failover and the
		// outage be put down to the undo).
		first, ok := resumedAt(acks, faultDone)
		if ok && !resumed {
			resumed = true
			o.Progress(fmt.Sprintf("writes resumed %.1fs after the fault", (first - faultAt).Seconds()))
		}
		now := l.since()
		due := (o.Hold > 0 && now >= faultAt+o.Hold) || (o.Hold == 0 && (resumed && now >= first+2*time.Second || now >= o.Duration))
		if undoneAt == 0 && due {
			undoneAt = l.since()
			if br.needsUndo() {
				o.Progress("undo: " + undoText(o.Fault, p))
				if err := br.undo(ctx); err != nil {
					return run, fmt.Errorf("undo %s: %w", o.Fault, err)
				}
			}
			br.undone = true
			if br.needsUndo() {
				run.UndoneMS = undoneAt.Milliseconds()
				extra = append(extra, Event{AtMS: run.UndoneMS, Kind: "undo", Node: joinNames(names), Detail: undoText(o.Fault, p)})
			}
		}
		if now >= o.Duration && undoneAt > 0 && (resumed || now >= o.Duration+o.Recover) {
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return run, err
		}
	}
	l.stop()
	end := l.since()

	// Whole again: the broken nodes back on the leader's timeline (seen by
	// the observer), then every node a member with a synchronous standby
	// where the mode wants one.
	o.Progress("waiting for the broken node(s) to rejoin")
	from := faultAt
	if br.needsUndo() {
		from = undoneAt
	}
	deadline := time.Now().Add(o.Recover)
	for {
		hist, _ := ob.history()
		if at, ok := rejoined(hist, faultAt, from, names); ok {
			run.RejoinMS = at.Milliseconds()
			run.RejoinAfterUndoMS = (at - from).Milliseconds()
			extra = append(extra, Event{AtMS: run.RejoinMS, Kind: "rejoined", Node: joinNames(names), Detail: joinNames(names) + " back on the leader's timeline"})
			break
		}
		if time.Now().After(deadline) {
			run.Notes = append(run.Notes, fmt.Sprintf("%s did not rejoin within %s: %s", joinNames(names), o.Recover, describe(ob.latest())))
			break
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return run, err
		}
	}
	if ha && run.RejoinMS >= 0 {
		if err := waitWhole(ctx, p, all, time.Until(deadline)+10*time.Second); err != nil {
			run.Notes = append(run.Notes, err.Error())
		}
	}
	ob.stop()
	hist, events := ob.history()
	after := ob.latest()
	if after != nil {
		run.LeaderAfter, run.TimelineAfter = after.Leader, after.Timeline
	}
	if at, leader, tl, ok := promoted(hist, faultAt, before); ok {
		run.PromotedMS = at.Milliseconds()
		extra = append(extra, Event{AtMS: run.PromotedMS, Kind: "promoted", Node: leader, Detail: fmt.Sprintf("%s leads on timeline %d", leader, tl)})
	}

	// Count row by row on the primary now.
	acks := l.snapshot()
	rows, err := present(ctx, dsn, run.ID, homeColumn(p))
	if err != nil {
		return run, fmt.Errorf("read the drill rows back: %s", inspect.Redact(err.Error()))
	}
	measure(run, l, acks, rows["primary"], faultAt, end, run.LeaderAfter, leadersAfter(hist, faultAt))
	run.ResumedByUndo = run.UndoneMS > 0 && run.FirstAckAfterMS >= run.UndoneMS
	if run.FirstAckAfterMS >= 0 {
		extra = append(extra, Event{AtMS: run.FirstAckAfterMS, Kind: "writes_resumed", Detail: fmt.Sprintf("first write acknowledged after %.1f s without", float64(run.RTOMS)/1000)})
	}
	run.Events = mergeEvents(events, extra)
	return run, nil
}

// measure fills a run's counts from the acknowledgements and the rows
// found afterwards.
func measure(run *Run, l *load, acks []ack, rows map[int64]bool, faultAt, end time.Duration, leader string, leaders map[string]time.Duration) {
	run.Attempted = l.attempted.Load()
	run.Acked = int64(len(acks))
	gapFrom, gapTo, ok := outage(acks, faultAt)
	run.LastAckBeforeMS = gapFrom.Milliseconds()
	if ok {
		run.FirstAckAfterMS = gapTo.Milliseconds()
		run.RTOMS = (gapTo - gapFrom).Milliseconds()
	} else {
		run.RTOMS = -1
	}
	var lost []ack
	for _, a := range acks {
		if !rows[a.seq] {
			lost = append(lost, a)
		}
	}
	run.LostWrites = int64(len(lost))
	run.LostWindowMS = lostWindow(lost, faultAt).Milliseconds()
	l.mu.Lock()
	for _, seq := range l.unacked["primary"] {
		if rows[seq] {
			run.InDoubtCommitted++
		}
	}
	l.mu.Unlock()
	// Split brain: writes acknowledged after the fault by a node that is
	// not the primary at the end, while another node held the leader key
	// (the old primary still taking writes after a promotion), or by a
	// node that was promoted and then overruled: a second history,
	// acknowledged to clients.
	var promotedAt time.Duration = -1
	for name, at := range leaders {
		if name != run.LeaderBefore && (promotedAt < 0 || at < promotedAt) {
			promotedAt = at
		}
	}
	for _, a := range acks {
		if a.at <= faultAt || a.node == leader || a.node == "" {
			continue
		}
		_, wasLeader := leaders[a.node]
		if (wasLeader && a.node != run.LeaderBefore) || (promotedAt >= 0 && a.at > promotedAt) {
			run.SplitBrainWrites++
		}
	}
	run.AcksPer100ms = buckets(acks, end)
}

// lostWindow is the time span of acknowledged writes that are gone: from
// the oldest lost before the fault to the fault, plus the span of those
// lost after it (a second history, thrown away).
func lostWindow(lost []ack, faultAt time.Duration) time.Duration {
	var pre, post, last time.Duration = -1, -1, 0
	for _, a := range lost {
		switch {
		case a.at <= faultAt && (pre < 0 || a.at < pre):
			pre = a.at
		case a.at > faultAt:
			if post < 0 || a.at < post {
				post = a.at
			}
			last = max(last, a.at)
		}
	}
	var w time.Duration
	if pre >= 0 {
		w += faultAt - pre
	}
	if post >= 0 {
		w += last - post
	}
	return w
}

// outage is the longest gap between consecutive acknowledgements that
// ends after the fault: its start and end. Writes in flight when the fault
// hit may still be acknowledged just after it; the gap that follows them
// is the outage. ok is false when no write was acknowledged after the
// fault.
func outage(acks []ack, faultAt time.Duration) (from, to time.Duration, ok bool) {
	prev := time.Duration(0)
	for _, a := range acks {
		if a.at > faultAt {
			if !ok || a.at-prev > to-from {
				from, to, ok = prev, a.at, true
			}
		}
		prev = a.at
	}
	if !ok {
		from = prev
	}
	return from, to, ok
}

// resumedAt tells whether writes resumed after the fault, and when: the
// first acknowledgement on a connection made after the fault (writes in
// flight when it hit are still acknowledged on the old ones), or, when
// the old connections kept being acknowledged for a second, the fault
// did not stop writes at all.
func resumedAt(acks []ack, faultAt time.Duration) (time.Duration, bool) {
	var first time.Duration = -1
	for _, a := range acks {
		if a.at <= faultAt {
			continue
		}
		if first < 0 {
			first = a.at
		}
		if a.conn > faultAt {
			return a.at, true
		}
		if a.at > faultAt+time.Second {
			return first, true
		}
	}
	return 0, false
}

func undoText(f Fault, p *replicate.Plan) string {
	ha := p.Topology.HA != nil
	switch {
	case f.Kind == DisconnectSite:
		return "enable the links between the site and its hub again"
	case f.Kind == FreezePrimary:
		return "resume the frozen server (SIGCONT)"
	case ha:
		return "start Patroni again on the broken node(s), as its service manager would"
	}
	return "start the server again (pg_ctl start: crash recovery)"
}

// waitWhole waits until the Patroni cluster has a leader and every node
// runs on its timeline with a known lag.
func waitWhole(ctx context.Context, p *replicate.Plan, nodes []string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		st := replicate.ReadHA(ctx, p)
		why := ""
		if st.Source == "" {
			why = st.Error
		} else if st.Leader == "" {
			why = "no leader"
		} else {
			for _, name := range nodes {
				m, ok := st.Member(name)
				switch {
				case !ok:
					why = name + " is not a member"
				case !m.Running() || m.Timeline != st.Timeline:
					why = fmt.Sprintf("%s is %s on timeline %d (leader %s on %d)", name, m.State, m.Timeline, st.Leader, st.Timeline)
				case name != st.Leader && m.LagBytes == nil:
					why = name + " has no lag yet"
				}
				if why != "" {
					break
				}
			}
			if why == "" && st.Synchronous && len(nodes) > 1 && len(st.SyncStandbys) == 0 {
				why = "no synchronous standby yet"
			}
		}
		if why == "" {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not whole after %s: %s", timeout, why)
		}
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}

func describe(st *replicate.HAStatus) string {
	if st == nil {
		return "not read yet"
	}
	if st.Source == "" {
		return st.Error
	}
	var parts []string
	for _, m := range st.Members {
		parts = append(parts, fmt.Sprintf("%s %s %s", m.Name, orNone(m.Role), m.State))
	}
	return strings.Join(parts, "; ")
}

func execOn(ctx context.Context, dsn, sql string) error {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		return fmt.Errorf("connect: %s", inspect.Redact(err.Error()))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(cctx, sql); err != nil {
		return err
	}
	return nil
}

func sleepUntil(ctx context.Context, t time.Time) error { return sleepCtx(ctx, time.Until(t)) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// mergeEvents orders the observer's and the drill's events by time.
func mergeEvents(a, b []Event) []Event {
	out := append(append([]Event{}, a...), b...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j].AtMS < out[j-1].AtMS; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
