package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/drill"
	"github.com/aadvisor/aadvisor/rules"
	"github.com/spf13/cobra"
)

// adviceOptions are the flags ask and recommend share.
type adviceOptions struct {
	answers    string
	dsn        string
	assessment string
	forecast   string
	out        string
	format     string
	thresholds []string
	drill      string
}

func (o *adviceOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.assessment, "assessment", "", "fold in the findings in `FILE` (from 'aadvisor assess --format json')")
	f.StringVar(&o.dsn, "dsn", "", "assess the live database at `DSN` first and fold its findings in (instead of --assessment)")
	f.StringVar(&o.forecast, "forecast", "", "fold in the conflict forecast in `FILE` (from 'aadvisor observe --format json')")
	outputFlag(f, &o.out, "", "write a plan (answers, recommendation, topology skeleton for 'aadvisor bootstrap') to `FILE`")
	f.StringVar(&o.format, "format", "text", "output format: text, json, markdown, html")
	f.StringArrayVar(&o.thresholds, "threshold", nil, "override a decision threshold: `name=value` (repeatable; see docs/decision.md)")
	f.StringVar(&o.drill, "drill", "", "use the failover time measured by 'aadvisor drill --format json' in `FILE` instead of the assumed one")
}

// evidence is what the flags name, each file read once: what the
// decision procedure folds in, and the drill the HTML page shows.
type evidence struct {
	decide.Inputs
	drill *drill.Result
}

// inputs validates the flags and reads the optional evidence files (or
// assesses --dsn).
func (a *app) inputs(cmd *cobra.Command, o *adviceOptions) (evidence, error) {
	var ev evidence
	switch o.format {
	case "text", "json", "markdown", "html":
	default:
		return ev, usagef("--format: unknown format %q (want text, json, markdown or html)", o.format)
	}
	ev.Thresholds = decide.DefaultThresholds()
	if err := ev.Thresholds.Override(o.thresholds); err != nil {
		return ev, usagef("--threshold: %v", err)
	}
	if o.assessment != "" {
		as, err := assess.ReadReport(o.assessment)
		if err != nil {
			return ev, asUsage(err)
		}
		ev.Assessment = as
	}
	if o.dsn != "" {
		if o.assessment != "" {
			return ev, usagef("give --dsn or --assessment, not both")
		}
		if err := checkDSN("--dsn", o.dsn); err != nil {
			return ev, err
		}
		as, err := a.assessDSN(cmd, o.dsn)
		if err != nil {
			return ev, err
		}
		ev.Assessment = as
	}
	if o.forecast != "" {
		fc, err := forecast.ReadReport(o.forecast)
		if err != nil {
			return ev, asUsage(err)
		}
		ev.Forecast = fc
	}
	if o.drill != "" {
		d, err := drill.ReadResult(o.drill)
		if err != nil {
			return ev, asUsage(err)
		}
		if ev.Measured = measuredFailover(d, o.drill); ev.Measured == nil {
			return ev, usagef("--drill %s: no failover time to use (a %s drill whose writes did not resume; drill a streaming topology)", o.drill, d.Kind)
		}
		ev.drill = d
	}
	return ev, nil
}

// emit prints the recommendation to stdout and writes the plan if asked.
func (a *app) emit(o *adviceOptions, ev evidence, ans decide.Answers, rec *decide.Recommendation, by string) error {
	var b bytes.Buffer
	if o.format == "html" {
		if err := a.renderHTML(&b, o, ev, ans, rec, by); err != nil {
			return err
		}
	} else if err := rec.Write(&b, o.format); err != nil {
		return err
	}
	if o.format == "text" && a.color(a.stdout) {
		b = *bytes.NewBufferString(a.colorText(b.String()))
	}
	if _, err := a.stdout.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write recommendation: %w", err)
	}
	if o.out == "" {
		return nil
	}
	p := rec.Plan(ans, by)
	if err := p.WriteFile(o.out); err != nil {
		return err
	}
	a.log.Info("plan written", "path", o.out, "design", string(rec.Design))
	fmt.Fprintf(a.stderr, "plan written to %s", o.out)
	if ph := p.Placeholders(); len(ph) > 0 {
		fmt.Fprintf(a.stderr, " (fill in the <placeholder> DSNs of %s before bootstrap)", strings.Join(ph, ", "))
	}
	if p.Topology.Kind == replicate.TopologyHubSpoke {
		fmt.Fprintf(a.stderr, "; each site's %s values go in its owns list", p.Topology.OwnerColumn)
	}
	fmt.Fprintln(a.stderr)
	return nil
}

