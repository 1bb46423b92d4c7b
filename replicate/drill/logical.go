package drill

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/jackc/pgx/v5"
)

// logicalHold is how long a node stays down in a logical drill when Hold
// is not given: nothing fails over, so nothing tells when to undo.
const logicalHold = 10 * time.Second

// home is the value of the home column a node's clients write: the
// node's name, or the first owner value it owns (partitioned).
func home(p *replicate.Plan, n replicate.PlanNode) string {
	if (p.Topology.Kind == replicate.TopologyPartitioned || p.Topology.Kind == replicate.TopologyHubSpoke) && len(n.Owns) > 0 {
		return n.Owns[0]
	}
	return n.Name
}

func nodeDSN(p *replicate.Plan, n replicate.PlanNode) (string, error) {
	cfg, err := pgx.ParseConfig(n.DSN)
	if err != nil {
		return "", fmt.Errorf("node %s: %w", n.Name, err)
	}
	db := cfg.Database
	if p.Topology.Database != "" {
		db = p.Topology.Database
	}
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", cfg.Host, cfg.Port, kv(cfg.User), kv(db)) + password(cfg.Password), nil
}

func kv(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func password(p string) string {
	if p == "" {
		return ""
	}
	return " password=" + kv(p)
}

// logicalRun is one run on an active-active or write-partitioned mesh:
// every node takes writes from its own clients; the fault takes nodes
// away and brings them back. Measured: the broken node's write outage,
// the writes it had acknowledged that no peer had while it was down, the
// time until its links stream again, writes lost after recovery, and the
// differences mesh verify finds in the drill table.
func logicalRun(ctx context.Context, p *replicate.Plan, o Options, n int) (*Run, error) {
	col := homeColumn(p)
	dsns := map[string]string{}
	var targets []target
	for _, pn := range p.Topology.Nodes {
		dsn, err := nodeDSN(p, pn)
		if err != nil {
			return nil, err
		}
		dsns[pn.Name] = dsn
		targets = append(targets, target{name: pn.Name, dsn: dsn, home: home(p, pn)})
	}
	if err := checkTable(ctx, p, dsns, col); err != nil {
		return nil, err
	}
	o.Progress("waiting for every link to stream")
	if _, err := waitLinks(ctx, p, o.Recover); err != nil {
		return nil, fmt.Errorf("before the fault: %w", err)
	}
	start := time.Now()
	run := &Run{N: n, ID: fmt.Sprintf("%s-%d", start.UTC().Format("20060102T150405"), n), Start: start.UTC(), PromotedMS: -1, RejoinMS: -1,
		RejoinAfterUndoMS: -1, FirstAckAfterMS: -1, Events: []Event{}}
	l, err := startLoad(ctx, p, o, run.ID, targets)
	if err != nil {
		return nil, err
	}
	defer l.stop()
	if err := sleepUntil(ctx, l.start.Add(o.FaultAfter)); err != nil {
		return nil, err
	}
	names, _ := faultTargets(p, o.Fault, "")
	run.Broken = names
	brokenHomes, otherHomes := map[string]bool{}, map[string]bool{}
	for _, pn := range p.Topology.Nodes {
		if slices.Contains(names, pn.Name) {
			brokenHomes[home(p, pn)] = true
		} else {
			otherHomes[home(p, pn)] = true
		}
	}
	o.Progress(fmt.Sprintf("fault: %s on %s", o.Fault.Kind, joinNames(names)))
	faultAt := l.since()
	br, err := inject(ctx, p, o, names)
	defer br.undoQuietly(ctx)
	run.FaultMS, run.FaultDoneMS = faultAt.Milliseconds(), l.since().Milliseconds()
	events := []Event{{AtMS: run.FaultMS, Kind: "fault", Node: joinNames(names), Detail: fmt.Sprintf("%s on %s", o.Fault.Kind, joinNames(names))}}
	if err != nil {
		return run, fmt.Errorf("inject %s: %w", o.Fault, err)
	}
	hold := o.Hold
	if hold == 0 {
		hold = logicalHold
	}
	if err := sleepUntil(ctx, l.start.Add(faultAt+hold)); err != nil {
		return run, err
	}
	// What the broken nodes had acknowledged that a surviving peer lacks
	// after the whole hold: lost if they never came back.
	var stranded int64
	before := l.snapshot()
	for _, pn := range p.Topology.Nodes {
		if slices.Contains(names, pn.Name) || !holds(p, pn.Name, "") {
			continue
		}
		rows, err := present(ctx, dsns[pn.Name], run.ID, col)
		if err != nil {
			return run, fmt.Errorf("read the drill rows on %s: %s", pn.Name, inspect.Redact(err.Error()))
		}
		var missing int64
		for _, a := range before {
			if brokenHomes[a.home] && a.at <= faultAt && !rows[a.home][a.seq] {
				missing++
			}
		}
		stranded = max(stranded, missing)
	}
	run.StrandedWrites = &stranded
	if o.Fault.Kind == DisconnectSite {
		if err := siteHeld(ctx, p, o.Fault.Target, run, dsns[p.Topology.Hub], col, before, brokenHomes, faultAt); err != nil {
			run.Notes = append(run.Notes, err.Error())
		}
	}
	o.Progress("undo: " + undoText(o.Fault, p))
	undoneAt := l.since()
	if err := br.undo(ctx); err != nil {
		return run, fmt.Errorf("undo %s: %w", o.Fault, err)
	}
	run.UndoneMS = undoneAt.Milliseconds()
	events = append(events, Event{AtMS: run.UndoneMS, Kind: "undo", Node: joinNames(names), Detail: undoText(o.Fault, p)})
	if err := waitLinksLogged(ctx, p, o.Recover, l.since, &events); err != nil {
		run.Notes = append(run.Notes, err.Error())
	} else {
		at := l.since()
		run.RejoinMS = at.Milliseconds()
		run.RejoinAfterUndoMS = (at - undoneAt).Milliseconds()
		events = append(events, Event{AtMS: run.RejoinMS, Kind: "links_resumed", Node: joinNames(names), Detail: "every link streams again"})
	}
	if o.Fault.Kind == DisconnectSite {
		if err := siteCatchUp(ctx, p, dsns, run, col, l.snapshot(), brokenHomes, undoneAt, l.since, o.Recover, &events); err != nil {
			run.Notes = append(run.Notes, err.Error())
		}
	}
	for l.since() < o.Duration {
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return run, err
		}
	}
	l.stop()
	end := l.since()
	acks := l.snapshot()

	// Converged: every node holds every acknowledged row, within Recover.
	o.Progress("waiting for every node to hold every acknowledged write")
	lost, err := waitConverged(ctx, p, dsns, run.ID, col, acks, o.Recover)
	if err != nil {
		return run, err
	}
	run.LostWrites = int64(len(lost))
	run.LostWindowMS = lostWindow(lost, faultAt).Milliseconds()
	run.Attempted, run.Acked = l.attempted.Load(), int64(len(acks))
	gapFrom, gapTo, ok := outageOf(acks, faultAt, brokenHomes)
	run.LastAckBeforeMS = gapFrom.Milliseconds()
	if ok {
		run.FirstAckAfterMS, run.RTOMS = gapTo.Milliseconds(), (gapTo - gapFrom).Milliseconds()
		events = append(events, Event{AtMS: run.FirstAckAfterMS, Kind: "writes_resumed", Node: joinNames(names),
			Detail: fmt.Sprintf("first write on the broken node after %.1f s without", float64(run.RTOMS)/1000)})
	} else {
		run.RTOMS = -1
	}
	if len(otherHomes) > 0 {
		run.OtherNodesMaxGap = maxGap(acks, faultAt, end, otherHomes).Milliseconds()
	}
	l.mu.Lock()
	rowsAll, _ := present(ctx, dsns[p.Topology.Nodes[0].Name], run.ID, col)
	for h, seqs := range l.unacked {
		for _, s := range seqs {
			if rowsAll[h][s] {
				run.InDoubtCommitted++
			}
		}
	}
	l.mu.Unlock()
	run.AcksPer100ms = buckets(acks, end)

	o.Progress("mesh verify of the drill table")
	diffs, after, err := VerifyDrillTable(ctx, p, o.RepairSQL)
	if err != nil {
		run.Notes = append(run.Notes, "verify: "+err.Error())
	} else {
		run.VerifyDiffs = &diffs
		run.RepairedDiffs = after
	}
	run.Events = mergeEvents(events, nil)
	return run, nil
}

