package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/rules"
	"github.com/spf13/cobra"
)

type observeOptions struct {
	dsn         string
	duration    time.Duration
	publication string
	save        string
	trace       string
	format      string
	output      string
	regions     int
	lag         time.Duration
	route       string
	homeShare   float64
	seed        uint64
	maxChanges  int64
	maxRows     int
	top         int
	cleanup     bool
	stmtTimeout time.Duration
	plan        string
	planSeq     string // the plan's sequence strategy (replicate.Topology.SequenceStrategy)
	sequences   string
	lagSet      bool // --lag given: the plan does not override it
	regionsSet  bool
	seqSet      bool
}

func init() {
	register(func(a *app) *cobra.Command {
		var o observeOptions
		cmd := &cobra.Command{
			Use:   "observe",
			Short: "Measure a conflict forecast from the live change stream",
			Long: `observe reads the committed changes of a database from its logical change stream
(a TEMPORARY replication slot with pgoutput, over a publication it creates for the duration),
then replays them as if they had run in N regions with replication window W, and counts per
table and per row what a multi-primary mesh would have seen: origin-differs events (what
pglogical and PostgreSQL 18 log as conflicts), of them the conflicting applies (a change applied
onto a write its sender had not seen: last-update-wins keeps one of the two, silently), lost
increments on counter columns, and insert/insert collisions on sequence-fed keys. It also prints
the expected conflicts per day against W and N: conflicting applies, at most one per remote
change a node applies. Key collisions of sequence-fed keys are a number of their own: what
shared sequences would cause, 0 with per-node offsets (--sequences offsets, or a plan whose
topology sets them, as bootstrap does by default).

Nothing survives it: the slot dies with the connection (also on kill -9), the publication is
dropped at the end and on Ctrl-C, and the next run (or observe --cleanup) drops one a crashed
run left. Ctrl-C ends the capture early and still prints the forecast.

Examples:
  aadvisor observe --dsn postgres://me@db1/app --duration 5m --save trace.bin
  aadvisor observe --trace trace.bin --regions 3 --lag 120ms --route column:tenant_id --format json
  aadvisor observe --dsn postgres://me@db1/app --cleanup`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, args []string) error {
				o.lagSet, o.regionsSet, o.seqSet = cmd.Flags().Changed("lag"), cmd.Flags().Changed("regions"), cmd.Flags().Changed("sequences")
				return a.observe(cmd.Context(), &o)
			},
		}
		f := cmd.Flags()
		f.StringVar(&o.dsn, "dsn", "", "database to observe (needs wal_level=logical and a role with REPLICATION)")
		f.DurationVar(&o.duration, "duration", 5*time.Minute, "how long to capture")
		f.StringVar(&o.publication, "publication", "", "read this existing publication instead of creating aadv_observe_<pid>_<random>")
		f.StringVar(&o.save, "save", "", "keep the captured trace in this file (for --trace later)")
		f.StringVar(&o.trace, "trace", "", "forecast from a saved trace instead of capturing")
		f.StringVar(&o.format, "format", "text", "output format: text, json, markdown, html")
		outputFlag(f, &o.output, "", "write the forecast to `FILE` instead of stdout (made before the capture starts)")
		f.IntVar(&o.regions, "regions", 2, "number of regions N that would write")
		f.DurationVar(&o.lag, "lag", rules.DefaultReplicationWindow, "replication window W: one-way latency plus apply lag between regions, as ask assumes it; --plan's answers give it when set")
		f.StringVar(&o.plan, "plan", "", "plan from 'aadvisor ask'/'recommend': W and N come from its answers (the replication window recommend used, answered or the default; the number of write regions) unless --lag/--regions say otherwise")
		f.StringVar(&o.sequences, "sequences", forecast.SequencesShared, "how the nodes' sequences hand out values: shared (each node its own copy from the same start) or offsets (per-node offsets or ranges; from --plan: its topology.sequences)")
		f.StringVar(&o.route, "route", "hash", "where each transaction runs: hash | column:COLUMN | table.column=value:region,...")
		f.Float64Var(&o.homeShare, "home-share", 0.95, "share of routed transactions that run in their home region")
		f.Uint64Var(&o.seed, "seed", 1, "seed of the region assignment (the forecast is deterministic for a seed)")
		f.Int64Var(&o.maxChanges, "max-changes", 20_000_000, "stop capturing after this many changes (bounds the trace)")
		f.IntVar(&o.maxRows, "max-rows", forecast.DefaultMaxRows, "rows the forecast tracks one by one (bounds memory)")
		f.IntVar(&o.top, "top", 10, "hot rows to list")
		f.BoolVar(&o.cleanup, "cleanup", false, "drop publications a crashed observe left (aadv_observe_* with no slot reading them) and exit")
		f.DurationVar(&o.stmtTimeout, "statement-timeout", 30*time.Second, "statement_timeout of the regular connection")
		return cmd
	})
}

