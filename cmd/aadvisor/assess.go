package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/sqlfile"
	"github.com/aadvisor/aadvisor/rules"
	"github.com/spf13/cobra"
)

func init() { register((*app).assessCommand) }

type assessOptions struct {
	dsn         string
	schema      []string
	queries     []string
	format      string
	output      string
	failOn      string
	config      string
	baseline    string
	nodes       int
	pgVersion   string
	timeout     time.Duration
	lockTimeout time.Duration
	allowErrors bool
}

func (a *app) assessCommand() *cobra.Command {
	o := &assessOptions{}
	cmd := &cobra.Command{
		Use:   "assess (--dsn DSN | --schema FILE... [--queries FILE...])",
		Short: "Audit a schema and workload for active-active hazards",
		Long: `assess reads a live database (--dsn: catalogs, pg_stat_user_tables, pg_stat_statements) or
offline files (--schema: pg_dump --schema-only output or DDL; --queries: SQL statements, or a CSV/JSON
export of pg_stat_statements) and reports every hazard multi-primary replication would hit: rule ID,
severity, object, why it breaks, and the fix with SQL. Live reads are read-only and gentle:
one read-only transaction, statement_timeout and lock_timeout set, application_name=aadvisor.

A statement that does not parse is reported with its place and the lines it cost, and reading
resumes at the next statement; the verdict is then INCOMPLETE and the exit code 2, unless
--allow-input-errors is given.

Exit codes: 0 ok, 1 runtime error, 2 bad input, 3 findings at or above --fail-on.`,
		Example: `  aadvisor assess --schema schema.sql --queries queries.sql
  aadvisor assess --dsn "postgres://app@db.example:5432/shop?sslmode=require" --format json > report.json
  pg_dump --schema-only shop > schema.sql && aadvisor assess --schema schema.sql --format sarif > aadvisor.sarif`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runAssess(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.dsn, "dsn", "", "connection string or URL of a live database (libpq conventions; PG* variables apply)")
	f.StringSliceVar(&o.schema, "schema", nil, "schema file(s): pg_dump --schema-only output or DDL (repeatable)")
	f.StringSliceVar(&o.queries, "queries", nil, "workload file(s): SQL statements, or pg_stat_statements as .csv/.json (repeatable)")
	f.StringVar(&o.format, "format", "text", "output format: "+strings.Join(assess.ReportFormats, ", "))
	f.StringVarP(&o.output, "output", "o", "", "write the report to this file instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "error", "exit 3 when findings at or above this severity: error, warning, info, none")
	f.StringVar(&o.config, "config", "", "config file (aadvisor.yaml): disable rules, ignore objects")
	f.StringVar(&o.baseline, "baseline", "", "earlier JSON report: hide the findings it already holds (the per-table advice still counts them)")
	f.IntVar(&o.nodes, "nodes", 0, "planned number of nodes in the mesh (default 3, or the config's)")
	f.StringVar(&o.pgVersion, "pg-version", "", "PostgreSQL version the offline schema targets, e.g. 16 (default: from the dump header)")
	f.DurationVar(&o.timeout, "statement-timeout", 30*time.Second, "statement_timeout for live catalog reads")
	f.DurationVar(&o.lockTimeout, "lock-timeout", 2*time.Second, "lock_timeout for live catalog reads")
	f.BoolVar(&o.allowErrors, "allow-input-errors", false, "exit by the findings even when parts of the input could not be read (the verdict stays INCOMPLETE)")
	cmd.MarkFlagsMutuallyExclusive("dsn", "schema")
	return cmd
}

func (a *app) runAssess(cmd *cobra.Command, o *assessOptions) error {
	if !slices.Contains(assess.ReportFormats, o.format) {
		return usagef("--format: unknown format %q (want %s)", o.format, strings.Join(assess.ReportFormats, ", "))
	}
	var failOn rules.Severity
	if o.failOn != "none" {
		s, err := rules.ParseSeverity(o.failOn)
		if err != nil {
			return usagef("--fail-on: unknown severity %q (want error, warning, info or none)", o.failOn)
		}
		failOn = s
	}
	if o.dsn == "" && len(o.schema) == 0 {
		if len(o.queries) == 0 {
			return usagef("give --dsn for a live database, or --schema (and --queries) for files; see 'aadvisor assess --help'")
		}
	}
	if err := checkDSN("--dsn", o.dsn); err != nil {
		return err
	}
	if err := checkTimeout("--statement-timeout", o.timeout); err != nil {
		return err
	}
	if err := checkTimeout("--lock-timeout", o.lockTimeout); err != nil {
		return err
	}
	if o.dsn != "" && len(o.queries) > 0 {
		return usagef("--queries goes with --schema; a live database's workload comes from pg_stat_statements")
	}
	var cfg *assess.AssessConfig
	if o.config != "" {
		c, err := assess.ReadAssessConfig(o.config)
		if err != nil {
			return asUsage(err)
		}
		cfg = c
	}
	var base assess.Baseline
	if o.baseline != "" {
		b, err := assess.ReadBaseline(o.baseline)
		if err != nil {
			return asUsage(err)
		}
		base = b
	}
	rs, err := cfg.Rules()
	if err != nil {
		return asUsage(fmt.Errorf("--config %s: %w", o.config, err))
	}
	rcfg := rules.Config{Nodes: o.nodes}
	if rcfg.Nodes == 0 && cfg != nil {
		rcfg.Nodes = cfg.Nodes
	}
	if o.nodes != 0 && (o.nodes < 2 || o.nodes > 64) {
		return usagef("--nodes %d: want 2 to 64", o.nodes)
	}
	if o.pgVersion != "" {
		v, err := parsePGVersion(o.pgVersion)
		if err != nil {
			return usagef("--pg-version: %v", err)
		}
		rcfg.TargetVersion = v
	}

	var db *inspect.Database
	stop := a.progress("reading " + map[bool]string{true: "the database", false: "the files"}[o.dsn != ""])
	if o.dsn != "" {
		db, err = a.readLive(cmd, o)
	} else {
		db, err = a.readFiles(cmd, o, rcfg.TargetVersion)
	}
	stop()
	if err != nil {
		return err
	}
	if rcfg.TargetVersion == 0 && db.ServerVersion == 0 && len(o.schema) > 0 {
		a.log.Info("server version unknown; version-dependent rules assume the newest behaviour", "hint", "--pg-version")
	}
	start := time.Now()
	res := rules.Run(db, rcfg, rs)
	a.log.Debug("rules", "rules", res.RulesRun, "findings", len(res.Findings), "duration", time.Since(start))
	start = time.Now()
	rep := assess.BuildReport(db, res, rcfg, "aadvisor "+versionString(), now())
	if cfg != nil || base != nil {
		rep.Filter(db, cfg, base)
	}
	a.log.Debug("build report", "findings", len(rep.Findings), "tables", len(rep.Tables), "duration", time.Since(start))
	w := a.stdout
	var file *os.File
	if o.output != "" {
		file, err = os.Create(o.output)
		if err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		defer file.Close()
		w = file
	}
	paint := assess.Plain
	if o.format == "text" && a.color(w) {
		paint = a.painter()
	}
	start = time.Now()
	if err := writeAssessment(w, rep, o.format, paint); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	a.log.Debug("write report", "format", o.format, "duration", time.Since(start))
	if file != nil {
		if err := file.Close(); err != nil {
			return fmt.Errorf("--output: %w", err)
		}
		fmt.Fprintf(a.stderr, "report written to %s (%s)\n", o.output, rep.Verdict)
	}
	if len(rep.InputErrors) > 0 && !o.allowErrors {
		return usagef("assessment incomplete: %d input error(s), %d line(s) of input not read (listed in the report); fix the input, or pass --allow-input-errors to accept a partial assessment",
			rep.Summary.InputErrors, rep.Summary.SkippedLines)
	}
	if failOn != 0 {
		if n := rep.AtOrAbove(failOn); n > 0 {
			return findingsError{count: n, threshold: o.failOn}
		}
	}
	return nil
}

func (a *app) readFiles(cmd *cobra.Command, o *assessOptions, version int) (*inspect.Database, error) {
	var size int64
	for _, f := range append(slices.Clone(o.schema), o.queries...) {
		st, err := os.Stat(f)
		if err != nil {
			return nil, usagef("%s: %v", f, unwrapPathErr(err))
		}
		if st.IsDir() {
			return nil, usagef("%s: is a directory, want a file", f)
		}
		size += st.Size()
	}
	setMemoryBudget(size)
	db, err := sqlfile.Read(cmd.Context(), sqlfile.Options{Schema: o.schema, Queries: o.queries, ServerVersion: version, Log: a.log})
	if err != nil {
		return nil, asUsage(err)
	}
	for _, e := range db.Errors {
		a.log.Info("input error", "place", e.Pos.String(), "err", e.Message)
	}
	tables := 0
	for _, t := range db.Tables {
		if t.IsTable() {
			tables++
		}
	}
	if tables == 0 && len(db.Statements) == 0 {
		if len(db.Errors) > 0 {
			return nil, usageError{errors.New(db.Errors[0].Error())}
		}
		return nil, usagef("%s: no tables and no statements found", strings.Join(append(slices.Clone(o.schema), o.queries...), ", "))
	}
	return db, nil
}

// setMemoryBudget sets the garbage collector's soft memory limit for
// offline input of size bytes, unless GOMEMLIMIT sets it: 32 times the
// input, at least 128 MiB. What is live (the model, the findings, the
// report) comes to 15 to 20 times the input; without a limit the collector
// lets the heap grow to twice that before it runs, 2.2 GB for a 50 MB
// schema. The limit holds the peak near 32x for some more collections.
func setMemoryBudget(size int64) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(max(128<<20, 32*size))
}

// now is the time reports carry; SOURCE_DATE_EPOCH pins it for
// reproducible output.
func now() time.Time {
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		if sec, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(sec, 0).UTC()
		}
	}
	return time.Now()
}

