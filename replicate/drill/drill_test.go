package drill

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(sandboxtest.Main(m)) }

// Patroni settings for the tests: short enough that a failover takes
// seconds, long enough that a busy 2-core machine does not fail over by
// itself (ttl > loop_wait + retry_timeout, with room).
func testHA(sync bool) replicate.HA {
	return replicate.HA{Engine: replicate.HAPatroni, TTL: 15, LoopWait: 3, RetryTimeout: 5, SynchronousMode: sync}
}

// tolerance is what a loaded CI machine may add to Patroni's own timing:
// its loops, the REST API polls and the load's reconnects run late there.
const tolerance = 20 * time.Second

// haCluster stands up a streaming topology handed to Patroni on sandbox
// nodes named and placed as given (the first is the primary).
func haCluster(t *testing.T, h replicate.HA, names, regions []string) (*replicate.Plan, Options) {
	t.Helper()
	sandboxtest.NeedHA(t)
	sb := sandboxtest.ForTest(t, 15, len(names))
	ctx := context.Background()
	p := &replicate.Plan{Version: replicate.PlanVersion, Topology: replicate.Topology{Kind: replicate.TopologyStreaming,
		Engine: replicate.EnginePhysical, Database: "postgres", HA: &h}}
	local := map[string]*sandbox.Node{}
	for i, n := range sb.Nodes {
		role := replicate.RoleStandby
		if i == 0 {
			role = replicate.RolePrimary
		}
		p.Topology.Nodes = append(p.Topology.Nodes, replicate.PlanNode{Name: names[i], Region: regions[i], Role: role, DSN: n.DSN("")})
		local[names[i]] = n
	}
	if err := replicate.PrepareHA(p, local, sb); err != nil {
		t.Fatal(err)
	}
	res, err := replicate.Bootstrap(ctx, p, replicate.Options{Local: local, Sandbox: sb, Wait: 4 * time.Minute})
	if err != nil {
		var steps []string
		if res != nil {
			for _, s := range res.Steps {
				steps = append(steps, s.Action+": "+s.Status+" "+s.Error)
			}
		}
		t.Fatalf("bootstrap: %v\n%s", err, strings.Join(steps, "\n"))
	}
	return p, Options{Local: local, Sandbox: sb, Rate: 100, Clients: 3, Duration: 25 * time.Second, FaultAfter: 6 * time.Second,
		Recover: 4 * time.Minute, Progress: func(s string) { t.Log(s) }}
}

func runDrill(t *testing.T, p *replicate.Plan, o Options) *Result {
	t.Helper()
	res, err := Drill(context.Background(), p, o)
	if err != nil {
		t.Fatalf("drill %s: %v", o.Fault, err)
	}
	if len(res.Runs) != o.Runs && !(o.Runs == 0 && len(res.Runs) == 1) {
		t.Fatalf("%d runs, want %d", len(res.Runs), o.Runs)
	}
	return res
}

// checkCounts holds the drill's counts to the rows on the primary: every
// row of the run there is an acknowledged write not lost, or a write whose
// acknowledgement never came.
func checkCounts(t *testing.T, p *replicate.Plan, run Run) {
	t.Helper()
	dsn, err := replicate.ClientDSN(p)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var rows int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM public.aadv_drill_writes WHERE run = $1", run.ID).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if want := run.Acked - run.LostWrites + run.InDoubtCommitted; rows != want {
		t.Errorf("run %d: %d rows on the primary, want acked %d - lost %d + in doubt %d = %d", run.N, rows, run.Acked, run.LostWrites, run.InDoubtCommitted, want)
	}
	if run.Acked == 0 || run.Attempted < run.Acked {
		t.Errorf("run %d: %d of %d writes acknowledged", run.N, run.Acked, run.Attempted)
	}
}

