package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/spf13/cobra"
)

func init() { registerMesh((*app).meshRunCommand) }

type meshRunOptions struct {
	plan         string
	listen       string
	allowRemote  bool
	interval     time.Duration
	autoReenable bool
	maxReenables int
	downBudget   time.Duration
	logs         map[string]string
}

func (a *app) meshRunCommand() *cobra.Command {
	o := &meshRunOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Supervise the mesh: poll, export Prometheus metrics and /healthz, log changes, raise alarms",
		Long: `run keeps polling every node of the plan (one connection per node, a handful of catalog queries
per poll) and serves:
  /metrics  Prometheus metrics: node and link up, lag bytes and seconds, conflicts, apply errors,
            WAL retained per slot and the safe WAL left before max_slot_wal_keep_size, alarms,
            and the supervisor's own query count
  /healthz  JSON summary; HTTP 503 while an alarm is raised
State changes and alarms are logged (slog, stderr; see --log-level/--log-format). Alarms: a slot
about to pass max_slot_wal_keep_size (or filling the disk when unlimited), a slot that lost WAL,
a node down longer than --down-budget, a link failing on apply errors. With --auto-reenable, a
native subscription disabled by an apply error (disable_on_error) is re-enabled up to
--max-reenables times; when it keeps failing the error is not transient and an alarm says so.
SIGTERM or Ctrl-C stops it cleanly. The listen address must be loopback unless
--allow-remote-listen is given.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.interval < 200*time.Millisecond {
				return usagef("--interval %s: want at least 200ms", o.interval)
			}
			if err := checkListen(o.listen, o.allowRemote); err != nil {
				return err
			}
			p, err := readPlanFlag(o.plan)
			if err != nil {
				return err
			}
			return a.meshRun(cmd.Context(), p, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.plan, "plan", "", "plan file (from 'aadvisor bootstrap --output')")
	f.StringVar(&o.listen, "listen", "127.0.0.1:9631", "address for /metrics and /healthz (empty: no HTTP)")
	f.BoolVar(&o.allowRemote, "allow-remote-listen", false, "allow a non-loopback --listen address")
	f.DurationVar(&o.interval, "interval", 5*time.Second, "poll interval")
	f.BoolVar(&o.autoReenable, "auto-reenable", false, "re-enable native subscriptions disabled by an apply error")
	f.IntVar(&o.maxReenables, "max-reenables", 3, "re-enables in a row before the failure is taken as permanent")
	f.DurationVar(&o.downBudget, "down-budget", time.Minute, "how long a node may be down before the alarm")
	f.StringToStringVar(&o.logs, "log", nil, "server log of a node on this machine, to count pglogical conflicts (NODE=FILE, repeatable)")
	return cmd
}

// checkListen accepts host:port with a loopback host (or any host when
// allowed).
func checkListen(addr string, allowRemote bool) error {
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--listen %q: want host:port (e.g. 127.0.0.1:9631): %v", addr, err)
	}
	if port == "" {
		return usagef("--listen %q: missing port", addr)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return usagef("--listen %q: not a loopback address; metrics and health are local by default (use --allow-remote-listen to expose them)", addr)
	}
	return nil
}

func (a *app) meshRun(ctx context.Context, p *replicate.Plan, o *meshRunOptions) error {
	sup := replicate.NewSupervisor(p, replicate.SuperviseOptions{Interval: o.interval, AutoReenable: o.autoReenable,
		MaxReenables: o.maxReenables, DownBudget: o.downBudget, Status: replicate.StatusOptions{LogFiles: o.logs}, Log: a.log})
	defer sup.Close()
	var srv *http.Server
	errc := make(chan error, 1)
	if o.listen != "" {
		ln, err := net.Listen("tcp", o.listen)
		if err != nil {
			return fmt.Errorf("listen on %s: %w", o.listen, err)
		}
		srv = &http.Server{Handler: sup.Handler(), ReadHeaderTimeout: 5 * time.Second}
		fmt.Fprintf(a.stderr, "aadvisor mesh run: %d nodes, polling every %s; metrics on http://%s/metrics, health on http://%s/healthz\n",
			len(p.Topology.Nodes), o.interval, ln.Addr(), ln.Addr())
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("serve %s: %w", o.listen, err)
			}
		}()
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- sup.Run(runCtx) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	cancel()
	<-done
	if srv != nil {
		sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer scancel()
		srv.Shutdown(sctx)
	}
	if err == nil {
		fmt.Fprintln(a.stderr, "aadvisor mesh run: stopped")
	}
	return err
}
