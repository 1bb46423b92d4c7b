package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options for Up.
type Options struct {
	Nodes int    // how many nodes, 1..MaxNodes; 0: the existing sandbox's, or DefaultNodes
	PG    string // "", a major version ("15", "18"), or a path to binaries
	Dir   string // the sandbox directory; default DefaultDir(Name)
	Name  string // a label; default "default"
	Port  int    // first port; 0 picks free ports
	Log   *slog.Logger
}

// MaxNodes bounds a sandbox: this is for laptops and CI machines.
const MaxNodes = 16

// DefaultNodes is the size of a new sandbox when Options.Nodes is 0.
const DefaultNodes = 2

// nameRE is what a sandbox name may be: a plain name, which becomes a
// directory under DefaultDir's parent.
var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// CheckName reports why name cannot name a sandbox, or nil.
func CheckName(name string) error {
	if name == "" || nameRE.MatchString(name) {
		return nil
	}
	return usage("--name %q: want a plain name (letters, digits, '_', '-', '.'; no '/'; at most 63 characters)", name)
}

// Sandbox is a set of local nodes described by DIR/sandbox.json.
type Sandbox struct {
	Version int       `json:"version"`
	Name    string    `json:"name"`
	Dir     string    `json:"dir"`
	Created time.Time `json:"created"`
	Nodes   []*Node   `json:"nodes"`

	restarted []string
	// Etcd is the store of the Patroni clusters bootstrap runs on the
	// sandbox (empty without automatic failover).
	Etcd []*Etcd `json:"etcd,omitempty"`
}

// StateFile is the name of the file that marks a directory as a sandbox.
const StateFile = "sandbox.json"

// UsageError marks bad options (the CLI maps it to exit code 2).
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

func usage(format string, a ...any) error { return &UsageError{fmt.Errorf(format, a...)} }

// DefaultDir is where a named sandbox lives unless --dir says otherwise:
// under the system temporary directory, which every user can traverse.
func DefaultDir(name string) string {
	if name == "" {
		name = "default"
	}
	return filepath.Join(os.TempDir(), "aadvisor-sandbox", name)
}

// ErrNoSandbox means the directory holds no sandbox.
var ErrNoSandbox = errors.New("no sandbox there")

// Load reads the sandbox in dir.
func Load(dir string) (*Sandbox, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w (run 'aadvisor sandbox up' first)", dir, ErrNoSandbox)
	}
	if err != nil {
		return nil, fmt.Errorf("read sandbox state: %w", err)
	}
	var s Sandbox
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: corrupt state file: %w", filepath.Join(dir, StateFile), err)
	}
	u, err := serverUser()
	if err != nil {
		return nil, err
	}
	for _, n := range s.Nodes {
		if n.Install == nil {
			return nil, fmt.Errorf("%s: corrupt state file: node %s has no installation", filepath.Join(dir, StateFile), n.Name)
		}
		n.user = u
	}
	for _, e := range s.Etcd {
		e.user = u
	}
	return &s, nil
}

