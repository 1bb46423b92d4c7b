package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/spf13/cobra"
)

func init() { register((*app).sandboxCommand) }

type sandboxOptions struct {
	nodes  int
	pg     string
	dir    string
	name   string
	port   int
	format string
}

func (a *app) sandboxCommand() *cobra.Command {
	o := &sandboxOptions{}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Throwaway local PostgreSQL nodes on loopback ports",
		Long: `sandbox makes local PostgreSQL nodes for trying aadvisor: initdb + pg_ctl on free 127.0.0.1
ports, ready for logical replication (wal_level=logical, track_commit_timestamp=on, slots and
workers for a mesh, pg_stat_statements, and pglogical when installed). Running as root, the
servers run as the postgres OS user. When bootstrap hands the nodes to Patroni (a streaming
topology with --ha patroni), the sandbox also runs etcd and one Patroni per node, on loopback
ports and as the same user: up starts them again, down stops Patroni first, then the servers and
etcd.`,
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&o.dir, "dir", "", "sandbox directory (default $TMPDIR/aadvisor-sandbox/NAME)")
	pf.StringVar(&o.name, "name", "default", "sandbox name")
	pf.StringVar(&o.format, "format", "text", "output format: text, json")

	up := &cobra.Command{
		Use:   "up",
		Short: "Create and start the nodes (a no-op when they already run)",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.sandboxUp(cmd, o) },
	}
	up.Flags().IntVar(&o.nodes, "nodes", 0, "number of nodes, 1-16 (default: the existing sandbox's, else 2)")
	up.Flags().StringVar(&o.pg, "pg", "", "PostgreSQL major version (15 to 18) or path to its bin directory (default: newest found)")
	up.Flags().IntVar(&o.port, "port", 0, "first port; nodes take consecutive ports (default: free ports)")

	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the nodes and remove the sandbox directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.loadSandbox(o)
			if errors.Is(err, sandbox.ErrNoSandbox) {
				// Nothing to stop is what down is for: not an error.
				fmt.Fprintf(a.stderr, "no sandbox in %s: nothing to stop\n", sandboxDir(o))
				return nil
			}
			if err != nil {
				return err
			}
			if err := s.Down(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "sandbox %s removed (%s)\n", s.Name, s.Dir)
			return nil
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each node: up or down, version, port, DSN",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.loadSandbox(o)
			if err != nil {
				return err
			}
			return a.printSandbox(s, o.format)
		},
	}
	env := &cobra.Command{
		Use:   "env",
		Short: "Print shell exports for the nodes (eval \"$(aadvisor sandbox env)\")",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.loadSandbox(o)
			if err != nil {
				return err
			}
			fmt.Fprint(a.stdout, sandboxEnv(s))
			return nil
		},
	}
	cmd.AddCommand(up, down, status, env)
	return cmd
}

func (a *app) sandboxUp(cmd *cobra.Command, o *sandboxOptions) error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format: unknown format %q (want text or json)", o.format)
	}
	if cmd.Flags().Changed("nodes") && o.nodes < 1 {
		return usagef("--nodes %d: want 1 to %d", o.nodes, sandbox.MaxNodes)
	}
	start := time.Now()
	stop := a.progress("starting sandbox nodes")
	s, existed, err := sandbox.Up(cmd.Context(), sandbox.Options{
		Nodes: o.nodes, PG: o.pg, Dir: o.dir, Name: o.name, Port: o.port, Log: a.log,
	})
	stop()
	if err != nil {
		var ue *sandbox.UsageError
		if errors.As(err, &ue) {
			return asUsage(err)
		}
		return err
	}
	switch r := s.Restarted(); {
	case existed && len(r) > 0:
		fmt.Fprintf(a.stderr, "sandbox %s in %s: restarted %s; all %d node(s) are up\n", s.Name, s.Dir, strings.Join(r, ", "), len(s.Nodes))
	case existed:
		fmt.Fprintf(a.stderr, "sandbox %s already exists in %s; all %d node(s) are up\n", s.Name, s.Dir, len(s.Nodes))
	default:
		fmt.Fprintf(a.stderr, "sandbox %s: %d node(s) of PostgreSQL %s up in %.1fs (%s)\n",
			s.Name, len(s.Nodes), s.Nodes[0].Install.Version, time.Since(start).Seconds(), s.Dir)
	}
	if o.format == "json" {
		return a.printSandbox(s, "json")
	}
	for _, n := range s.Nodes {
		fmt.Fprintln(a.stdout, n.DSN(""))
	}
	return nil
}

