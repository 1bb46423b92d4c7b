package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Node is one local PostgreSQL server of a sandbox.
type Node struct {
	Name    string   `json:"name"`
	Port    int      `json:"port"`
	DataDir string   `json:"data_dir"`
	LogFile string   `json:"log_file"`
	Install *Install `json:"install"`
	// Patroni is set while Patroni manages the node (patroni.go).
	Patroni *Patroni `json:"patroni,omitempty"`

	user *osUser
}

// Host is where every sandbox node listens: loopback only.
const Host = "127.0.0.1"

// Superuser is the bootstrap superuser of every node.
const Superuser = "postgres"

// DSN returns a libpq URL for a database on the node (postgres when db is
// empty). The superuser authenticates with trust on loopback.
func (n *Node) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	u := url.URL{Scheme: "postgres", User: url.User(Superuser), Host: net.JoinHostPort(Host, strconv.Itoa(n.Port)),
		Path: "/" + db, RawPath: "/" + url.PathEscape(db), RawQuery: "sslmode=disable"}
	return u.String()
}

// KeywordDSN returns the same as DSN in keyword=value form.
func (n *Node) KeywordDSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", Host, n.Port, Superuser, inspect.QuoteConninfo(db))
}

func (n *Node) bin(name string) string { return filepath.Join(n.Install.BinDir, name) }

// command builds a command for one of the node's binaries, run as the
// server user.
func (n *Node) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, n.bin(name), args...)
	cmd.Env = n.Install.Env()
	n.user.as(cmd)
	cmd.Dir = os.TempDir()
	return cmd
}

// PID returns the postmaster's pid when it is running, else 0. The pid
// in postmaster.pid counts only while that process is alive and is this
// node's postmaster: after a crash the number may belong to another
// process by now.
func (n *Node) PID() int {
	pid := n.lockPID()
	if pid == 0 || !alive(pid) || !servesDir(pid, n.DataDir) {
		return 0
	}
	return pid
}

// lockPID is the pid recorded in postmaster.pid, or 0.
func (n *Node) lockPID() int {
	b, err := os.ReadFile(filepath.Join(n.DataDir, "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// servesDir reports whether process pid runs with dataDir on its command
// line, as pg_ctl starts a postmaster (postgres -D DIR). Without procfs it
// trusts that the process is the postmaster.
func servesDir(pid int, dataDir string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) || !procfs()
	}
	return slices.Contains(strings.Split(string(b), "\x00"), dataDir)
}

// procfs reports whether /proc describes processes.
func procfs() bool {
	_, err := os.Stat("/proc/self/cmdline")
	return err == nil
}

// alive reports whether a process exists and is not a zombie waiting to
// be reaped.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true // no procfs: trust kill(0)
	}
	if i := strings.LastIndexByte(string(b), ')'); i >= 0 && i+2 < len(b) {
		switch b[i+2] {
		case 'Z', 'X':
			return false
		}
	}
	return true
}

// Running reports whether the postmaster process is alive.
func (n *Node) Running() bool { return n.PID() != 0 }

