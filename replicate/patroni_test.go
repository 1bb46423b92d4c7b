package replicate

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

// haPlan is a streaming plan over a sandbox's nodes (the first the
// primary) with automatic failover.
func haPlan(sb *sandbox.Sandbox, h HA) (*Plan, map[string]*sandbox.Node) {
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, Database: "postgres", HA: &h}}
	local := map[string]*sandbox.Node{}
	for i, n := range sb.Nodes {
		role := RoleStandby
		if i == 0 {
			role = RolePrimary
		}
		p.Topology.Nodes = append(p.Topology.Nodes, PlanNode{Name: n.Name, Role: role, DSN: n.DSN("")})
		local[n.Name] = n
	}
	return p, local
}

// TestPatroniBootstrap hands three sandbox nodes to Patroni with etcd,
// reads the cluster through mesh status and the metrics, re-runs
// bootstrap (nothing to do), and takes the nodes back with teardown:
// plain PostgreSQL clusters that keep their data, no Patroni or etcd left.
func TestPatroniBootstrap(t *testing.T) {
	sandboxtest.NeedHA(t)
	sb := sandboxtest.ForTest(t, 15, 3)
	ctx := context.Background()
	if err := sb.Nodes[0].Exec(ctx, "", "CREATE TABLE kept (id int PRIMARY KEY); INSERT INTO kept SELECT generate_series(1, 100)"); err != nil {
		t.Fatal(err)
	}
	p, local := haPlan(sb, HA{Engine: HAPatroni, SynchronousMode: true})
	if err := PrepareHA(p, local, sb); err != nil {
		t.Fatal(err)
	}
	for _, n := range p.Topology.Nodes {
		if !strings.HasPrefix(n.API, "http://127.0.0.1:") {
			t.Fatalf("node %s: REST API %q, want loopback", n.Name, n.API)
		}
	}
	opt := Options{Local: local, Sandbox: sb, Wait: 3 * time.Minute}
	res, err := Bootstrap(ctx, p, opt)
	if err != nil {
		t.Fatalf("bootstrap: %v%s", err, stepSummary(res))
	}
	if !res.Ready {
		t.Fatalf("not ready: %+v %+v", res.Nodes, res.Links)
	}
	st := MeshStatus(ctx, p, StatusOptions{})
	if st.HA == nil || st.HA.Leader != "node1" || len(st.HA.SyncStandbys) != 1 || len(st.HA.Members) != 3 {
		t.Fatalf("Patroni cluster: %+v", st.HA)
	}
	for _, m := range st.HA.Members {
		if !m.Running() || m.Timeline != st.HA.Timeline {
			t.Errorf("member %+v", m)
		}
	}
	if len(st.Alarms) > 0 {
		t.Errorf("alarms on a healthy cluster: %+v", st.Alarms)
	}
	// Processes: loopback only, as the postgres user when we are root.
	for _, n := range sb.Nodes {
		pid := n.PatroniPID()
		if pid == 0 {
			t.Fatalf("node %s: Patroni not running", n.Name)
		}
		if os.Geteuid() == 0 && procUID(t, pid) == 0 {
			t.Errorf("node %s: Patroni runs as root", n.Name)
		}
	}
	if len(sb.Etcd) != 1 || !sb.Etcd[0].Running() || !strings.HasPrefix(sb.Etcd[0].ClientURL(), "http://127.0.0.1:") {
		t.Fatalf("etcd: %+v", sb.Etcd)
	}
	// The metrics of mesh run.
	sup := NewSupervisor(p, SuperviseOptions{})
	defer sup.Close()
	sup.Poll(ctx)
	ms := gather(t, sup)
	for _, c := range []struct {
		name   string
		labels map[string]string
	}{
		{"aadvisor_patroni_has_leader", nil},
		{"aadvisor_patroni_member_role", map[string]string{"member": "node1", "role": "leader"}},
		{"aadvisor_patroni_sync_standbys", nil},
		{"aadvisor_patroni_member_running", map[string]string{"member": "node3"}},
	} {
		if v, ok := metricValue(ms[c.name], c.labels); !ok || v != 1 {
			t.Errorf("%s%v = %v, %v; want 1", c.name, c.labels, v, ok)
		}
	}
	// Again: every step is in place.
	res, err = Bootstrap(ctx, p, opt)
	if err != nil {
		t.Fatalf("second bootstrap: %v", err)
	}
	for _, s := range res.Steps {
		if s.Status != StepExists {
			t.Errorf("second run: step %q is %s", s.Action, s.Status)
		}
	}
	// Teardown: plain clusters with the data, Patroni and etcd gone.
	tr, err := Teardown(ctx, p, opt)
	if err != nil {
		t.Fatalf("teardown: %v\n%+v", err, tr)
	}
	if len(sb.Etcd) != 0 {
		t.Errorf("etcd still in the sandbox state: %+v", sb.Etcd)
	}
	for _, n := range sb.Nodes {
		if n.Managed() || n.PatroniPID() != 0 || !n.Running() {
			t.Errorf("node %s after teardown: managed %v, patroni pid %d, running %v", n.Name, n.Managed(), n.PatroniPID(), n.Running())
		}
		conn, err := pgx.Connect(ctx, n.DSN(""))
		if err != nil {
			t.Fatalf("node %s: %v", n.Name, err)
		}
		var rec bool
		var rows, slots int
		if err := conn.QueryRow(ctx, `SELECT pg_is_in_recovery(), (SELECT count(*) FROM kept), (SELECT count(*) FROM pg_replication_slots)`).Scan(&rec, &rows, &slots); err != nil {
			t.Fatal(err)
		}
		conn.Close(ctx)
		if rec || rows != 100 || slots != 0 {
			t.Errorf("node %s: in recovery %v, %d rows, %d slots", n.Name, rec, rows, slots)
		}
	}
}

