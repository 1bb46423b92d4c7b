package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

func TestMain(m *testing.M) { os.Exit(sandboxtest.Main(m)) }

// TestUpStatusDown makes a 3-node sandbox of each version and checks that
// every node is ready for logical replication, then that down leaves no
// process and no directory behind.
func TestUpStatusDown(t *testing.T) {
	for _, v := range sandboxtest.TestVersions {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			ctx := context.Background()
			start := time.Now()
			s := sandboxtest.ForTest(t, v, 3)
			if d := time.Since(start); d > 90*time.Second { // a few seconds when the machine is idle; see docs/performance.md
				t.Errorf("up took %s, want seconds", d)
			}
			if len(s.Nodes) != 3 {
				t.Fatalf("got %d nodes", len(s.Nodes))
			}
			ports := map[int]bool{}
			for _, n := range s.Nodes {
				if ports[n.Port] {
					t.Errorf("port %d used twice", n.Port)
				}
				ports[n.Port] = true
				conn, err := n.Connect(ctx, "")
				if err != nil {
					t.Fatal(err)
				}
				var one int
				var wal, ver, preload, ts string
				err = conn.QueryRow(ctx, `SELECT 1, current_setting('wal_level'), current_setting('server_version_num'),
					current_setting('shared_preload_libraries'), current_setting('track_commit_timestamp')`).Scan(&one, &wal, &ver, &preload, &ts)
				if err != nil {
					t.Fatal(err)
				}
				if one != 1 || wal != "logical" || ts != "on" {
					t.Errorf("%s: got %d %s %s", n.Name, one, wal, ts)
				}
				if !strings.HasPrefix(ver, fmt.Sprint(v)) {
					t.Errorf("%s: server_version_num %s, want %d", n.Name, ver, v)
				}
				if !strings.Contains(preload, "pg_stat_statements") {
					t.Errorf("%s: shared_preload_libraries = %q", n.Name, preload)
				}
				if n.Install.HasModule("pglogical") {
					if _, err := conn.Exec(ctx, "CREATE EXTENSION pglogical"); err != nil {
						t.Errorf("%s: pglogical does not load: %v", n.Name, err)
					}
				} else if v == 15 && sandboxtest.InCI() {
					t.Errorf("pglogical is not installed for PostgreSQL 15")
				}
				conn.Close(ctx)
			}
			// up again is a no-op that reports it.
			again, existed, err := sandbox.Up(ctx, sandbox.Options{Nodes: 3, Dir: s.Dir})
			if err != nil || !existed || again.Nodes[0].Port != s.Nodes[0].Port {
				t.Errorf("second up: existed=%v err=%v", existed, err)
			}
			// status after a node stops.
			if err := s.Nodes[1].Stop(ctx, "fast"); err != nil {
				t.Fatal(err)
			}
			st := s.Status()
			if !st[0].Up || st[1].Up || !st[2].Up {
				t.Errorf("status = %+v", st)
			}
			// up restarts the stopped node.
			if _, _, err := sandbox.Up(ctx, sandbox.Options{Nodes: 3, Dir: s.Dir}); err != nil {
				t.Fatal(err)
			}
			if !s.Nodes[1].Running() {
				t.Errorf("node2 not restarted")
			}
			pids := []int{}
			for _, n := range s.Nodes {
				pids = append(pids, n.PID())
			}
			if err := s.Down(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(s.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("sandbox dir still there: %v", err)
			}
			for _, pid := range pids {
				if sandbox.Alive(pid) {
					t.Errorf("postmaster %d still running", pid)
				}
			}
		})
	}
}

func TestUpBadInput(t *testing.T) {
	ctx := context.Background()
	base := filepath.Join(os.TempDir(), "aadvisor-test", fmt.Sprintf("bad-%d", os.Getpid()))
	t.Cleanup(func() { os.RemoveAll(base) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	sandboxtest.NeedServer(t, 0)
	tests := []struct {
		name  string
		o     sandbox.Options
		usage bool
		want  string
	}{
		{"negative nodes", sandbox.Options{Nodes: -1, Dir: base + "/a"}, true, "--nodes -1"},
		{"name with a path", sandbox.Options{Nodes: 1, Name: "../../x"}, true, `--name "../../x"`},
		{"too many nodes", sandbox.Options{Nodes: 99, Dir: base + "/a"}, true, "--nodes 99"},
		{"unknown version", sandbox.Options{Nodes: 1, PG: "99", Dir: base + "/a"}, true, "--pg 99"},
		{"bad version", sandbox.Options{Nodes: 1, PG: "latest", Dir: base + "/a"}, true, `--pg "latest"`},
		{"unwritable dir", sandbox.Options{Nodes: 1, Dir: "/proc/aadvisor/x"}, true, "--dir /proc/aadvisor/x"},
		{"port taken", sandbox.Options{Nodes: 2, Dir: base + "/p", Port: taken}, false, fmt.Sprintf("port %d", taken)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := sandbox.Up(ctx, tt.o)
			if err == nil {
				t.Fatal("no error")
			}
			var ue *sandbox.UsageError
			if errors.As(err, &ue) != tt.usage {
				t.Errorf("usage error = %v, want %v (%v)", !tt.usage, tt.usage, err)
			}
			if !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line mentioning %q", err, tt.want)
			}
			if _, err := os.Stat(tt.o.Dir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s left behind", tt.o.Dir)
			}
		})
	}
}