func (a *app) observe(ctx context.Context, o *observeOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	switch o.format {
	case "text", "json", "markdown", "html":
	default:
		return usagef("--format: unknown format %q (want text, json, markdown or html)", o.format)
	}
	if err := checkDSN("--dsn", o.dsn); err != nil {
		return err
	}
	if o.cleanup {
		if o.dsn == "" {
			return usagef("--cleanup needs --dsn")
		}
		return a.observeCleanup(ctx, o)
	}
	switch {
	case o.trace == "" && o.dsn == "":
		return usagef("give --dsn to capture, or --trace to forecast from a saved trace")
	case o.trace != "" && o.dsn != "":
		return usagef("give --dsn or --trace, not both")
	case o.trace != "" && o.save != "":
		return usagef("--save needs a capture (--dsn), not --trace")
	}
	if st, err := os.Stat(o.trace); o.trace != "" && err == nil && st.IsDir() {
		return usagef("--trace %s: is a directory, want a file", o.trace)
	}
	if o.plan != "" {
		if err := a.observeFromPlan(o); err != nil {
			return err
		}
	}
	if o.regions < 1 || o.regions > 64 {
		return usagef("--regions %d: want 1 to 64", o.regions)
	}
	if o.lag < 0 {
		return usagef("--lag %s: want 0 or more", o.lag)
	}
	if o.homeShare < 0 || o.homeShare > 1 {
		return usagef("--home-share %v: want 0 to 1", o.homeShare)
	}
	if o.sequences != forecast.SequencesShared && o.sequences != forecast.SequencesOffsets {
		return usagef("--sequences %q: want %s or %s", o.sequences, forecast.SequencesShared, forecast.SequencesOffsets)
	}
	if err := checkTimeout("--statement-timeout", o.stmtTimeout); err != nil {
		return err
	}
	if o.duration <= 0 && o.dsn != "" {
		return usagef("--duration %s: want more than 0", o.duration)
	}
	route, err := forecast.ParseRoute(o.route, o.regions)
	if err != nil {
		return usageError{err}
	}
	fo := forecast.Options{Regions: o.regions, Lag: o.lag, Route: route, HomeShare: o.homeShare,
		Seed: o.seed, MaxRows: o.maxRows, Top: o.top, Sequences: o.sequences}
	// The output file is made before a capture that may take minutes, so
	// a path that cannot be written fails at once; it goes again if the
	// run fails.
	if o.output == "" {
		return a.observeRun(ctx, o, fo, a.stdout)
	}
	out, err := os.Create(o.output)
	if err != nil {
		return usagef("--output: %v", err)
	}
	err = a.observeRun(ctx, o, fo, out)
	if cerr := out.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("--output: %w", cerr)
	}
	if err != nil {
		os.Remove(o.output)
		return err
	}
	fmt.Fprintf(a.stderr, "forecast written to %s\n", o.output)
	return nil
}

// observeRun captures (or reads a saved trace), forecasts and writes the
// forecast to w.
func (a *app) observeRun(ctx context.Context, o *observeOptions, fo forecast.Options, w io.Writer) error {
	var err error
	path := o.trace
	if path == "" {
		path, err = a.observeCapture(ctx, o)
		if err != nil {
			return err
		}
		if o.save == "" {
			defer os.Remove(path)
		}
	}
	file, err := os.Open(path)
	if err != nil {
		return usagef("--trace: %v", err)
	}
	defer file.Close()
	tr, err := stream.NewReader(file)
	if err != nil {
		if errors.Is(err, stream.ErrNotTrace) {
			return usagef("--trace %s: %v", path, err)
		}
		return err
	}
	stop := a.progress("forecasting")
	rep, err := forecast.Run(tr, fo)
	stop()
	if err != nil {
		return err
	}
	if o.planSeq == replicate.SequencesUUID && rep.KeyCollisionsPerDay > 0 {
		rep.Warnings = append(rep.Warnings, "the plan's key strategy is uuid (topology.sequences: uuid): bootstrap leaves sequences alone and refuses sequence-fed keys, so the key collisions above stand until those keys are uuids")
	}
	switch o.format {
	case "json":
		return rep.WriteJSON(w)
	case "markdown":
		return rep.WriteMarkdown(w)
	case "html":
		return decide.RenderHTML(w, decide.HTMLInputs{Forecast: rep, Tool: "aadvisor " + versionString(), Generated: now()})
	}
	return rep.WriteText(w)
}