// outageOf is outage for the writes of some homes only.
func outageOf(acks []ack, faultAt time.Duration, homes map[string]bool) (time.Duration, time.Duration, bool) {
	var sel []ack
	for _, a := range acks {
		if homes[a.home] {
			sel = append(sel, a)
		}
	}
	return outage(sel, faultAt)
}

// checkTable makes sure the drill table is on every node: a logical mesh
// replicates only the tables bootstrap put in scope.
func checkTable(ctx context.Context, p *replicate.Plan, dsns map[string]string, col string) error {
	for _, pn := range p.Topology.Nodes {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		conn, err := pgx.Connect(cctx, dsns[pn.Name])
		if err != nil {
			cancel()
			return fmt.Errorf("node %s: connect: %s", pn.Name, inspect.Redact(err.Error()))
		}
		var ok bool
		err = conn.QueryRow(cctx, `SELECT pg_catalog.to_regclass('public.aadv_drill_writes') IS NOT NULL`).Scan(&ok)
		conn.Close(context.WithoutCancel(ctx))
		cancel()
		if err != nil {
			return fmt.Errorf("node %s: %s", pn.Name, inspect.Redact(err.Error()))
		}
		if !ok {
			return usage("node %s has no %s: a logical mesh replicates the tables bootstrap put in scope, so create it on every node before bootstrap (or use drill --sandbox, which does):\n%s;",
				pn.Name, Table, TableDDL(col))
		}
	}
	return nil
}