// checkRecovered: writes resumed within the outage the settings predict
// (plus the machine's tolerance), the broken node rejoined, nothing was
// accepted by two primaries.
func checkRecovered(t *testing.T, res *Result, run Run) {
	t.Helper()
	if run.RTOMS < 0 {
		t.Fatalf("run %d: writes never resumed; events %+v", run.N, run.Events)
	}
	if e := res.Expected; e != nil && time.Duration(run.RTOMS)*time.Millisecond > time.Duration(e.HighS*float64(time.Second))+tolerance {
		t.Errorf("run %d: RTO %d ms, Patroni's settings predict at most %.0f s (+%s tolerance): %s", run.N, run.RTOMS, e.HighS, tolerance, e.Why)
	}
	if run.RejoinMS < 0 {
		t.Errorf("run %d: %v did not rejoin: %v", run.N, run.Broken, run.Notes)
	}
	if len(run.AcksPer100ms) == 0 {
		t.Errorf("run %d: no timeline", run.N)
	}
	t.Logf("run %d: %s on %v, RTO %d ms (predicted %.0f–%.0f s), lost %d, split brain %d, in doubt %d, leader %s → %s, rejoined %d ms after the undo",
		run.N, res.Fault, run.Broken, run.RTOMS, res.Expected.LowS, res.Expected.HighS, run.LostWrites, run.SplitBrainWrites, run.InDoubtCommitted,
		run.LeaderBefore, run.LeaderAfter, run.RejoinAfterUndoMS)
}

// TestDrillSynchronous breaks an SP-SYNC cluster (Patroni synchronous
// mode, 3 nodes, the synchronous standby in another region) with every
// fault, one after the other: a region, the primary's postmaster three
// times, a fast stop, the leader's machine, and a hung primary. In
// synchronous mode no acknowledged write may be lost, except where
// Patroni 3.0.2 gives the leader key back to a primary that hung (see
// docs/drill.md): there, every lost write belongs to a second history the
// drill counts as split brain.
func TestDrillSynchronous(t *testing.T) {
	if testing.Short() {
		t.Skip("eight drills on one cluster: minutes (the race run drills with TestDrillAsynchronous and TestDrillLogical)")
	}
	p, o := haCluster(t, testHA(true), []string{"primary", "standby_1", "sync_b"}, []string{"a", "a", "b"})
	o.Targets = Targets{RPOS: 0, RPOSet: true, RPOSource: "test"}
	lossless := func(t *testing.T, res *Result) {
		for _, run := range res.Runs {
			checkRecovered(t, res, run)
			checkCounts(t, p, run)
			if run.LostWrites != 0 || run.SplitBrainWrites != 0 {
				t.Errorf("run %d: %d acknowledged writes lost, %d split brain, in synchronous mode", run.N, run.LostWrites, run.SplitBrainWrites)
			}
			if run.PromotedMS < 0 {
				t.Errorf("run %d: no promotion seen; events %+v", run.N, run.Events)
			}
		}
		if !res.Verdict.Met {
			t.Errorf("verdict not met: %+v", res.Verdict.Items)
		}
	}
	t.Run("kill-region", func(t *testing.T) {
		o := o
		o.Fault = Fault{Kind: KillRegion, Target: "a"}
		res := runDrill(t, p, o)
		lossless(t, res)
		if run := res.Runs[0]; run.LeaderAfter != "sync_b" || len(run.Broken) != 2 {
			t.Errorf("region a lost: leader after %q, broken %v; want sync_b promoted, 2 nodes broken", run.LeaderAfter, run.Broken)
		}
	})
	t.Run("kill-primary", func(t *testing.T) {
		o := o
		o.Fault, o.Runs = Fault{Kind: KillPrimary}, 3
		res := runDrill(t, p, o)
		lossless(t, res)
		for _, run := range res.Runs {
			// primary_start_timeout 0 in synchronous mode: a crash fails
			// over to the synchronous standby.
			if run.LeaderAfter == run.LeaderBefore {
				t.Errorf("run %d: %s stayed the leader; want a failover", run.N, run.LeaderBefore)
			}
		}
	})
	t.Run("stop-primary", func(t *testing.T) {
		o := o
		o.Fault = Fault{Kind: StopPrimary}
		lossless(t, runDrill(t, p, o))
	})
	t.Run("kill-node", func(t *testing.T) {
		o := o
		leader := replicate.ReadHA(context.Background(), p).Leader
		if leader == "" {
			t.Fatal("no leader")
		}
		o.Fault = Fault{Kind: KillNode, Target: leader}
		lossless(t, runDrill(t, p, o))
	})
	t.Run("freeze-primary", func(t *testing.T) {
		o := o
		// Patroni 3.0.2 may leave the cluster without a synchronous
		// standby after this one (docs/drill.md): do not wait long.
		o.Fault, o.Recover = Fault{Kind: FreezePrimary}, 90*time.Second
		res := runDrill(t, p, o)
		run := res.Runs[0]
		checkRecovered(t, res, run)
		checkCounts(t, p, run)
		if run.LostWrites > 0 && run.SplitBrainWrites == 0 {
			t.Errorf("%d acknowledged writes lost in synchronous mode without a second history", run.LostWrites)
		}
		if res.Verdict.Met != (run.LostWrites == 0 && run.SplitBrainWrites == 0) {
			t.Errorf("verdict met %v with %d lost, %d split brain", res.Verdict.Met, run.LostWrites, run.SplitBrainWrites)
		}
	})
}

