package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// A daemon is a long-running helper process of the sandbox (etcd, Patroni)
// that outlives the aadvisor command that started it: it runs in its own
// session, as the server user when we are root, with its output in a log
// file and its pid in a pid file.
type daemon struct {
	name    string // for messages: "etcd e1", "patroni on node1"
	argv    []string
	env     []string
	dir     string
	logFile string
	pidFile string
	user    *osUser
}

// start launches the daemon unless its pid file names a live process.
func (d *daemon) start() (int, error) {
	if pid := pidOf(d.pidFile); pid != 0 {
		return pid, nil
	}
	lf, err := os.OpenFile(d.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return 0, fmt.Errorf("%s: log file: %w", d.name, err)
	}
	defer lf.Close()
	if err := d.user.chown(d.logFile); err != nil {
		return 0, fmt.Errorf("%s: %w", d.name, err)
	}
	cmd := exec.Command(d.argv[0], d.argv[1:]...)
	cmd.Env = d.env
	cmd.Dir = d.dir
	cmd.Stdout, cmd.Stderr = lf, lf
	d.user.as(cmd)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("%s: start %s: %w", d.name, d.argv[0], err)
	}
	pid := cmd.Process.Pid
	// Reap it if it exits while we run; once we exit, init does.
	go cmd.Wait()
	if err := os.WriteFile(d.pidFile, []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		cmd.Process.Kill()
		return 0, fmt.Errorf("%s: pid file: %w", d.name, err)
	}
	return pid, nil
}

// stop sends SIGTERM and waits up to timeout for the process to exit, then
// sends SIGKILL. The pid file goes.
func (d *daemon) stop(ctx context.Context, timeout time.Duration) error {
	pid := pidOf(d.pidFile)
	if pid == 0 {
		os.Remove(d.pidFile)
		return nil
	}
	syscall.Kill(pid, syscall.SIGCONT) // a frozen process cannot act on SIGTERM
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("%s: stop %d: %w", d.name, pid, err)
	}
	if !waitGone(ctx, pid, timeout) {
		syscall.Kill(pid, syscall.SIGKILL)
		if !waitGone(ctx, pid, 10*time.Second) {
			return fmt.Errorf("%s: pid %d does not exit", d.name, pid)
		}
	}
	os.Remove(d.pidFile)
	return nil
}

func waitGone(ctx context.Context, pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for alive(pid) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return !alive(pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// pidOf reads a pid file and returns the pid when that process is alive.
func pidOf(pidFile string) int {
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 || !alive(pid) {
		return 0
	}
	return pid
}

// cleanEnv is the environment for a daemon: ours without the variables
// that would reconfigure it behind the plan's back (PATRONI_*, ETCD_*).
func cleanEnv(drop ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		skip := false
		for _, p := range drop {
			if strings.HasPrefix(kv, p) {
				skip = true
			}
		}
		if !skip {
			out = append(out, kv)
		}
	}
	return out
}

// descendants lists the live processes below pid (its children, theirs...).
func descendants(pid int) []int {
	parent := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 || i+2 >= len(s) {
			continue
		}
		f := strings.Fields(s[i+2:])
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[pp] = append(parent[pp], p)
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range parent[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}