// waitLinks waits until every link of the mesh streams.
func waitLinks(ctx context.Context, p *replicate.Plan, timeout time.Duration) (*replicate.Status, error) {
	deadline := time.Now().Add(timeout)
	for {
		st := replicate.MeshStatus(ctx, p, replicate.StatusOptions{Timeout: 3 * time.Second})
		var bad []string
		for _, n := range st.Nodes {
			if !n.Up {
				bad = append(bad, n.Name+" down")
			}
		}
		for _, l := range st.Links {
			if l.State != replicate.LinkStreaming {
				bad = append(bad, fmt.Sprintf("%s→%s %s", l.From, l.To, l.State))
			}
		}
		if len(st.Links) == 0 {
			bad = append(bad, "no links found")
		}
		if len(bad) == 0 {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("links not streaming after %s: %s", timeout, joinNames(bad))
		}
		if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
			return st, err
		}
	}
}

// waitLinksLogged is waitLinks with an event for every change of a
// link's state.
func waitLinksLogged(ctx context.Context, p *replicate.Plan, timeout time.Duration, since func() time.Duration, events *[]Event) error {
	deadline := time.Now().Add(timeout)
	prev := map[string]string{}
	for {
		st := replicate.MeshStatus(ctx, p, replicate.StatusOptions{Timeout: 3 * time.Second})
		ok := len(st.Links) > 0
		for _, n := range st.Nodes {
			ok = ok && n.Up
		}
		for _, l := range st.Links {
			id := l.From + "→" + l.To
			if prev[id] != l.State {
				*events = append(*events, Event{AtMS: since().Milliseconds(), Kind: "link", Node: l.To, Detail: fmt.Sprintf("link %s %s", id, l.State)})
				prev[id] = l.State
			}
			ok = ok && l.State == replicate.LinkStreaming
		}
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("links not streaming %s after the restart", timeout)
		}
		if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}

// waitConverged waits until every node holds every acknowledged write (a
// partitioned topology's row-filtered publications, too, carry each
// owner's rows to every other node);
// what is still missing after timeout is lost.
func waitConverged(ctx context.Context, p *replicate.Plan, dsns map[string]string, run, col string, acks []ack, timeout time.Duration) ([]ack, error) {
	deadline := time.Now().Add(timeout)
	for {
		var missing []ack
		seen := map[ack]bool{}
		for _, pn := range p.Topology.Nodes {
			rows, err := present(ctx, dsns[pn.Name], run, col)
			if err != nil {
				return nil, fmt.Errorf("read the drill rows on %s: %s", pn.Name, inspect.Redact(err.Error()))
			}
			for _, a := range acks {
				if !rows[a.home][a.seq] && !seen[a] && holds(p, pn.Name, a.node) {
					seen[a] = true
					missing = append(missing, a)
				}
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing, nil
		}
		if err := sleepCtx(ctx, time.Second); err != nil {
			return nil, err
		}
	}
}

// VerifyDrillTable runs mesh verify on the drill table; with repairSQL it
// writes the repair script there, runs it with psql on every node, and
// verifies again (after is nil without it).
func VerifyDrillTable(ctx context.Context, p *replicate.Plan, repairSQL string) (int, *int, error) {
	vo := replicate.VerifyOptions{Tables: []string{Table}, Recheck: 2 * time.Second}
	rep, err := replicate.Verify(ctx, p, vo)
	if err != nil {
		return 0, nil, err
	}
	diffs := rep.Differences
	if repairSQL == "" {
		return diffs, nil, nil
	}
	var b bytes.Buffer
	if err := rep.WriteRepairSQL(&b); err != nil {
		return diffs, nil, err
	}
	if err := os.WriteFile(repairSQL, b.Bytes(), 0o644); err != nil {
		return diffs, nil, fmt.Errorf("write %s: %w", repairSQL, err)
	}
	if diffs == 0 {
		zero := 0
		return 0, &zero, nil
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		return diffs, nil, fmt.Errorf("repair script written to %s, but no psql to run it: %w", repairSQL, err)
	}
	for _, pn := range p.Topology.Nodes {
		dsn, err := nodeDSN(p, pn)
		if err != nil {
			return diffs, nil, err
		}
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		out, err := exec.CommandContext(cctx, psql, "-X", "-q", "-f", repairSQL, dsn).CombinedOutput()
		cancel()
		if err != nil {
			return diffs, nil, fmt.Errorf("psql -f %s on %s: %v: %s", repairSQL, pn.Name, err, inspect.Redact(string(out)))
		}
	}
	rep, err = replicate.Verify(ctx, p, vo)
	if err != nil {
		return diffs, nil, err
	}
	after := rep.Differences
	return diffs, &after, nil
}
