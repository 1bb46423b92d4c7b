package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Etcd is one member of the sandbox's etcd cluster, the store Patroni keeps
// its leader key in. It listens on loopback ports only.
type Etcd struct {
	Name       string `json:"name"`
	ClientPort int    `json:"client_port"`
	PeerPort   int    `json:"peer_port"`
	DataDir    string `json:"data_dir"`
	LogFile    string `json:"log_file"`
	PidFile    string `json:"pid_file"`
	// Cluster and Token are the --initial-cluster and
	// --initial-cluster-token every member starts with.
	Cluster string `json:"cluster"`
	Token   string `json:"token"`

	user *osUser
}

// ClientURL is where clients (Patroni) reach the member.
func (e *Etcd) ClientURL() string {
	return "http://" + net.JoinHostPort(Host, strconv.Itoa(e.ClientPort))
}

func (e *Etcd) peerURL() string { return "http://" + net.JoinHostPort(Host, strconv.Itoa(e.PeerPort)) }

// FindEtcd returns the etcd server binary (Debian package etcd-server).
func FindEtcd() (string, error) {
	if p := os.Getenv("AADVISOR_ETCD"); p != "" {
		return p, nil
	}
	for _, c := range []string{"etcd", "/usr/bin/etcd"} {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no etcd server found (install the Debian package etcd-server, or set AADVISOR_ETCD)")
}

func (e *Etcd) daemon(bin string) *daemon {
	// Every setting on the command line, none from ETCD_* variables or
	// /etc/default/etcd (which only the Debian service reads).
	argv := []string{bin,
		"--name", e.Name,
		"--data-dir", e.DataDir,
		"--listen-client-urls", e.ClientURL(),
		"--advertise-client-urls", e.ClientURL(),
		"--listen-peer-urls", e.peerURL(),
		"--initial-advertise-peer-urls", e.peerURL(),
		"--initial-cluster", e.Cluster,
		"--initial-cluster-token", e.Token,
		"--initial-cluster-state", "new",
		"--log-level", "warn",
	}
	return &daemon{name: "etcd " + e.Name, argv: argv, env: cleanEnv("ETCD_"), dir: filepath.Dir(e.DataDir),
		logFile: e.LogFile, pidFile: e.PidFile, user: e.user}
}

// Running reports whether the member's process is alive.
func (e *Etcd) Running() bool { return pidOf(e.PidFile) != 0 }

// PID is the member's process id, or 0.
func (e *Etcd) PID() int { return pidOf(e.PidFile) }

// StartEtcd makes (on the first call) and starts the sandbox's etcd
// cluster of members members on loopback ports, waits until it answers,
// and returns the client URLs. A cluster that already exists is started
// with the members it has.
func (s *Sandbox) StartEtcd(ctx context.Context, members int) ([]string, error) {
	bin, err := FindEtcd()
	if err != nil {
		return nil, err
	}
	if len(s.Etcd) == 0 {
		if members != 1 && members != 3 && members != 5 {
			return nil, usage("etcd members %d: want 1, 3 or 5", members)
		}
		u, err := serverUser()
		if err != nil {
			return nil, err
		}
		var cluster []string
		for i := 1; i <= members; i++ {
			cp, err := freePort()
			if err != nil {
				return nil, err
			}
			pp, err := freePort()
			if err != nil {
				return nil, err
			}
			home := filepath.Join(s.Dir, "etcd", fmt.Sprintf("e%d", i))
			e := &Etcd{Name: fmt.Sprintf("e%d", i), ClientPort: cp, PeerPort: pp, user: u,
				DataDir: filepath.Join(home, "data"), LogFile: filepath.Join(home, "etcd.log"), PidFile: filepath.Join(home, "etcd.pid")}
			s.Etcd = append(s.Etcd, e)
			cluster = append(cluster, e.Name+"="+e.peerURL())
		}
		for _, e := range s.Etcd {
			e.Cluster = strings.Join(cluster, ",")
			e.Token = "aadvisor-" + strconv.Itoa(s.Etcd[0].PeerPort)
			home := filepath.Dir(e.DataDir)
			if err := os.MkdirAll(home, 0o755); err != nil {
				return nil, fmt.Errorf("etcd: %w", err)
			}
			for _, d := range []string{filepath.Dir(home), home} {
				if err := e.user.chown(d); err != nil {
					return nil, fmt.Errorf("etcd: %w", err)
				}
			}
		}
		if err := s.save(); err != nil {
			return nil, err
		}
	} else if members != 0 && members != len(s.Etcd) {
		return nil, usage("the sandbox's etcd has %d member(s), not %d; run 'aadvisor sandbox down' first", len(s.Etcd), members)
	}
	var urls []string
	for _, e := range s.Etcd {
		if _, err := e.daemon(bin).start(); err != nil {
			return nil, err
		}
		urls = append(urls, e.ClientURL())
	}
	if err := waitEtcd(ctx, s.Etcd, time.Minute); err != nil {
		return nil, err
	}
	return urls, nil
}

// waitEtcd waits until every member reports itself healthy (GET /health,
// which needs a leader elected).
func waitEtcd(ctx context.Context, members []*Etcd, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	for _, e := range members {
		for {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.ClientURL()+"/health", nil)
			resp, err := client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					break
				}
			}
			if !e.Running() {
				return fmt.Errorf("etcd %s exited: %s (log: %s)", e.Name, lastLogLine(e.LogFile), e.LogFile)
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return fmt.Errorf("etcd %s: not healthy after %s (log: %s)", e.Name, timeout, e.LogFile)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// StopEtcd stops every etcd member of the sandbox; their data stays until
// the sandbox goes.
func (s *Sandbox) StopEtcd(ctx context.Context) error {
	var errs []error
	for _, e := range s.Etcd {
		d := &daemon{name: "etcd " + e.Name, pidFile: e.PidFile}
		errs = append(errs, d.stop(ctx, 20*time.Second))
	}
	return errors.Join(errs...)
}

// RemoveEtcd stops the etcd members and forgets them (their data goes).
func (s *Sandbox) RemoveEtcd(ctx context.Context) error {
	if len(s.Etcd) == 0 {
		return nil
	}
	if err := s.StopEtcd(ctx); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.Dir, "etcd")); err != nil {
		return fmt.Errorf("remove etcd data: %w", err)
	}
	s.Etcd = nil
	return s.save()
}

func lastLogLine(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "no log"
	}
	return lastLine(string(b))
}