// renderHTML writes the shareable HTML page (decide.RenderHTML) with the
// parts recommend and ask have: the recommendation, the answers, the plan's
// topology, and the full assessment/forecast reports when given as files.
func (a *app) renderHTML(w io.Writer, o *adviceOptions, ev evidence, ans decide.Answers, rec *decide.Recommendation, by string) error {
	th := ev.Thresholds
	hin := decide.HTMLInputs{Recommendation: rec, Answers: &ans, Topology: &rec.Plan(ans, by).Topology,
		Tool: "aadvisor " + versionString(), Generated: now(), Thresholds: &th, Forecast: ev.Forecast}
	if o.assessment != "" {
		hin.Assessment = ev.Assessment
	}
	if ev.drill != nil {
		hin.Drill = drillView(ev.drill)
		hin.Drill.Source = o.drill
	}
	return decide.RenderHTML(w, hin)
}

// colorText highlights the headings of the text report.
func (a *app) colorText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "Recommendation: "):
			lines[i] = a.paint(a.stdout, l, colorBold)
		case l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "Sources"):
			code := colorBlue
			if l == "Blockers" || l == "Not met" {
				code = colorRed
			} else if l == "Risks" {
				code = colorYellow
			}
			lines[i] = a.paint(a.stdout, l, code)
		case strings.HasPrefix(l, "  ✗"):
			lines[i] = a.paint(a.stdout, l, colorRed)
		case strings.HasPrefix(l, "  ✓"):
			lines[i] = a.paint(a.stdout, l, colorGreen)
		}
	}
	return strings.Join(lines, "\n")
}

func init() {
	register(func(a *app) *cobra.Command {
		var o adviceOptions
		cmd := &cobra.Command{
			Use:   "recommend --answers FILE",
			Short: "Recommend the least distributed design that meets your answers (no prompts)",
			Long: `recommend runs the decision procedure on an answers file (the keys are the question ids
of 'aadvisor ask'; see assess/decide/testdata/profiles for examples) and prints the recommendation with
the reasons, the arithmetic with your numbers, the costs and the alternatives it rejected.
Findings from 'aadvisor assess' and a forecast from 'aadvisor observe' are folded in when given.`,
			Example: `  aadvisor recommend --answers answers.yaml
  aadvisor recommend --answers answers.yaml --assessment report.json -o plan.yaml
  aadvisor recommend --answers answers.yaml --threshold manual_region_promotion_min=30 --format json`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return a.runRecommend(cmd, &o)
			},
		}
		cmd.Flags().StringVar(&o.answers, "answers", "", "answers file (YAML; required)")
		_ = cmd.MarkFlagRequired("answers")
		o.addFlags(cmd)
		return cmd
	})
}

func (a *app) runRecommend(cmd *cobra.Command, o *adviceOptions) error {
	ev, err := a.inputs(cmd, o)
	if err != nil {
		return err
	}
	ans, err := decide.ReadAnswers(o.answers)
	if err != nil {
		return asUsage(err)
	}
	rec, err := decide.Recommend(ans, ev.Inputs)
	if err != nil {
		return asUsage(err)
	}
	return a.emit(o, ev, ans, rec, "aadvisor recommend")
}

// assessDSN runs the assess pipeline on a live database with the default
// rules and returns its findings for the decision procedure.
func (a *app) assessDSN(cmd *cobra.Command, dsn string) (*assess.Report, error) {
	var cfg *assess.AssessConfig
	rs, err := cfg.Rules()
	if err != nil {
		return nil, err
	}
	stop := a.progress("assessing the database")
	db, err := a.readLive(cmd, &assessOptions{dsn: dsn})
	stop()
	if err != nil {
		return nil, err
	}
	rcfg := rules.Config{}
	return assess.BuildReport(db, rules.Run(db, rcfg, rs), rcfg, "aadvisor "+versionString(), now()), nil
}