// TestDrillAsynchronous kills the leader's machine in an asynchronous
// SP-1 cluster: the drill reports the writes lost (the replica's lag at
// the fault), counted row by row.
func TestDrillAsynchronous(t *testing.T) {
	p, o := haCluster(t, testHA(false), []string{"primary", "standby_1"}, []string{"a", "a"})
	o.Fault = Fault{Kind: KillNode, Target: "primary"}
	res := runDrill(t, p, o)
	run := res.Runs[0]
	checkRecovered(t, res, run)
	checkCounts(t, p, run)
	if run.LeaderAfter != "standby_1" || run.SplitBrainWrites != 0 {
		t.Errorf("leader after %q, split brain %d", run.LeaderAfter, run.SplitBrainWrites)
	}
	if run.LagBeforeBytes == nil {
		t.Error("no replica lag before the fault")
	}
	// Text and the verdict say how many were lost.
	var b strings.Builder
	WriteText(&b, res)
	if !strings.Contains(b.String(), fmt.Sprintf("%d acknowledged write(s)", run.LostWrites)) {
		t.Errorf("text output does not report the lost writes:\n%s", b.String())
	}
	// sandbox down leaves nothing: no Patroni, etcd or server process,
	// no directory.
	var pids []int
	for _, n := range o.Sandbox.Nodes {
		pids = append(pids, n.PatroniPID(), n.PID())
	}
	for _, e := range o.Sandbox.Etcd {
		pids = append(pids, e.PID())
	}
	if err := o.Sandbox.Down(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if pid == 0 {
			t.Errorf("a process of the cluster was not running before down: %v", pids)
			continue
		}
		if running(pid) {
			t.Errorf("pid %d still runs after sandbox down", pid)
		}
	}
	if _, err := os.Stat(o.Sandbox.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after sandbox down: %v", o.Sandbox.Dir, err)
	}
}

// running reports whether a process is alive (not a zombie).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || i+2 >= len(b) || (b[i+2] != 'Z' && b[i+2] != 'X')
}

