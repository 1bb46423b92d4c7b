package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aadvisor/aadvisor/assess/decide"
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
	lagWindow    time.Duration
	verifyEvery  time.Duration
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
The plan's replication window (W, from its answers; --lag-window) and RPO are exported too, for the
alert rules to compare the lag with; with --verify-every, mesh verify runs that often and its results
are exported. 'aadvisor mesh monitoring' writes a Grafana dashboard and Prometheus alert rules for
these metrics.
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
			if o.verifyEvery != 0 && o.verifyEvery < time.Second {
				return usagef("--verify-every %s: want 0 (never) or at least 1s", o.verifyEvery)
			}
			if o.lagWindow < 0 {
				return usagef("--lag-window %s: want a positive duration", o.lagWindow)
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
	f.DurationVar(&o.lagWindow, "lag-window", 0, "lag the plan tolerates, exported for the lag alert (default: the plan's replication window W)")
	f.DurationVar(&o.verifyEvery, "verify-every", 0, "run mesh verify this often and export its results; it reads every table (0: never)")
	return cmd
}

// planLimits returns the lag window and the RPO a plan's answers give:
// the replication window W (the questionnaire's default W when the plan
// keeps no answers) and the cross-region RPO (0 when not answered or 0).
func planLimits(path string, p *replicate.Plan) (window, rpo time.Duration, err error) {
	ans, err := planAnswers(path, p)
	if err != nil {
		return 0, 0, err
	}
	if ans == nil {
		na := decide.NewAnswers()
		ans = &na
	}
	d := decide.Derive(*ans, decide.DefaultThresholds())
	window = time.Duration(d.WindowS * float64(time.Second))
	rpo, _ = decide.RPO(*ans)
	return window, rpo, nil
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
	window, rpo, err := planLimits(o.plan, p)
	if err != nil {
		return err
	}
	if o.lagWindow > 0 {
		window = o.lagWindow
	}
	a.log.Info("lag limits", "lag_window", window.String(), "rpo", rpo.String())
	sup := replicate.NewSupervisor(p, replicate.SuperviseOptions{Interval: o.interval, AutoReenable: o.autoReenable,
		MaxReenables: o.maxReenables, DownBudget: o.downBudget, Status: replicate.StatusOptions{LogFiles: o.logs}, Log: a.log,
		LagWindow: window, RPO: rpo, VerifyEvery: o.verifyEvery, Verify: replicate.VerifyOptions{Recheck: 2 * time.Second}})
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
	err = nil
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