func (a *app) loadSandbox(o *sandboxOptions) (*sandbox.Sandbox, error) {
	if err := sandbox.CheckName(o.name); err != nil {
		return nil, asUsage(err)
	}
	s, err := sandbox.Load(sandboxDir(o))
	if errors.Is(err, sandbox.ErrNoSandbox) {
		return nil, asUsage(err)
	}
	return s, err
}

// sandboxDir is the directory the options name.
func sandboxDir(o *sandboxOptions) string {
	if o.dir != "" {
		return o.dir
	}
	return sandbox.DefaultDir(o.name)
}

func (a *app) printSandbox(s *sandbox.Sandbox, format string) error {
	st := s.Status()
	switch format {
	case "json":
		out := struct {
			SchemaVersion int                  `json:"schema_version"`
			Name          string               `json:"name"`
			Dir           string               `json:"dir"`
			Nodes         []sandbox.NodeStatus `json:"nodes"`
			Etcd          []etcdStatus         `json:"etcd,omitempty"`
		}{1, s.Name, s.Dir, st, etcdStatuses(s)}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "text":
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		ha := len(s.Etcd) > 0
		if ha {
			fmt.Fprintln(tw, "NODE\tSTATE\tVERSION\tPORT\tPATRONI\tDSN")
		} else {
			fmt.Fprintln(tw, "NODE\tSTATE\tVERSION\tPORT\tDSN")
		}
		for _, n := range st {
			state := a.paint(a.stdout, "down", colorRed)
			if n.Up {
				state = a.paint(a.stdout, "up", colorGreen)
			}
			if ha {
				patroni := "-"
				if n.PatroniPID != 0 {
					patroni = fmt.Sprintf("pid %d, %s", n.PatroniPID, n.API)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", n.Name, state, n.Version, n.Port, patroni, n.DSN)
				continue
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", n.Name, state, n.Version, n.Port, n.DSN)
		}
		for _, e := range etcdStatuses(s) {
			state := "down"
			if e.PID != 0 {
				state = fmt.Sprintf("up (pid %d)", e.PID)
			}
			fmt.Fprintf(tw, "etcd %s\t%s\t\t\t%s\n", e.Name, state, e.ClientURL)
		}
		return tw.Flush()
	default:
		return usagef("--format: unknown format %q (want text or json)", format)
	}
}

func sandboxEnv(s *sandbox.Sandbox) string {
	var b strings.Builder
	for i, n := range s.Nodes {
		v := strings.ToUpper(n.Name)
		fmt.Fprintf(&b, "export AADVISOR_%s_DSN='%s'\n", v, n.DSN(""))
		if i == 0 {
			fmt.Fprintf(&b, "export PGHOST=%s PGPORT=%d PGUSER=%s PGDATABASE=postgres PGSSLMODE=disable\n",
				sandbox.Host, n.Port, sandbox.Superuser)
		}
	}
	return b.String()
}

// etcdStatus is one etcd member of the sandbox (Patroni's store).
type etcdStatus struct {
	Name      string `json:"name"`
	PID       int    `json:"pid,omitempty"`
	ClientURL string `json:"client_url"`
}

func etcdStatuses(s *sandbox.Sandbox) []etcdStatus {
	var out []etcdStatus
	for _, e := range s.Etcd {
		out = append(out, etcdStatus{Name: e.Name, PID: e.PID(), ClientURL: e.ClientURL()})
	}
	return out
}