// clearStale removes a postmaster.pid whose server is gone (killed, or the
// machine crashed), so that the next start runs crash recovery instead of
// refusing: PostgreSQL takes any live process with the recorded pid, or
// one it may not signal, for a running server. It first waits for the dead
// server's backends to exit, which hold its shared memory.
func (n *Node) clearStale(ctx context.Context) error {
	pid := n.lockPID()
	if pid == 0 || n.Running() {
		return nil
	}
	deadline := time.Now().Add(15 * time.Second)
	for childrenAlive(n.DataDir) {
		if time.Now().After(deadline) {
			return fmt.Errorf("node %s: the server that wrote postmaster.pid (pid %d) is gone but processes on %s remain; stop them, then run 'aadvisor sandbox up' again", n.Name, pid, n.DataDir)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := os.Remove(filepath.Join(n.DataDir, "postmaster.pid")); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("node %s: remove stale postmaster.pid: %w", n.Name, err)
	}
	return nil
}

// Start starts the server and waits until it accepts connections.
func (n *Node) Start(ctx context.Context) error {
	if n.Running() {
		return nil
	}
	if err := n.clearStale(ctx); err != nil {
		return err
	}
	if !portFree(n.Port) {
		return fmt.Errorf("node %s: port %d on %s is already taken by another process", n.Name, n.Port, Host)
	}
	// After a crash the dead server's backends may hold its shared memory
	// for a moment: PostgreSQL refuses to start until they are gone.
	deadline := time.Now().Add(15 * time.Second)
	for {
		cmd := n.command(ctx, "pg_ctl", "-D", n.DataDir, "-l", n.LogFile, "-w", "-t", "60", "-s", "start")
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		why := logCause(n.LogFile)
		if strings.Contains(why, "pre-existing shared memory block") && time.Now().Before(deadline) && ctx.Err() == nil {
			time.Sleep(300 * time.Millisecond)
			continue
		}
		if why == "" {
			why = firstLine(string(out))
		}
		return fmt.Errorf("node %s: start on port %d: %s (log: %s)", n.Name, n.Port, why, n.LogFile)
	}
}

// Stop stops the server. mode is "fast" (default) or "immediate".
func (n *Node) Stop(ctx context.Context, mode string) error {
	if !n.Running() {
		return nil
	}
	if mode == "" {
		mode = "fast"
	}
	out, err := n.command(ctx, "pg_ctl", "-D", n.DataDir, "-m", mode, "-w", "-t", "60", "-s", "stop").CombinedOutput()
	if err != nil && n.Running() {
		return fmt.Errorf("node %s: stop: %v: %s", n.Name, err, firstLine(string(out)))
	}
	return nil
}

// Kill sends SIGKILL to the postmaster, as a crash would. Its children
// exit on their own when they notice; the next Start runs crash recovery.
func (n *Node) Kill() error {
	pid := n.PID()
	if pid == 0 {
		return fmt.Errorf("node %s: not running", n.Name)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("node %s: kill %d: %w", n.Name, pid, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Children hold shared memory until they exit; wait for them so the
	// next start does not fail on "pre-existing shared memory block".
	for time.Now().Before(deadline) {
		if !childrenAlive(n.DataDir) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The dead postmaster may linger as a zombie until init reaps it, and
	// PostgreSQL would take it for a live server; its lock file goes, as
	// it would after a reboot. pg_control still says the server crashed,
	// so the next start runs crash recovery.
	if !alive(pid) && !childrenAlive(n.DataDir) {
		os.Remove(filepath.Join(n.DataDir, "postmaster.pid"))
	}
	return nil
}

// childrenAlive looks for processes still running with the data directory
// on their command line (postgres backends of a killed postmaster).
func childrenAlive(dataDir string) bool {
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(b), dataDir) {
			return true
		}
	}
	return false
}

// logCause picks the reason of a failed start from the server log.
func logCause(logFile string) string {
	b, err := os.ReadFile(logFile)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-30; i-- {
		l := lines[i]
		if strings.Contains(l, "could not bind") || strings.Contains(l, "Address already in use") {
			return "port already in use"
		}
	}
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-30; i-- {
		l := lines[i]
		if strings.Contains(l, "FATAL") || strings.Contains(l, "ERROR") {
			if j := strings.Index(l, "FATAL:"); j >= 0 {
				return strings.TrimSpace(l[j+6:])
			}
			return strings.TrimSpace(l)
		}
	}
	return ""
}

var (
	portMu   sync.Mutex
	portUsed = map[int]bool{}
)

// freePort asks the kernel for a free loopback port, never handing out one
// this process already gave.
func freePort() (int, error) {
	portMu.Lock()
	defer portMu.Unlock()
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", net.JoinHostPort(Host, "0"))
		if err != nil {
			return 0, fmt.Errorf("find a free port on %s: %w", Host, err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !portUsed[p] {
			portUsed[p] = true
			return p, nil
		}
	}
	return 0, fmt.Errorf("find a free port on %s: none after 50 tries", Host)
}

func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort(Host, strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// DropDatabase drops a database, working around pglogical 2.4.2 on
// PostgreSQL 15, whose supervisor never accepts the ProcSignalBarrier that
// DROP DATABASE waits for (pglogical issues #399, #418): the supervisor is
// terminated first, and the postmaster restarts it.
func (n *Node) DropDatabase(ctx context.Context, db string) error {
	conn, err := n.Connect(ctx, "")
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	drop := "DROP DATABASE IF EXISTS " + pgx.Identifier{db}.Sanitize() + " WITH (FORCE)"
	for try := 0; ; try++ {
		if _, err := conn.Exec(ctx, `SELECT pg_catalog.pg_terminate_backend(pid) FROM pg_catalog.pg_stat_activity
			WHERE backend_type = 'pglogical supervisor'`); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		if _, err := conn.Exec(ctx, "SET statement_timeout = '20s'"); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		_, err := conn.Exec(ctx, drop)
		if err == nil {
			return nil
		}
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "55006" && strings.Contains(pe.Message, "replication slot") && try < 50 {
			// A temporary slot lives until its walsender has exited,
			// which is a moment after the client closed the connection;
			// a slot left inactive in a throwaway database goes with it.
			if _, err := conn.Exec(ctx, `SELECT pg_catalog.pg_drop_replication_slot(slot_name) FROM pg_catalog.pg_replication_slots
				WHERE database = $1 AND NOT active`, db); err != nil {
				return fmt.Errorf("node %s: drop the slots of database %s: %w", n.Name, db, err)
			}
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if try >= 2 || !strings.Contains(err.Error(), "statement timeout") {
			return fmt.Errorf("node %s: drop database %s: %w", n.Name, db, err)
		}
	}
}

// Exec runs SQL on a database of the node as the superuser.
func (n *Node) Exec(ctx context.Context, db, sql string, args ...any) error {
	conn, err := n.Connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return nil
}

// Connect opens a connection to a database of the node as the superuser.
func (n *Node) Connect(ctx context.Context, db string) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, n.DSN(db))
	if err != nil {
		return nil, fmt.Errorf("node %s: connect: %w", n.Name, err)
	}
	return conn, nil
}