// TestDrillLogical kills a node of the logical designs bootstrap builds
// (active-active and write-partitioned, native logical replication on
// 18): its writes stop while the other's go on, its links resume after the
// restart, nothing acknowledged is lost, mesh verify finds the drill table
// equal; a row removed behind replication's back is found and repaired.
func TestDrillLogical(t *testing.T) {
	for _, kind := range []string{replicate.TopologyActiveActive, replicate.TopologyPartitioned} {
		t.Run(kind, func(t *testing.T) {
			sb := sandboxtest.ForTest(t, 18, 2)
			ctx := context.Background()
			p := &replicate.Plan{Version: replicate.PlanVersion, Topology: replicate.Topology{Kind: kind,
				Engine: replicate.EngineNative, Database: "postgres", Tables: []string{"public.aadv_drill_writes"}}}
			local := map[string]*sandbox.Node{}
			role := replicate.RolePeer
			if kind == replicate.TopologyPartitioned {
				p.Topology.OwnerColumn, role = "owner", replicate.RoleOwner
			}
			for _, n := range sb.Nodes {
				if err := n.Exec(ctx, "", TableDDL(HomeColumn(p))); err != nil {
					t.Fatal(err)
				}
				pn := replicate.PlanNode{Name: n.Name, Role: role, DSN: n.DSN("")}
				if kind == replicate.TopologyPartitioned {
					pn.Owns = []string{"owner_" + n.Name}
				}
				p.Topology.Nodes = append(p.Topology.Nodes, pn)
				local[n.Name] = n
			}
			if _, err := replicate.Bootstrap(ctx, p, replicate.Options{Local: local, Wait: 3 * time.Minute}); err != nil {
				t.Fatalf("bootstrap: %v", err)
			}
			o := Options{Fault: Fault{Kind: KillNode, Target: "node2"}, Local: local, Sandbox: sb, Rate: 100, Clients: 4,
				Duration: 25 * time.Second, FaultAfter: 6 * time.Second, Hold: 5 * time.Second, Recover: 5 * time.Minute,
				Progress: func(s string) { t.Log(s) }}
			res := runDrill(t, p, o)
			run := res.Runs[0]
			for _, e := range run.Events {
				t.Logf("%8d ms %s %s", e.AtMS, e.Kind, e.Detail)
			}
			t.Logf("outage %d ms, others' max gap %d ms, stranded %v, lost %d, links back %d ms after the restart, verify %v",
				run.RTOMS, run.OtherNodesMaxGap, deref(run.StrandedWrites), run.LostWrites, run.RejoinAfterUndoMS, deref(run.VerifyDiffs))
			// Down from the kill (its backends gone) to the restart.
			if down := run.UndoneMS - run.FaultDoneMS; run.RTOMS < down || down <= 0 {
				t.Errorf("node2's write outage %d ms is shorter than the %d ms it was down", run.RTOMS, down)
			}
			if run.LostWrites != 0 || run.StrandedWrites == nil || run.RejoinMS < 0 {
				t.Errorf("lost %d, stranded %v, links resumed at %d", run.LostWrites, run.StrandedWrites, run.RejoinMS)
			}
			if run.VerifyDiffs == nil || *run.VerifyDiffs != 0 {
				t.Errorf("mesh verify after recovery: %v differences (notes %v)", run.VerifyDiffs, run.Notes)
			}
			if run.OtherNodesMaxGap >= run.RTOMS {
				t.Errorf("node1's writes stopped %d ms, as long as the broken node's (%d ms)", run.OtherNodesMaxGap, run.RTOMS)
			}
			if !res.Verdict.Met {
				t.Errorf("verdict: %+v", res.Verdict.Items)
			}
			if kind != replicate.TopologyActiveActive {
				return
			}
			// A difference made behind replication's back (under a
			// replication origin, which the mesh does not forward):
			// found, and repaired to zero.
			if err := sb.Nodes[0].Exec(ctx, "", `SELECT pg_replication_origin_create('aadv_drill_test');
SELECT pg_replication_origin_session_setup('aadv_drill_test');
DELETE FROM public.aadv_drill_writes WHERE (run, node, seq) IN (SELECT run, node, seq FROM public.aadv_drill_writes LIMIT 1)`); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), "repair.sql")
			diffs, after, err := VerifyDrillTable(ctx, p, file)
			if err != nil {
				t.Fatal(err)
			}
			if diffs != 1 || after == nil || *after != 0 {
				t.Errorf("verify: %d differences, %v after the repair script; want 1 and 0", diffs, deref(after))
			}
		})
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestDrillDisconnectSite cuts a site of a star (a hub and two sites,
// native on 18) off from its hub for 6 s under load: the site keeps
// writing (no outage of its own), the hub and the site hold WAL for each
// other, the hub has every write of the site soon after the links come
// back, nothing is lost, and verify finds the drill rows where they belong.
func TestDrillDisconnectSite(t *testing.T) {
	sb := sandboxtest.ForTest(t, 18, 3)
	ctx := context.Background()
	p := &replicate.Plan{Version: replicate.PlanVersion, Topology: replicate.Topology{Kind: replicate.TopologyHubSpoke,
		Engine: replicate.EngineNative, Database: "postgres", Tables: []string{"public.aadv_drill_writes", "public.catalog"}, OwnerColumn: "store", Hub: "node1"}}
	local := map[string]*sandbox.Node{}
	for i, n := range sb.Nodes {
		// The drill rows are site rows (they have the owner column); the
		// catalogue is shared, so each site subscribes to the hub too.
		if err := n.Exec(ctx, "", TableDDL(HomeColumn(p))+"; CREATE TABLE public.catalog (id int PRIMARY KEY, name text)"); err != nil {
			t.Fatal(err)
		}
		pn := replicate.PlanNode{Name: n.Name, Role: replicate.RoleSite, DSN: n.DSN(""), Owns: []string{fmt.Sprintf("store-%d", i)}}
		if i == 0 {
			pn.Role, pn.Owns = replicate.RoleHub, nil
		}
		p.Topology.Nodes = append(p.Topology.Nodes, pn)
		local[n.Name] = n
	}
	if _, err := replicate.Bootstrap(ctx, p, replicate.Options{Local: local, Wait: 3 * time.Minute, WALSample: -1}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	o := Options{Fault: Fault{Kind: DisconnectSite, Target: "node2"}, Rate: 200, Clients: 3,
		Duration: 20 * time.Second, FaultAfter: 5 * time.Second, Hold: 6 * time.Second, Recover: 3 * time.Minute,
		Progress: func(s string) { t.Log(s) }}
	res := runDrill(t, p, o)
	run := res.Runs[0]
	for _, e := range run.Events {
		t.Logf("%8d ms %s %s", e.AtMS, e.Kind, e.Detail)
	}
	t.Logf("site's own gap %d ms, held back %v, stranded %v, lost %d, hub held %v B, site held %v B, caught up %v ms after the links came back, verify %v",
		run.RTOMS, deref(run.HeldBackWrites), deref(run.StrandedWrites), run.LostWrites, deref(run.HubHeldBytes), deref(run.SiteHeldBytes), deref(run.CatchUpMS), deref(run.VerifyDiffs))
	if run.RTOMS < 0 || run.RTOMS >= o.Hold.Milliseconds() {
		t.Errorf("the cut-off site's writes stopped for %d ms: it must keep writing", run.RTOMS)
	}
	if run.HeldBackWrites == nil || *run.HeldBackWrites == 0 || run.StrandedWrites == nil || *run.StrandedWrites != 0 {
		t.Errorf("held back %v, stranded %v: the hub should have lacked the site's writes made while it was cut off, and no earlier one",
			deref(run.HeldBackWrites), deref(run.StrandedWrites))
	}
	if run.HubHeldBytes == nil || *run.HubHeldBytes <= 0 || run.SiteHeldBytes == nil || *run.SiteHeldBytes <= 0 {
		t.Errorf("WAL held: hub %v, site %v", deref(run.HubHeldBytes), deref(run.SiteHeldBytes))
	}
	if run.CatchUpMS == nil || run.LostWrites != 0 || run.RejoinMS < 0 {
		t.Errorf("catch-up %v, lost %d, links resumed at %d (notes %v)", deref(run.CatchUpMS), run.LostWrites, run.RejoinMS, run.Notes)
	}
	if run.VerifyDiffs == nil || *run.VerifyDiffs != 0 {
		t.Errorf("mesh verify after recovery: %v differences (notes %v)", deref(run.VerifyDiffs), run.Notes)
	}
	var b strings.Builder
	WriteText(&b, res)
	if !strings.Contains(b.String(), "the site's writes were all at the hub") {
		t.Errorf("text lacks the catch-up:\n%s", b.String())
	}
}