// A node whose server is gone but left its postmaster.pid (kill -9, a
// crash, or a pid taken by another process since) is started again by up,
// which also defaults --nodes to the sandbox's own count.
func TestUpRestartsCrashedNode(t *testing.T) {
	ctx := context.Background()
	s := sandboxtest.ForTest(t, 0, 1)
	n := s.Nodes[0]
	if err := n.Exec(ctx, "", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(n.DataDir, "postmaster.pid")
	crash := map[string]func(t *testing.T){
		"killed": func(t *testing.T) {
			pid := n.PID()
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 200 && sandbox.Alive(pid); i++ {
				time.Sleep(25 * time.Millisecond)
			}
		},
		"pid beyond pid_max": func(t *testing.T) {
			if err := n.Stop(ctx, "fast"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(lock, []byte("99999999\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"pid of another live process": func(t *testing.T) {
			if err := n.Stop(ctx, "fast"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(lock, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o600); err != nil {
				t.Fatal(err)
			}
		},
	}
	for _, name := range []string{"killed", "pid beyond pid_max", "pid of another live process"} {
		t.Run(name, func(t *testing.T) {
			crash[name](t)
			if _, err := os.Stat(lock); err != nil {
				t.Fatalf("the crash left no postmaster.pid: %v", err)
			}
			if n.Running() {
				t.Fatal("node reported running after the crash")
			}
			again, existed, err := sandbox.Up(ctx, sandbox.Options{Dir: s.Dir})
			if err != nil || !existed {
				t.Fatalf("up: existed=%v err=%v", existed, err)
			}
			if got := again.Restarted(); len(got) != 1 || got[0] != "node1" {
				t.Errorf("Restarted() = %v, want [node1]", got)
			}
			if !n.Running() {
				t.Fatal("node1 not running after up")
			}
			conn, err := n.Connect(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var c int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&c); err != nil || c != 1 {
				t.Fatalf("after restart: count=%d err=%v", c, err)
			}
		})
	}
}

func TestKillAndRestart(t *testing.T) {
	ctx := context.Background()
	s := sandboxtest.ForTest(t, 0, 1)
	n := s.Nodes[0]
	if err := n.Exec(ctx, "", "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := n.Kill(); err != nil {
		t.Fatal(err)
	}
	if n.Running() {
		t.Fatal("still running after kill")
	}
	if err := n.Start(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := n.Connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var c int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM t").Scan(&c); err != nil || c != 1 {
		t.Fatalf("after crash recovery: count=%d err=%v", c, err)
	}
}

func TestDSNQuoting(t *testing.T) {
	n := &sandbox.Node{Port: 5432}
	if got := n.KeywordDSN("my db"); got != "host=127.0.0.1 port=5432 user=postgres dbname='my db' sslmode=disable" {
		t.Errorf("KeywordDSN = %s", got)
	}
	if got := n.DSN("a/b"); got != "postgres://postgres@127.0.0.1:5432/a%2Fb?sslmode=disable" {
		t.Errorf("DSN = %s", got)
	}
}

// TestEtcdMembers starts a three-member etcd in a sandbox: every member
// on loopback, healthy, running as the server user when root; down stops
// them and leaves nothing.
func TestEtcdMembers(t *testing.T) {
	sandboxtest.NeedHA(t)
	s := sandboxtest.ForTest(t, 0, 1)
	ctx := context.Background()
	urls, err := s.StartEtcd(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) != 3 || len(s.Etcd) != 3 {
		t.Fatalf("urls %v, members %d", urls, len(s.Etcd))
	}
	var pids []int
	for _, e := range s.Etcd {
		if !strings.HasPrefix(e.ClientURL(), "http://127.0.0.1:") || e.PID() == 0 {
			t.Errorf("member %s: %s pid %d", e.Name, e.ClientURL(), e.PID())
		}
		pids = append(pids, e.PID())
		if os.Geteuid() == 0 {
			st, err := os.Stat(fmt.Sprintf("/proc/%d", e.PID()))
			if err == nil && st.Sys() != nil && sandbox.OwnerUID(st) == 0 {
				t.Errorf("etcd %s runs as root", e.Name)
			}
		}
	}
	// Started again with the members it has: a no-op.
	if _, err := s.StartEtcd(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.StartEtcd(ctx, 1); err == nil {
		t.Error("asking for another member count is not refused")
	}
	if err := s.Down(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if sandbox.Alive(pid) {
			t.Errorf("etcd pid %d runs after down", pid)
		}
	}
}
