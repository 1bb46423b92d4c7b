package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/drill"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/spf13/cobra"
)

func init() { register((*app).drillCommand) }

type drillOptions struct {
	plan        string
	fault       string
	rate        int
	clients     int
	duration    time.Duration
	faultAfter  time.Duration
	hold        time.Duration
	cutFor      time.Duration
	runs        int
	recover     time.Duration
	format      string
	out         string
	repairSQL   string
	sandbox     bool
	keep        bool
	pg          string
	sandboxDir  string
	sandboxName string
	thresholds  []string
	rto, rpo    time.Duration
}

func (a *app) drillCommand() *cobra.Command {
	o := &drillOptions{}
	cmd := &cobra.Command{
		Use:   "drill --plan FILE --fault FAULT",
		Short: "Break the topology on purpose and measure the outage (RTO), the data lost (RPO), split brain and rejoin",
		Long: `drill runs a bounded write load (pgx clients on loopback, --rate writes a second for --duration,
each write a numbered row recorded when the server acknowledges it), breaks the topology of the
plan once the load runs, undoes the fault as an operator would, and counts:

  RTO         the write outage clients saw: from the last write acknowledged before the fault to
              the first after it (streaming: through one connection string that names every node
              with target_session_attrs=read-write)
  RPO         acknowledged writes missing afterwards, counted row by row, and how long before the
              fault the oldest of them was acknowledged
  split brain writes acknowledged by another node after the new primary acknowledged its first
  rejoin      how long the broken node takes to come back as a replica (logical: links streaming)
  lag         the replica lag Patroni reported right before the fault

Faults: kill-primary (SIGKILL of the primary's postmaster), stop-primary (a fast stop: under Patroni
its Patroni is stopped, which hands the leader key over), freeze-primary (SIGSTOP of the server: a
hung primary; resumed after --hold), kill-node=NAME (SIGKILL of a node's Patroni and postmaster: a
lost machine, started again after --hold), kill-region=REGION (every node of that region),
disconnect-site=NAME --for DURATION (a site of a hub-and-spoke topology cut off from its hub: both
of its links disabled while the hub, the site and the other sites keep writing, then enabled again;
measured besides: the WAL the hub and the site held for each other, and how long after the links
came back the hub held every write the site had acknowledged). Patroni decides and promotes; the
drill never does.

On a logical design (active-active, write-partitioned) the fault is a node: measured are its write
outage, the writes it had acknowledged that no peer had while it was down, the time until its links
stream again, writes lost after recovery, and what mesh verify finds in the drill table afterwards
(--repair-sql writes the repair script, runs it with psql and verifies again).

The result is held against the plan's own numbers: the failover time the downtime budget assumed
(Patroni 40 s unless overridden) and the answers' rto_region/rpo_region; give --rto/--rpo to set
them. 'aadvisor recommend --drill' and 'aadvisor report --drill' use the measured failover time.
The nodes must run on this machine (faults are signals): a sandbox bootstrap made, or --sandbox,
which stands the plan's design up on new sandbox nodes first and takes them down at the end.

Exit status: 0 when every target is met, 3 when one is not, 1 on errors, 2 on bad input.`,
		Example: `  aadvisor bootstrap --sandbox 3 --topology streaming --ha patroni --ha-sync -o ha.yaml
  aadvisor drill --plan ha.yaml --fault kill-node=node1 --runs 3 --format json -o drill.json
  aadvisor drill --sandbox --plan plan.yaml --fault kill-primary --duration 40s -o drill.html --format html
  aadvisor recommend --answers answers.yaml --drill drill.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runDrill(cmd.Context(), o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.plan, "plan", "", "plan file (from 'aadvisor bootstrap --output', or 'recommend --output' with --sandbox)")
	f.StringVar(&o.fault, "fault", "", "kill-primary, stop-primary, freeze-primary, kill-node=NAME, kill-region=REGION or disconnect-site=NAME")
	f.IntVar(&o.rate, "rate", 200, "writes per second of the whole load")
	f.IntVar(&o.clients, "clients", 4, "client connections")
	f.DurationVar(&o.duration, "duration", 60*time.Second, "how long the load runs (longer when writes have not resumed)")
	f.DurationVar(&o.faultAfter, "fault-after", 0, "when the fault hits, from the start of the load (default: a quarter of --duration, at least 5s)")
	f.DurationVar(&o.hold, "hold", 0, "how long the fault lasts before the drill undoes it (default: until writes resume, +2s; logical: 10s)")
	f.DurationVar(&o.cutFor, "for", 0, "disconnect-site: how long the site stays cut off (--hold by another name)")
	f.IntVar(&o.runs, "runs", 1, "how many times to run the drill")
	f.DurationVar(&o.recover, "recover", 3*time.Minute, "how long to wait for the cluster to be whole again")
	f.StringVar(&o.format, "format", "text", "output format: text, json, html")
	outputFlag(f, &o.out, "", "write the result here instead of stdout")
	f.StringVar(&o.repairSQL, "repair-sql", "", "logical designs: write the repair script of the differences found after recovery here, run it with psql, verify again")
	f.BoolVar(&o.sandbox, "sandbox", false, "stand the plan's design up on new sandbox nodes first, and take them down at the end")
	f.BoolVar(&o.keep, "keep", false, "with --sandbox: leave the sandbox up")
	f.StringVar(&o.pg, "pg", "", "with --sandbox: PostgreSQL major version or bin directory (default: 15 with Patroni or pglogical, else the newest)")
	f.StringVar(&o.sandboxDir, "sandbox-dir", "", "sandbox directory (the nodes of the plan, or where --sandbox makes them)")
	f.StringVar(&o.sandboxName, "sandbox-name", "default", "sandbox name")
	f.StringArrayVar(&o.thresholds, "threshold", nil, "override a decision threshold, name=value (e.g. failover_s_patroni=30)")
	f.DurationVar(&o.rto, "rto", 0, "target write outage (default: the failover time the downtime budget assumed)")
	f.DurationVar(&o.rpo, "rpo", -1, "target data loss as a time window (0: no acknowledged write may be lost; default: the answers' rpo_region)")
	return cmd
}

func (a *app) runDrill(ctx context.Context, o *drillOptions) error {
	if o.format != "text" && o.format != "json" && o.format != "html" {
		return usagef("--format: unknown format %q (want text, json or html)", o.format)
	}
	if o.plan == "" {
		return usagef("--plan FILE is required")
	}
	fault, err := drill.ParseFault(o.fault)
	if err != nil {
		return asUsage(err)
	}
	if o.cutFor != 0 {
		switch {
		case fault.Kind != drill.DisconnectSite:
			return usagef("--for goes with --fault disconnect-site=NAME (other faults: --hold)")
		case o.hold != 0:
			return usagef("give --for or --hold, not both")
		case o.cutFor < 0:
			return usagef("--for %s: want a positive duration", o.cutFor)
		}
		o.hold = o.cutFor
	}
	if o.runs < 1 || o.runs > 20 {
		return usagef("--runs %d: want 1 to 20", o.runs)
	}
	if o.rate < 1 || o.clients < 1 {
		return usagef("--rate and --clients must be at least 1")
	}
	if o.keep && !o.sandbox {
		return usagef("--keep goes with --sandbox")
	}
	th := decide.DefaultThresholds()
	if err := th.Override(o.thresholds); err != nil {
		return usagef("--threshold: %v", err)
	}
	p, ans, err := readPlanAnswers(o.plan)
	if err != nil {
		return err
	}
	var sb *sandbox.Sandbox
	if o.sandbox {
		sb, err = a.drillSandbox(ctx, p, o)
		if sb != nil && !o.keep {
			defer func() {
				if derr := sb.Down(context.WithoutCancel(ctx)); derr != nil {
					fmt.Fprintf(a.stderr, "sandbox down: %v\n", derr)
				}
			}()
		}
		if err != nil {
			return err
		}
	} else {
		if ph := p.Placeholders(); len(ph) > 0 {
			return usagef("%s: fill in the <placeholder> DSN of %s, or use --sandbox", o.plan, joinComma(ph))
		}
		sb = a.findSandbox(&bootstrapOptions{sandboxDir: o.sandboxDir, sandboxName: o.sandboxName})
	}
	opt := drill.Options{Fault: fault, Rate: o.rate, Clients: o.clients, Duration: o.duration, FaultAfter: o.faultAfter, Hold: o.hold,
		Runs: o.runs, Recover: o.recover, RepairSQL: o.repairSQL, Local: localNodes(p, sb), Sandbox: sb, Log: a.log,
		Targets: drillTargets(p, ans, th, fault, o)}
	opt.Progress = func(s string) { fmt.Fprintf(a.stderr, "drill: %s\n", s) }
	res, err := drill.Drill(ctx, p, opt)
	var ue *drill.UsageError
	if errors.As(err, &ue) {
		return asUsage(err)
	}
	if res != nil {
		res.Tool = "aadvisor " + versionString()
		if perr := a.writeDrill(res, o); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	if !res.Verdict.Met {
		return silentError{code: exitFindings}
	}
	return nil
}

// drillSandbox stands the plan's design up on new sandbox nodes: the drill
// table first on every node (a logical mesh replicates what is in scope
// at bootstrap), then bootstrap.
func (a *app) drillSandbox(ctx context.Context, p *replicate.Plan, o *drillOptions) (*sandbox.Sandbox, error) {
	pg := o.pg
	if pg == "" && (p.Topology.HA != nil || p.Topology.Engine == replicate.EnginePglogical) {
		pg = "15"
	}
	dir := o.sandboxDir
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "aadvisor-sandbox", fmt.Sprintf("drill-%d", os.Getpid()))
	}
	fmt.Fprintf(a.stderr, "drill: standing up %s (%s) on %d sandbox nodes in %s\n", p.Topology.Kind, p.Topology.Engine, len(p.Topology.Nodes), dir)
	sb, existed, err := sandbox.Up(ctx, sandbox.Options{Nodes: len(p.Topology.Nodes), PG: pg, Dir: dir, Name: "drill", Log: a.log})
	if err != nil {
		var se *sandbox.UsageError
		if errors.As(err, &se) {
			return sb, asUsage(err)
		}
		return sb, err
	}
	if existed {
		return nil, usagef("--sandbox-dir %s already holds a sandbox: --sandbox makes a new one (leave out --sandbox to drill its nodes)", dir)
	}
	if err := fillFromSandbox(p, sb); err != nil {
		return sb, err
	}
	if err := ensureDatabase(ctx, sb, p.Topology.Database); err != nil {
		return sb, err
	}
	if p.Topology.Kind != replicate.TopologyStreaming {
		for _, n := range sb.Nodes {
			if err := n.Exec(ctx, p.Topology.Database, drill.TableDDL(drill.HomeColumn(p))); err != nil {
				return sb, fmt.Errorf("create the drill table: %w", err)
			}
		}
	}
	local := localNodes(p, sb)
	if err := replicate.PrepareHA(p, local, sb); err != nil {
		return sb, err
	}
	res, err := replicate.Bootstrap(ctx, p, replicate.Options{Local: local, Sandbox: sb, Log: a.log, Wait: 3 * time.Minute})
	if err != nil {
		if res != nil {
			var b bytes.Buffer
			printBootstrap(&b, res, "text")
			fmt.Fprint(a.stderr, b.String())
		}
		return sb, fmt.Errorf("bootstrap on the sandbox: %w", err)
	}
	return sb, nil
}

// drillTargets are the plan's numbers for the fault: the failover time the
// downtime budget assumed (the platform's, or Patroni's when the plan has
// it and no answers), the answers' region RTO for a region fault, and
// their RPO; --rto and --rpo override.
func drillTargets(p *replicate.Plan, ans *decide.Answers, th decide.Thresholds, f drill.Fault, o *drillOptions) drill.Targets {
	var t drill.Targets
	platform := ""
	if ans != nil {
		platform = ans.String("platform")
	}
	if platform == "" && p.Topology.HA != nil {
		platform = decide.PlatformPatroni
	}
	// A site cut off from its hub keeps writing: no failover happens, so
	// the budget's failover time is no target for it.
	if pi, ok := decide.Platform(platform, th); ok && pi.Failover > 0 && f.Kind != drill.DisconnectSite {
		t.AssumedFailoverS = pi.Failover
		t.AssumedSource = fmt.Sprintf("%s failover assumed by the downtime budget, %s", pi.Name, pi.Source)
	}
	if f.Kind != drill.KillRegion && t.AssumedFailoverS > 0 {
		t.RTOS, t.RTOSource = t.AssumedFailoverS, "the failover time the downtime budget assumed"
	}
	if ans != nil {
		if f.Kind == drill.KillRegion {
			if s, ok := map[string]float64{decide.RTOZero: 1, decide.RTOAuto: 120, decide.RTOManual: 900}[ans.String("rto_region")]; ok {
				t.RTOS, t.RTOSource = s, "rto_region answer "+ans.String("rto_region")
			}
		}
		if s, ok := map[string]float64{decide.RPOZero: 0, decide.RPOSecond: 1, decide.RPOMinute: 60, decide.RPO15Min: 900, decide.RPOHours: 3600}[ans.String("rpo_region")]; ok {
			t.RPOS, t.RPOSet, t.RPOSource = s, true, "rpo_region answer "+ans.String("rpo_region")
		}
	}
	if o.rto > 0 {
		t.RTOS, t.RTOSource = o.rto.Seconds(), "--rto"
	}
	if o.rpo >= 0 {
		t.RPOS, t.RPOSet, t.RPOSource = o.rpo.Seconds(), true, "--rpo"
	}
	return t
}

func (a *app) writeDrill(res *drill.Result, o *drillOptions) error {
	var b bytes.Buffer
	switch o.format {
	case "json":
		enc := json.NewEncoder(&b)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	case "html":
		in := decide.HTMLInputs{Tool: res.Tool, Generated: now(), Drill: drillView(res)}
		if err := decide.RenderHTML(&b, in); err != nil {
			return err
		}
	default:
		drill.WriteText(&b, res)
	}
	if o.out == "" || o.out == "-" {
		_, err := a.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(o.out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", o.out, err)
	}
	fmt.Fprintf(a.stderr, "drill result written to %s\n", o.out)
	return nil
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}