func procUID(t *testing.T, pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) > 1 && f[0] == "Uid:" {
			uid, _ := strconv.Atoi(f[1])
			return uid
		}
	}
	t.Fatalf("no Uid in /proc/%d/status", pid)
	return -1
}

// TestPatroniUserHosts: for nodes that are not sandbox nodes here,
// bootstrap writes each node's patroni.yml, the etcd settings and a
// runbook, prints them on a dry run (writing nothing), and leaves the
// servers alone: every step on the hosts is a person's.
func TestPatroniUserHosts(t *testing.T) {
	sb := sharedSandbox(t, 15)
	ctx := context.Background()
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, Database: "postgres",
		HA: &HA{Engine: HAPatroni, SynchronousMode: true}}}
	for i, n := range sb.Nodes[:2] {
		role := RoleStandby
		if i == 0 {
			role = RolePrimary
		}
		p.Topology.Nodes = append(p.Topology.Nodes, PlanNode{Name: []string{"primary", "sync_b"}[i], Role: role, DSN: n.DSN("")})
	}
	if err := PrepareHA(p, nil, nil); err != nil {
		t.Fatal(err)
	}
	if p.Topology.Nodes[0].API != "http://127.0.0.1:8008" {
		t.Errorf("api %q, want host:8008", p.Topology.Nodes[0].API)
	}
	dir := filepath.Join(t.TempDir(), "ha")
	res, err := Bootstrap(ctx, p, Options{DryRun: true, HADir: dir})
	if err != nil {
		t.Fatalf("dry run: %v%s", err, stepSummary(res))
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("a dry run wrote %s", dir)
	}
	files := map[string]string{}
	for _, f := range res.HAFiles {
		rel, _ := filepath.Rel(dir, f.Path)
		files[rel] = f.Content
	}
	for _, want := range []string{"primary/patroni.yml", "sync_b/patroni.yml", "etcd/e1.env", "RUNBOOK.md"} {
		if files[want] == "" {
			t.Errorf("no %s among %v", want, files)
		}
	}
	for _, want := range []string{"data_dir: " + sb.Nodes[0].DataDir, "listen: 127.0.0.1:" + strconv.Itoa(sb.Nodes[0].Port), "synchronous_mode: true",
		"bin_dir: /usr/lib/postgresql/15/bin", "host replication postgres 127.0.0.1/32"} {
		if !strings.Contains(files["primary/patroni.yml"], want) {
			t.Errorf("primary/patroni.yml lacks %q:\n%s", want, files["primary/patroni.yml"])
		}
	}
	if !strings.Contains(files["RUNBOOK.md"], "systemctl enable --now patroni") || !strings.Contains(files["etcd/e1.env"], "ETCD_INITIAL_CLUSTER=e1=http://127.0.0.1:2380") {
		t.Errorf("runbook or etcd settings:\n%s\n%s", files["RUNBOOK.md"], files["etcd/e1.env"])
	}
	// For real: the files are written, the host steps are a person's.
	res, err = Bootstrap(ctx, p, Options{HADir: dir})
	if err != nil {
		t.Fatalf("bootstrap: %v%s", err, stepSummary(res))
	}
	if countStatus(res, StepDone) != 1 || countStatus(res, StepManual) != 3 {
		t.Errorf("steps: %s", stepSummary(res))
	}
	b, err := os.ReadFile(filepath.Join(dir, "sync_b", "patroni.yml"))
	if err != nil || string(b) != files["sync_b/patroni.yml"] {
		t.Errorf("written sync_b/patroni.yml differs from the dry run's (%v)", err)
	}
	for _, n := range sb.Nodes[:2] {
		if !n.Running() || n.Managed() {
			t.Errorf("node %s touched: running %v, managed %v", n.Name, n.Running(), n.Managed())
		}
	}
}
