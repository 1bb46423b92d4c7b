package replicate

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

func TestHAEffective(t *testing.T) {
	h := HA{Engine: HAPatroni}.Effective("app")
	if h.Scope != "aadv_app" || h.TTL != 30 || h.LoopWait != 10 || h.RetryTimeout != 10 || h.EtcdMembers != 1 ||
		h.MaximumLagOnFailover != 1048576 || *h.PrimaryStartTimeout != 300 || h.SynchronousNodeCount != 1 {
		t.Errorf("defaults: %+v", h)
	}
	// Synchronous mode fails over on a crash: nothing acknowledged is lost.
	if s := (HA{Engine: HAPatroni, SynchronousMode: true}).Effective(""); *s.PrimaryStartTimeout != 0 || s.Scope != "aadv_postgres" {
		t.Errorf("synchronous defaults: %+v", s)
	}
	zero := 0
	if s := (HA{Engine: HAPatroni, PrimaryStartTimeout: &zero, Etcd: []string{"10.0.0.1:2379"}}).Effective("x"); *s.PrimaryStartTimeout != 0 || s.EtcdMembers != 0 {
		t.Errorf("explicit values: %+v", s)
	}
}

// TestPatroniConfig renders a node's patroni.yml and reads it back as
// Patroni would: every key where Patroni 3.0 looks for it, no password.
func TestPatroniConfig(t *testing.T) {
	h := HA{Engine: HAPatroni, Scope: "shop", SynchronousMode: true}.Effective("app")
	empty := ""
	m := patroniMember{Name: "node2", Host: "127.0.0.1", Port: 5433, APIListen: "127.0.0.1:8009", DataDir: "/d/node2/data",
		BinDir: "/usr/lib/postgresql/15/bin", PGPass: "/d/node2/pgpass", Superuser: "postgres", ReplUser: "postgres",
		SocketDirs: &empty, Tags: map[string]bool{"nosync": true}, Sandbox: true}
	out, err := patroniConfig(h, []string{"http://127.0.0.1:2379"}, m, map[string]string{"max_connections": "60", "wal_level": "logical"}, sandboxHBA)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(string(out)), "password:") {
		t.Errorf("a password key in the config:\n%s", out)
	}
	var got map[string]any
	if err := yaml.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	get := func(path string) any {
		var v any = got
		for _, k := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		}
		return v
	}
	want := map[string]any{
		"scope": "shop", "namespace": "/aadvisor/", "name": "node2",
		"restapi.listen": "127.0.0.1:8009", "restapi.connect_address": "127.0.0.1:8009",
		"etcd3.hosts":             []any{"127.0.0.1:2379"},
		"bootstrap.dcs.ttl":       30,
		"bootstrap.dcs.loop_wait": 10, "bootstrap.dcs.retry_timeout": 10,
		"bootstrap.dcs.synchronous_mode": true, "bootstrap.dcs.primary_start_timeout": 0,
		"bootstrap.dcs.synchronous_node_count":                1,
		"bootstrap.dcs.postgresql.use_pg_rewind":              true,
		"bootstrap.dcs.postgresql.parameters.wal_log_hints":   "on",
		"bootstrap.dcs.postgresql.parameters.max_connections": "60",
		"bootstrap.dcs.postgresql.parameters.wal_level":       "logical",
		"postgresql.listen":                                   "127.0.0.1:5433",
		"postgresql.connect_address":                          "127.0.0.1:5433",
		"postgresql.data_dir":                                 "/d/node2/data",
		"postgresql.bin_dir":                                  "/usr/lib/postgresql/15/bin",
		"postgresql.authentication.superuser.username":        "postgres",
		"postgresql.authentication.replication.username":      "postgres",
		"postgresql.parameters.unix_socket_directories":       "",
		"postgresql.create_replica_methods":                   []any{"basebackup"},
		"tags.nosync":                                         true,
		"watchdog.mode":                                       "off",
		"postgresql.pg_hba":                                   []any{sandboxHBA[0], sandboxHBA[1], sandboxHBA[2], sandboxHBA[3]},
	}
	for path, w := range want {
		if diff := cmp.Diff(w, get(path)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
}

func TestUserHostsHBA(t *testing.T) {
	existing := []string{"local all all peer", "host all postgres 10.0.0.1/32 trust", "host all all 0.0.0.0/0 scram-sha-256"}
	got := userHostsHBA(existing, []string{"10.0.0.2", "10.0.0.1", "db3.example"}, "postgres", "repl user")
	want := append(append([]string{}, existing...),
		// 10.0.0.1: the superuser already has a rule (first match wins)
		`host replication "repl user" 10.0.0.1/32 scram-sha-256`,
		`host replication "repl user" 10.0.0.2/32 scram-sha-256`,
		"host all postgres 10.0.0.2/32 scram-sha-256",
		`host replication "repl user" db3.example scram-sha-256`,
		"host all postgres db3.example scram-sha-256",
	)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, c := range []struct{ addr, mask, want string }{
		{"127.0.0.1", "255.255.255.255", "127.0.0.1/32"},
		{"10.0.0.0", "255.255.0.0", "10.0.0.0/16"},
		{"::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::1/128"},
		{"all", "", "all"},
		{"samenet", "", "samenet"},
	} {
		if got := hbaAddress(c.addr, c.mask); got != c.want {
			t.Errorf("hbaAddress(%q, %q) = %q, want %q", c.addr, c.mask, got, c.want)
		}
	}
}

// clusterJSON is GET /cluster of a Patroni 3.0.2 cluster whose leader
// failed over from n1 to n3, as Patroni printed it.
const clusterJSON = `{"members": [{"name": "n1", "role": "replica", "state": "stopped", "api_url": "http://127.0.0.1:28001/patroni", "host": "127.0.0.1", "port": 25401, "lag": "unknown"},
 {"name": "n2", "role": "sync_standby", "state": "running", "api_url": "http://127.0.0.1:28002/patroni", "host": "127.0.0.1", "port": 25402, "timeline": 4, "lag": 0},
 {"name": "n3", "role": "leader", "state": "running", "api_url": "http://127.0.0.1:28003/patroni", "host": "127.0.0.1", "port": 25403, "timeline": 4}]}`

func TestReadHA(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/cluster" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(clusterJSON))
	}))
	defer srv.Close()
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, HA: &HA{Engine: HAPatroni, SynchronousMode: true},
		Nodes: []PlanNode{
			{Name: "n1", Role: RolePrimary, DSN: "host=127.0.0.1 port=25401", API: "http://127.0.0.1:1"}, // down: the next answers
			{Name: "n2", Role: RoleStandby, DSN: "host=127.0.0.1 port=25402", API: srv.URL},
			{Name: "n3", Role: RoleStandby, DSN: "host=127.0.0.1 port=25403", API: srv.URL},
			{Name: "n4", Role: RoleStandby, DSN: "host=127.0.0.1 port=25404", API: srv.URL},
		}}}
	st := ReadHA(context.Background(), p)
	if st.Source != srv.URL || st.Leader != "n3" || st.Timeline != 4 || !cmp.Equal(st.SyncStandbys, []string{"n2"}) {
		t.Fatalf("status %+v", st)
	}
	lag0 := int64(0)
	want := []HAMember{
		{Name: "n1", Role: "replica", State: "stopped", Host: "127.0.0.1", Port: 25401, API: "http://127.0.0.1:28001"},
		{Name: "n2", Role: "sync_standby", State: "running", Host: "127.0.0.1", Port: 25402, API: "http://127.0.0.1:28002", Timeline: 4, LagBytes: &lag0},
		{Name: "n3", Role: "leader", State: "running", Host: "127.0.0.1", Port: 25403, API: "http://127.0.0.1:28003", Timeline: 4},
		{Name: "n4", State: "absent", API: srv.URL},
	}
	if diff := cmp.Diff(want, st.Members); diff != "" {
		t.Errorf("members (-want +got):\n%s", diff)
	}
	var kinds []string
	for _, a := range haAlarms(st) {
		kinds = append(kinds, a.Kind+" "+a.Node)
	}
	if diff := cmp.Diff([]string{"ha_member_down n1", "ha_member_down n4"}, kinds); diff != "" {
		t.Errorf("alarms (-want +got):\n%s", diff)
	}
	// No API answers: an alarm, not an error.
	for i := range p.Topology.Nodes {
		p.Topology.Nodes[i].API = "http://127.0.0.1:1"
	}
	st = ReadHA(context.Background(), p)
	if st.Source != "" || st.Error == "" || len(haAlarms(st)) != 1 || haAlarms(st)[0].Kind != AlarmHAUnreachable {
		t.Errorf("unreachable: %+v", st)
	}
	if why := haHealthy([]string{"n1"})(st); why == "" {
		t.Error("an unreachable cluster is healthy")
	}
}