// Up makes (or restarts) the sandbox. existed is true when the sandbox was
// already there; Up then only starts nodes that are down.
func Up(ctx context.Context, o Options) (s *Sandbox, existed bool, err error) {
	if o.Nodes < 0 || o.Nodes > MaxNodes {
		return nil, false, usage("--nodes %d: want 1 to %d", o.Nodes, MaxNodes)
	}
	if err := CheckName(o.Name); err != nil {
		return nil, false, err
	}
	if o.Name == "" {
		o.Name = "default"
	}
	if o.Dir == "" {
		o.Dir = DefaultDir(o.Name)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, false, usage("--dir %s: %v", o.Dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, StateFile)); err == nil {
		s, err := Load(dir)
		if err != nil {
			return nil, true, err
		}
		return s, true, s.restart(ctx, o)
	}
	if o.Nodes == 0 {
		o.Nodes = DefaultNodes
	}
	if o.Port != 0 && (o.Port < 1024 || o.Port+o.Nodes-1 > 65535) {
		return nil, false, usage("--port %d: want 1024 to %d", o.Port, 65535-o.Nodes+1)
	}
	in, err := FindInstall(ctx, o.PG)
	if err != nil {
		if errors.Is(err, ErrNotFound) || !strings.ContainsRune(o.PG, '/') {
			return nil, false, &UsageError{err}
		}
		return nil, false, err
	}
	u, err := serverUser()
	if err != nil {
		return nil, false, err
	}
	created, err := makeDir(dir, u)
	if err != nil {
		return nil, false, err
	}
	s = &Sandbox{Version: 1, Name: o.Name, Dir: dir, Created: time.Now().UTC().Truncate(time.Second)}
	defer func() {
		if err != nil {
			// Leave nothing half-made behind.
			s.stopAll(context.WithoutCancel(ctx))
			if created {
				os.RemoveAll(dir)
			} else {
				for _, n := range s.Nodes {
					os.RemoveAll(filepath.Dir(n.DataDir))
				}
			}
		}
	}()
	in, err = in.reachable(ctx, u)
	if err != nil {
		return s, false, err
	}
	for i := 0; i < o.Nodes; i++ {
		name := fmt.Sprintf("node%d", i+1)
		port := 0
		if o.Port != 0 {
			port = o.Port + i
			if !portFree(port) {
				return s, false, fmt.Errorf("node %s: port %d on %s is already taken by another process", name, port, Host)
			}
		} else if port, err = freePort(); err != nil {
			return s, false, err
		}
		s.Nodes = append(s.Nodes, &Node{Name: name, Port: port, Install: in, user: u,
			DataDir: filepath.Join(dir, name, "data"), LogFile: filepath.Join(dir, name, "server.log")})
	}
	o.Log.Info("creating sandbox", "dir", dir, "nodes", o.Nodes, "version", in.Version)
	if err := s.each(func(n *Node) error { return n.initdb(ctx, o.Nodes) }); err != nil {
		return s, false, err
	}
	if err := s.save(); err != nil {
		return s, false, err
	}
	if err := s.each(func(n *Node) error { return n.startRetry(ctx, o.Port == 0) }); err != nil {
		return s, false, err
	}
	// Ports may have moved during retries.
	return s, false, s.save()
}

// restart starts the nodes of an existing sandbox that are down.
func (s *Sandbox) restart(ctx context.Context, o Options) error {
	if o.PG != "" && !strings.ContainsRune(o.PG, '/') {
		if want := o.PG; len(s.Nodes) > 0 && fmt.Sprint(s.Nodes[0].Install.Major) != want {
			return usage("sandbox %s already exists with PostgreSQL %s; run 'aadvisor sandbox down --dir %s' first or use another --dir",
				s.Dir, s.Nodes[0].Install.Version, s.Dir)
		}
	}
	if o.Nodes != 0 && o.Nodes != len(s.Nodes) {
		return usage("sandbox %s already exists with %d nodes, not %d; run 'aadvisor sandbox down --dir %s' first or use another --dir",
			s.Dir, len(s.Nodes), o.Nodes, s.Dir)
	}
	if len(s.Etcd) > 0 {
		if _, err := s.StartEtcd(ctx, 0); err != nil {
			return err
		}
	}
	var mu sync.Mutex
	err := s.each(func(n *Node) error {
		if n.Managed() {
			// Patroni starts the server; a server still running from
			// before is adopted.
			if !n.Running() {
				mu.Lock()
				s.restarted = append(s.restarted, n.Name)
				mu.Unlock()
			}
			return s.RestartPatroni(ctx, n)
		}
		if n.Running() {
			return nil
		}
		if err := n.Start(ctx); err != nil {
			return err
		}
		mu.Lock()
		s.restarted = append(s.restarted, n.Name)
		mu.Unlock()
		return nil
	})
	slices.Sort(s.restarted)
	return err
}

// Restarted names the nodes the last Up of an existing sandbox started
// again (they were stopped or had crashed).
func (s *Sandbox) Restarted() []string { return s.restarted }

