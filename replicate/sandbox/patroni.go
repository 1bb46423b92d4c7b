package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Patroni is the Patroni process that manages a node of a sandbox that
// runs a streaming topology with automatic failover. While it runs,
// Patroni (not pg_ctl) starts, stops and promotes the node's server.
type Patroni struct {
	Config  string `json:"config"` // the node's patroni.yml
	APIPort int    `json:"api_port"`
	LogFile string `json:"log_file"`
	PidFile string `json:"pid_file"`
}

// FindPatroni returns the patroni program (Debian package patroni).
func FindPatroni() (string, error) {
	if p := os.Getenv("AADVISOR_PATRONI"); p != "" {
		return p, nil
	}
	for _, c := range []string{"patroni", "/usr/bin/patroni"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no patroni found (install the Debian package patroni, or set AADVISOR_PATRONI)")
}

// PatroniPlan returns where the node's Patroni files go and the loopback
// port of its REST API, chosen once and kept in the sandbox state. The
// node is managed by Patroni only once StartPatroni wrote its config.
func (s *Sandbox) PatroniPlan(n *Node) (*Patroni, error) {
	if n.Patroni != nil {
		return n.Patroni, nil
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	home := filepath.Dir(n.DataDir)
	n.Patroni = &Patroni{Config: filepath.Join(home, "patroni.yml"), APIPort: port,
		LogFile: filepath.Join(home, "patroni.log"), PidFile: filepath.Join(home, "patroni.pid")}
	return n.Patroni, s.save()
}

// Managed reports whether Patroni manages the node (its patroni.yml is
// written).
func (n *Node) Managed() bool { return n.Patroni != nil && exists(n.Patroni.Config) }

// APIURL is the node's Patroni REST API ("" when Patroni does not manage it).
func (n *Node) APIURL() string {
	if !n.Managed() {
		return ""
	}
	return "http://" + net.JoinHostPort(Host, strconv.Itoa(n.Patroni.APIPort))
}

func (n *Node) patroniDaemon(bin string) *daemon {
	env := cleanEnv("PATRONI_")
	if n.Install.LibDir != "" {
		env = append(env, "LD_LIBRARY_PATH="+n.Install.LibDir)
	}
	return &daemon{name: "patroni on " + n.Name, argv: []string{bin, n.Patroni.Config}, env: env,
		dir: filepath.Dir(n.DataDir), logFile: n.Patroni.LogFile, pidFile: n.Patroni.PidFile, user: n.user}
}

// StartPatroni hands the node to Patroni: it writes config (the node's
// patroni.yml, readable by the server user only) and starts Patroni, which
// starts or clones the server. The node's server must be stopped first.
// With config nil the file on disk is used (a restart).
func (s *Sandbox) StartPatroni(ctx context.Context, n *Node, p *Patroni, config []byte) error {
	bin, err := FindPatroni()
	if err != nil {
		return err
	}
	if config != nil {
		if err := os.WriteFile(p.Config, config, 0o600); err != nil {
			return fmt.Errorf("node %s: write %s: %w", n.Name, p.Config, err)
		}
		if err := n.user.chown(p.Config); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	if n.Patroni != p {
		n.Patroni = p
		if err := s.save(); err != nil {
			return err
		}
	}
	if !n.Managed() {
		return fmt.Errorf("node %s: no %s", n.Name, p.Config)
	}
	if _, err := n.patroniDaemon(bin).start(); err != nil {
		return err
	}
	return nil
}

// PatroniRunning reports whether the node's Patroni process is alive.
func (n *Node) PatroniRunning() bool { return n.Patroni != nil && pidOf(n.Patroni.PidFile) != 0 }

// PatroniPID is the node's Patroni process id, or 0.
func (n *Node) PatroniPID() int {
	if n.Patroni == nil {
		return 0
	}
	return pidOf(n.Patroni.PidFile)
}

// StopPatroni stops the node's Patroni as its service manager would
// (SIGTERM): Patroni shuts the server down (fast), gives up the leader key
// when it holds it, and exits.
func (n *Node) StopPatroni(ctx context.Context) error {
	if n.Patroni == nil {
		return nil
	}
	d := &daemon{name: "patroni on " + n.Name, pidFile: n.Patroni.PidFile}
	if err := d.stop(ctx, 2*time.Minute); err != nil {
		return err
	}
	// Patroni waits for the server; make sure, as a killed Patroni leaves
	// its server running.
	return n.Stop(ctx, "fast")
}

// RestartPatroni starts the node's Patroni again with the configuration on
// disk (after StopPatroni, KillNode, or a crash).
func (s *Sandbox) RestartPatroni(ctx context.Context, n *Node) error {
	if !n.Managed() {
		return fmt.Errorf("node %s: not managed by Patroni", n.Name)
	}
	return s.StartPatroni(ctx, n, n.Patroni, nil)
}

// KillNode kills the node as a lost machine would: Patroni (when it
// manages the node) and the postmaster get SIGKILL at once.
func (n *Node) KillNode() error {
	if n.Patroni != nil {
		if pid := pidOf(n.Patroni.PidFile); pid != 0 {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	var errs []error
	if n.Running() {
		errs = append(errs, n.Kill())
	}
	if n.Patroni != nil {
		if pid := pidOf(n.Patroni.PidFile); pid != 0 {
			waitGone(context.Background(), pid, 10*time.Second)
		}
		os.Remove(n.Patroni.PidFile)
	}
	return errors.Join(errs...)
}

// Freeze stops the node's server with SIGSTOP (the postmaster and every
// process below it), as a hung machine would look to its clients and
// peers. Patroni keeps running. Thaw undoes it.
func (n *Node) Freeze() error { return n.signalServer(syscall.SIGSTOP) }

// Thaw resumes a frozen server (SIGCONT).
func (n *Node) Thaw() error { return n.signalServer(syscall.SIGCONT) }

func (n *Node) signalServer(sig syscall.Signal) error {
	pid := n.PID()
	if pid == 0 {
		return fmt.Errorf("node %s: not running", n.Name)
	}
	pids := append([]int{pid}, descendants(pid)...)
	for _, p := range pids {
		if err := syscall.Kill(p, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("node %s: signal %d: %w", n.Name, p, err)
		}
	}
	return nil
}

// ReleasePatroni gives a node back from Patroni once its Patroni is
// stopped: the configuration Patroni moved aside (postgresql.base.conf)
// is the node's postgresql.conf again, with the sandbox's own settings
// (its port, loopback access) written as at 'sandbox up', and the node is
// no longer managed. The server stays stopped; Start starts it.
func (s *Sandbox) ReleasePatroni(ctx context.Context, n *Node) error {
	if n.Patroni == nil {
		return nil
	}
	if n.PatroniRunning() {
		return fmt.Errorf("node %s: Patroni still runs", n.Name)
	}
	if err := n.Stop(ctx, "fast"); err != nil {
		return err
	}
	base := filepath.Join(n.DataDir, "postgresql.base.conf")
	conf := filepath.Join(n.DataDir, "postgresql.conf")
	if exists(base) {
		if err := os.Rename(base, conf); err != nil {
			return fmt.Errorf("node %s: restore postgresql.conf: %w", n.Name, err)
		}
	}
	for _, f := range []string{"patroni.dynamic.json", "postgresql.conf.backup", "pg_hba.conf.backup", "pg_ident.conf.backup"} {
		os.Remove(filepath.Join(n.DataDir, f))
	}
	// A replica's copy holds the leader's aadvisor.conf (its port).
	if err := n.writeConfig(len(s.Nodes)); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	os.Remove(n.Patroni.Config)
	n.Patroni = nil
	return s.save()
}