func TestClientDSN(t *testing.T) {
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, Database: "app",
		Nodes: []PlanNode{{Name: "a", Role: RolePrimary, DSN: "postgres://postgres@127.0.0.1:5432/x?sslmode=disable"},
			{Name: "b", Role: RoleStandby, DSN: "postgres://postgres@127.0.0.1:5433/x?sslmode=disable"}}}}
	got, err := ClientDSN(p)
	if err != nil {
		t.Fatal(err)
	}
	want := "host=127.0.0.1,127.0.0.1 port=5432,5433 user=postgres dbname=app target_session_attrs=read-write sslmode=disable"
	if got != want {
		t.Errorf("ClientDSN = %q\nwant %q", got, want)
	}
}

// TestHAChecks: PostgreSQL newer than Patroni 3.0 knows and a plan user
// that is not a superuser are failing prechecks.
func TestHAChecks(t *testing.T) {
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, HA: &HA{Engine: HAPatroni},
		Nodes: []PlanNode{{Name: "a", Role: RolePrimary, DSN: "host=10.0.0.1"}, {Name: "b", Role: RoleStandby, DSN: "host=10.0.0.2"}}}}
	b := &bootstrapper{plan: p, nodes: []*nodeConn{
		{PlanNode: p.Topology.Nodes[0], facts: &nodeFacts{VersionNum: 180004, Version: "18.4", Superuser: true}},
		{PlanNode: p.Topology.Nodes[1], facts: &nodeFacts{VersionNum: 150018, Version: "15.18"}},
	}}
	var got []string
	for _, c := range b.haChecks(context.Background()) {
		if c.Status == StatusFail {
			got = append(got, c.Node+" "+c.Name)
		}
	}
	if diff := cmp.Diff([]string{"a patroni version", "b patroni role"}, got); diff != "" {
		t.Errorf("failing checks (-want +got):\n%s", diff)
	}
}