// observeFromPlan takes the replication window and the number of write
// regions from a plan's answers, where the flags did not set them: the
// window recommend used (the answered one, the disconnect time of offline
// sites, else the default), so both say the same W. The sequence strategy
// is what bootstrap does with the plan (offsets unless it says otherwise).
func (a *app) observeFromPlan(o *observeOptions) error {
	p, ans, err := readPlanAnswers(o.plan)
	if err != nil {
		return err
	}
	o.planSeq = p.Topology.SequenceStrategy()
	if !o.seqSet {
		o.sequences = forecast.SequencesShared
		if o.planSeq == replicate.SequencesOffsets {
			o.sequences = forecast.SequencesOffsets
		}
		a.log.Info("sequences from the plan", "strategy", o.planSeq, "sequences", o.sequences)
	}
	if ans == nil {
		return usagef("--plan %s: the plan keeps no answers (write it with 'aadvisor ask' or 'recommend')", o.plan)
	}
	d := decide.Derive(*ans, decide.DefaultThresholds())
	if !o.lagSet {
		o.lag = time.Duration(d.WindowS * float64(time.Second))
		a.log.Info("replication window from the plan", "lag", o.lag.String())
	}
	if !o.regionsSet {
		if n := len(ans.Regions()); n >= 1 {
			o.regions = n
		}
	}
	return nil
}

func (a *app) observeCleanup(ctx context.Context, o *observeOptions) error {
	conn, err := stream.Connect(ctx, o.dsn, o.stmtTimeout, 0)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	dropped, kept, err := stream.Cleanup(ctx, conn, stream.StaleGrace)
	if err != nil {
		return err
	}
	for _, d := range dropped {
		fmt.Fprintf(a.stdout, "dropped publication %s\n", d)
	}
	for _, k := range kept {
		fmt.Fprintf(a.stdout, "kept publication %s\n", k)
	}
	if len(dropped) == 0 && len(kept) == 0 {
		fmt.Fprintln(a.stdout, "nothing to clean up")
	}
	return nil
}

// observeCapture captures into --save or a temporary file and returns its
// path. Ctrl-C (or SIGTERM) ends the capture early; the forecast still runs.
func (a *app) observeCapture(ctx context.Context, o *observeOptions) (string, error) {
	var out *os.File
	var err error
	if o.save != "" {
		out, err = os.Create(o.save)
		if err != nil {
			return "", usagef("--save: %v", err)
		}
	} else {
		out, err = os.CreateTemp("", "aadvisor-trace-*.bin")
		if err != nil {
			return "", fmt.Errorf("create trace file: %w", err)
		}
	}
	ok := false
	defer func() {
		out.Close()
		if !ok && o.save == "" {
			os.Remove(out.Name())
		}
	}()
	sctx, stopSignals := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	tty := isTerminal(a.stderr)
	lastLine := time.Time{}
	progress := func(s stream.Stats) {
		line := fmt.Sprintf("observe %s: %s/%s  %d txns  %d changes  %.1f MB trace  %s behind",
			stream.SourceName(o.dsn), s.Elapsed.Round(time.Second), o.duration, s.Txns, s.Changes,
			float64(s.TraceBytes)/1e6, inspect.FormatBytes(s.Behind))
		if tty {
			fmt.Fprintf(a.stderr, "\r\x1b[K%s", line)
			return
		}
		if time.Since(lastLine) >= 10*time.Second {
			fmt.Fprintln(a.stderr, line)
			lastLine = time.Now()
		}
	}
	fmt.Fprintf(a.stderr, "observe: capturing %s for %s (Ctrl-C ends early)\n", inspect.Redact(stream.SourceName(o.dsn)), o.duration)
	res, err := stream.Capture(sctx, stream.Options{DSN: o.dsn, Duration: o.duration, Publication: o.publication,
		MaxChanges: o.maxChanges, StatementTimeout: o.stmtTimeout, Progress: progress, Log: a.log}, out)
	if tty {
		fmt.Fprint(a.stderr, "\r\x1b[K")
	}
	if res != nil {
		for _, c := range res.Cleaned {
			fmt.Fprintf(a.stderr, "observe: dropped publication %s left by an earlier run\n", c)
		}
	}
	if err != nil {
		return "", err
	}
	fmt.Fprintf(a.stderr, "observe: captured %d transactions, %d changes in %s (%s)\n",
		res.Txns, res.Changes, res.Elapsed.Round(time.Millisecond), res.Reason)
	for _, n := range res.Notes {
		fmt.Fprintf(a.stderr, "observe: %s\n", n)
	}

	if o.save != "" {
		fmt.Fprintf(a.stderr, "observe: trace saved to %s (%s); forecast again with --trace %s\n", o.save, inspect.FormatBytes(res.TraceBytes), o.save)
	}
	if err := out.Sync(); err != nil && o.save != "" {
		return "", fmt.Errorf("write trace: %w", err)
	}
	ok = true
	return out.Name(), nil
}

var _ io.Writer = (*os.File)(nil)
