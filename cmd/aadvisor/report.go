package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/drill"
	"github.com/spf13/cobra"
)

type reportOptions struct {
	assessment string
	forecast   string
	plan       string
	answers    string
	out        string
	rulesBase  string
	thresholds []string
	drill      string
}

func init() {
	register(func(a *app) *cobra.Command {
		var o reportOptions
		cmd := &cobra.Command{
			Use:   "report --assessment FILE --forecast FILE --plan FILE -o report.html",
			Short: "Write one shareable HTML page: recommendation, budget, latency, topology, hazards, forecast",
			Long: `report combines the outputs of the other commands into one self-contained HTML file (inline
CSS and SVG charts, no network, prints well): the recommendation and its reasons first, then the
downtime budget (nines against the failovers that fit), the latency of far writers (round trips ×
RTT against the budget), the recommended topology as a diagram, the hazards grouped by severity with
fixes and links to each rule page, the per-table write mode and the conflict forecast.

Every input is optional; the page says which parts are missing and how to produce them. The
recommendation is recomputed from the answers in the plan (or --answers) with the assessment and
forecast folded in, exactly as 'aadvisor recommend' would.`,
			Example: `  aadvisor assess --dsn "$DSN" --format json > assessment.json
  aadvisor observe --dsn "$DSN" --duration 30s --format json > forecast.json
  aadvisor recommend --answers answers.yaml --assessment assessment.json -o plan.yaml
  aadvisor report --assessment assessment.json --forecast forecast.json --plan plan.yaml -o report.html`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error { return a.runReport(&o) },
		}
		f := cmd.Flags()
		f.StringVar(&o.assessment, "assessment", "", "assessment JSON from 'aadvisor assess --format json'")
		f.StringVar(&o.forecast, "forecast", "", "conflict forecast JSON from 'aadvisor observe --format json'")
		f.StringVar(&o.plan, "plan", "", "plan from 'aadvisor recommend --output' (topology and answers)")
		f.StringVar(&o.answers, "answers", "", "answers file (YAML); replaces the answers kept in the plan")
		outputFlag(f, &o.out, "report.html", "HTML `FILE` to write (- for stdout)")
		f.StringVar(&o.rulesBase, "rules-base", "", "link prefix for rule pages (default: docs/rules of this checkout relative to the report, else docs/rules/)")
		f.StringArrayVar(&o.thresholds, "threshold", nil, "override a decision threshold, name=value (repeatable)")
		f.StringVar(&o.drill, "drill", "", "a failover drill (aadvisor drill --format json): its timeline and runs, and its measured failover time instead of the assumed one")
		return cmd
	})
}

func (a *app) runReport(o *reportOptions) error {
	if o.assessment == "" && o.forecast == "" && o.plan == "" && o.answers == "" && o.drill == "" {
		return usagef("nothing to report: give at least one of --assessment, --forecast, --plan, --answers, --drill")
	}
	if o.out == "" {
		return usagef("--output: empty path (use - for stdout)")
	}
	th := decide.DefaultThresholds()
	if err := th.Override(o.thresholds); err != nil {
		return usagef("--threshold: %v", err)
	}
	in := decide.HTMLInputs{Tool: "aadvisor " + versionString(), Generated: now(), Thresholds: &th}
	var recIn decide.Inputs
	recIn.Thresholds = th
	if o.assessment != "" {
		rep, err := assess.ReadReport(o.assessment)
		if err != nil {
			return asUsage(err)
		}
		in.Assessment, recIn.Assessment = rep, rep
		in.Inputs = append(in.Inputs, filepath.Base(o.assessment))
	}
	if o.forecast != "" {
		fc, err := forecast.ReadReport(o.forecast)
		if err != nil {
			return asUsage(err)
		}
		in.Forecast, recIn.Forecast = fc, fc
		in.Inputs = append(in.Inputs, filepath.Base(o.forecast))
	}
	if o.drill != "" {
		d, err := drill.ReadResult(o.drill)
		if err != nil {
			return asUsage(err)
		}
		in.Drill = drillView(d)
		in.Drill.Source = filepath.Base(o.drill)
		recIn.Measured = measuredFailover(d, o.drill)
		in.Inputs = append(in.Inputs, filepath.Base(o.drill))
	}
	var plan *replicate.Plan
	var ans *decide.Answers
	if o.plan != "" {
		p, pa, err := readPlanAnswers(o.plan)
		if err != nil {
			return err
		}
		plan = p
		in.Inputs = append(in.Inputs, filepath.Base(o.plan))
		if o.answers == "" {
			ans = pa
		}
	}
	if o.answers != "" {
		fa, err := decide.ReadAnswers(o.answers)
		if err != nil {
			return asUsage(err)
		}
		ans = &fa
		in.Inputs = append(in.Inputs, filepath.Base(o.answers))
	}
	if ans != nil {
		rec, err := decide.Recommend(*ans, recIn)
		if err != nil {
			return asUsage(err)
		}
		in.Recommendation = rec
		in.Answers = ans
		if plan == nil {
			plan = rec.Plan(*ans, "aadvisor report")
		}
	}
	if plan != nil {
		in.Topology = &plan.Topology
	}
	in.RulesBase = o.rulesBase
	if in.RulesBase == "" {
		in.RulesBase = rulesBaseFor(o.out)
	}
	var b bytes.Buffer
	if err := decide.RenderHTML(&b, in); err != nil {
		return err
	}
	if o.out == "-" {
		_, err := a.stdout.Write(b.Bytes())
		return err
	}
	if err := os.WriteFile(o.out, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	abs, err := filepath.Abs(o.out)
	if err != nil {
		abs = o.out
	}
	fmt.Fprintf(a.stderr, "report written to %s (%d KiB); open file://%s\n", o.out, (b.Len()+1023)/1024, abs)
	return nil
}

// rulesBaseFor links rule pages to this checkout's docs/rules, relative to
// where the report is written, when the command runs inside the checkout.
func rulesBaseFor(out string) string {
	docs, err := filepath.Abs(filepath.Join("docs", "rules"))
	if err != nil {
		return decide.DefaultRulesBase
	}
	if st, err := os.Stat(docs); err != nil || !st.IsDir() || out == "-" {
		return decide.DefaultRulesBase
	}
	dir, err := filepath.Abs(filepath.Dir(out))
	if err != nil {
		return decide.DefaultRulesBase
	}
	rel, err := filepath.Rel(dir, docs)
	if err != nil {
		return decide.DefaultRulesBase
	}
	return filepath.ToSlash(rel) + "/"
}