func parsePGVersion(s string) (int, error) {
	parts := strings.SplitN(s, ".", 2)
	major, err := strconv.Atoi(parts[0])
	if err != nil || major < 10 || major > 99 {
		return 0, fmt.Errorf("%q is not a PostgreSQL version (want e.g. 15 or 16.4)", s)
	}
	minor := 0
	if len(parts) == 2 {
		if minor, err = strconv.Atoi(parts[1]); err != nil {
			return 0, fmt.Errorf("%q is not a PostgreSQL version (want e.g. 15 or 16.4)", s)
		}
	}
	return major*10000 + minor, nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// painter maps report styles to terminal colours.
func (a *app) painter() assess.Painter {
	return func(s string, st assess.Style) string {
		if s == "" {
			return s
		}
		code := ""
		switch st {
		case assess.StyleError:
			code = "1;" + colorRed
		case assess.StyleWarning:
			code = colorYellow
		case assess.StyleInfo:
			code = colorBlue
		case assess.StyleOK:
			code = colorGreen
		case assess.StyleBold:
			code = colorBold
		case assess.StyleDim:
			code = colorDim
		default:
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
}

// writeAssessment writes the report in format: the page (html) is drawn
// by package decide, every other format by the audit itself.
func writeAssessment(w io.Writer, rep *assess.Report, format string, paint assess.Painter) error {
	if format == "html" {
		return decide.RenderHTML(w, decide.HTMLInputs{Assessment: rep, Tool: rep.Tool, Generated: rep.Generated})
	}
	return assess.WriteReport(w, rep, format, paint)
}