// each runs f on every node at once and joins the errors in node order.
func (s *Sandbox) each(f func(*Node) error) error {
	errs := make([]error, len(s.Nodes))
	var wg sync.WaitGroup
	for i, n := range s.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(n)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (s *Sandbox) stopAll(ctx context.Context) {
	s.each(func(n *Node) error {
		if err := n.Stop(ctx, "fast"); err != nil {
			return n.Stop(ctx, "immediate")
		}
		return nil
	})
}

func (s *Sandbox) save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	p := filepath.Join(s.Dir, StateFile)
	if err := os.WriteFile(p+".tmp", append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write sandbox state: %w", err)
	}
	return os.Rename(p+".tmp", p)
}

// Down stops every node (Patroni first, where it manages one, so that it
// does not restart its server) and etcd, and removes the sandbox directory.
func (s *Sandbox) Down(ctx context.Context) error {
	var errs []error
	errs = append(errs, s.each(func(n *Node) error { return n.StopPatroni(ctx) }))
	for _, n := range s.Nodes {
		if err := n.Stop(ctx, "fast"); err != nil {
			if err2 := n.Stop(ctx, "immediate"); err2 != nil {
				errs = append(errs, err2)
			}
		}
	}
	errs = append(errs, s.StopEtcd(ctx))
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if _, err := os.Stat(s.Dir); errors.Is(err, os.ErrNotExist) {
		return nil // already gone
	}
	if _, err := os.Stat(filepath.Join(s.Dir, StateFile)); err != nil {
		return fmt.Errorf("%s: refusing to remove a directory without %s", s.Dir, StateFile)
	}
	if err := os.RemoveAll(s.Dir); err != nil {
		return fmt.Errorf("remove %s: %w", s.Dir, err)
	}
	return nil
}

// NodeStatus is one line of 'sandbox status'.
type NodeStatus struct {
	Name    string `json:"name"`
	Up      bool   `json:"up"`
	PID     int    `json:"pid,omitempty"`
	Port    int    `json:"port"`
	Version string `json:"version"`
	DSN     string `json:"dsn"`
	DataDir string `json:"data_dir"`
	// PatroniPID and API are set while Patroni manages the node.
	PatroniPID int    `json:"patroni_pid,omitempty"`
	API        string `json:"api,omitempty"`
}

// Status reports each node.
func (s *Sandbox) Status() []NodeStatus {
	out := make([]NodeStatus, 0, len(s.Nodes))
	for _, n := range s.Nodes {
		pid := n.PID()
		out = append(out, NodeStatus{Name: n.Name, Up: pid != 0, PID: pid, Port: n.Port,
			Version: n.Install.Version, DSN: n.DSN(""), DataDir: n.DataDir, PatroniPID: n.PatroniPID(), API: n.APIURL()})
	}
	return out
}

// Node returns the named node, or nil.
func (s *Sandbox) Node(name string) *Node {
	for _, n := range s.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// makeDir creates the sandbox directory, checking that it is writable and
// that the server user can reach it. created is false when it existed.
func makeDir(dir string, u *osUser) (created bool, err error) {
	st, err := os.Stat(dir)
	switch {
	case err == nil && !st.IsDir():
		return false, usage("--dir %s: not a directory", dir)
	case err == nil:
		ents, _ := os.ReadDir(dir)
		if len(ents) > 0 {
			return false, usage("--dir %s: exists and is not empty (and holds no %s)", dir, StateFile)
		}
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return false, usage("--dir %s: cannot create it: %v", dir, unwrapPath(err))
		}
		created = true
	default:
		return false, usage("--dir %s: %v", dir, unwrapPath(err))
	}
	probe := filepath.Join(dir, ".write-test")
	if err := os.WriteFile(probe, nil, 0o600); err != nil {
		if created {
			os.RemoveAll(dir)
		}
		return false, usage("--dir %s: not writable: %v", dir, unwrapPath(err))
	}
	os.Remove(probe)
	if u != nil {
		if blocked := firstBlocked(dir, u); blocked != "" {
			if created {
				os.RemoveAll(dir)
			}
			return false, usage("--dir %s: the %s OS user that runs the servers cannot reach it (%s is not searchable by it); choose a directory under %s",
				dir, u.name, blocked, os.TempDir())
		}
		if err := u.chown(dir); err != nil {
			return created, fmt.Errorf("--dir %s: give it to the %s user: %w", dir, u.name, err)
		}
	}
	return created, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
