package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/replicate"
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

// inputs validates the flags and reads the optional evidence files (or
// assesses --dsn).
func (a *app) inputs(cmd *cobra.Command, o *adviceOptions) (assess.Inputs, error) {
	var in assess.Inputs
	switch o.format {
	case "text", "json", "markdown", "html":
	default:
		return in, usagef("--format: unknown format %q (want text, json, markdown or html)", o.format)
	}
	in.Thresholds = assess.DefaultThresholds()
	if err := in.Thresholds.Override(o.thresholds); err != nil {
		return in, usagef("--threshold: %v", err)
	}
	if o.assessment != "" {
		as, err := assess.ReadAssessment(o.assessment)
		if err != nil {
			return in, asUsage(err)
		}
		in.Assessment = as
	}
	if o.dsn != "" {
		if o.assessment != "" {
			return in, usagef("give --dsn or --assessment, not both")
		}
		if err := checkDSN("--dsn", o.dsn); err != nil {
			return in, err
		}
		as, err := a.assessDSN(cmd, o.dsn)
		if err != nil {
			return in, err
		}
		in.Assessment = as
	}
	if o.forecast != "" {
		fc, err := assess.ReadForecast(o.forecast)
		if err != nil {
			return in, asUsage(err)
		}
		in.Forecast = fc
	}
	if o.drill != "" {
		d, err := readDrill(o.drill)
		if err != nil {
			return in, asUsage(err)
		}
		if in.Measured = measuredFailover(d, o.drill); in.Measured == nil {
			return in, usagef("--drill %s: no failover time to use (a %s drill whose writes did not resume; drill a streaming topology)", o.drill, d.Kind)
		}
	}
	return in, nil
}

// emit prints the recommendation to stdout and writes the plan if asked.
func (a *app) emit(o *adviceOptions, in assess.Inputs, ans assess.Answers, rec *assess.Recommendation, by string) error {
	var b bytes.Buffer
	if o.format == "html" {
		if err := a.renderHTML(&b, o, in, ans, rec, by); err != nil {
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
	p := planFrom(rec, ans, by)
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

// renderHTML writes the shareable HTML page (assess.RenderHTML) with the
// parts recommend and ask have: the recommendation, the answers, the plan's
// topology, and the full assessment/forecast reports when given as files.
func (a *app) renderHTML(w io.Writer, o *adviceOptions, in assess.Inputs, ans assess.Answers, rec *assess.Recommendation, by string) error {
	th := in.Thresholds
	hin := assess.HTMLInputs{Recommendation: rec, Answers: &ans, Topology: TopologyOf(planFrom(rec, ans, by)),
		Tool: "aadvisor " + versionString(), Generated: now(), Thresholds: &th}
	if o.assessment != "" {
		rep, err := readAssessmentReport(o.assessment)
		if err != nil {
			return asUsage(err)
		}
		hin.Assessment = rep
	}
	if o.forecast != "" {
		fc, err := assess.ReadForecastReport(o.forecast)
		if err != nil {
			return asUsage(err)
		}
		hin.Forecast = fc
	}
	if o.drill != "" {
		d, err := readDrill(o.drill)
		if err != nil {
			return asUsage(err)
		}
		hin.Drill = drillView(d)
		hin.Drill.Source = o.drill
	}
	return assess.RenderHTML(w, hin)
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
of 'aadvisor ask'; see assess/testdata/profiles for examples) and prints the recommendation with
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
	in, err := a.inputs(cmd, o)
	if err != nil {
		return err
	}
	ans, err := assess.ReadAnswers(o.answers)
	if err != nil {
		return asUsage(err)
	}
	rec, err := assess.Recommend(ans, in)
	if err != nil {
		return asUsage(err)
	}
	return a.emit(o, in, ans, rec, "aadvisor recommend")
}

// assessDSN runs the assess pipeline on a live database with the default
// rules and returns its findings for the decision procedure.
func (a *app) assessDSN(cmd *cobra.Command, dsn string) (*assess.Assessment, error) {
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
	rep := assess.BuildReport(db, rules.Run(db, rcfg, rs), rcfg, "aadvisor "+versionString(), now())
	return assess.AssessmentFromReport(rep), nil
}

var nonName = regexp.MustCompile(`[^a-z0-9_]+`)

// nodeName turns a region into a node name ("us-east-1" → "us_east_1").
func nodeName(s string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "n_" + n
	}
	if len(n) > 63 {
		n = n[:63]
	}
	return n
}

func placeholderDSN(where string) string {
	return fmt.Sprintf("postgres://postgres@<%s-host>:5432/postgres", where)
}

// planFrom converts a recommendation into a plan skeleton for bootstrap.
// replicate does not know assess; this is where the two meet.
func planFrom(rec *assess.Recommendation, ans assess.Answers, by string) *replicate.Plan {
	p := &replicate.Plan{Version: replicate.PlanVersion, GeneratedBy: by, Answers: ans.Node()}
	pr := &replicate.PlanRecommendation{Design: string(rec.Design), Family: string(rec.Family), Title: rec.Title, Engine: rec.Engine, HA: rec.HATooling}
	for _, r := range rec.Reasons {
		kind := "bad"
		if r.Good {
			kind = "good"
		}
		pr.Reasons = append(pr.Reasons, fmt.Sprintf("%s (%s) %s", r.ID, kind, r.Title))
	}
	for _, b := range rec.Blockers {
		pr.Blockers = append(pr.Blockers, strings.TrimSpace(b.Gate+" "+b.Object+": "+b.Message))
	}
	for _, c := range rec.Also {
		pr.Also = append(pr.Also, fmt.Sprintf("%s for %s", c.Design, c.For))
	}
	p.Recommendation = pr

	t := &p.Topology
	t.Engine = rec.Engine
	primary := rec.Derived.Primary
	if primary == "" {
		primary = "primary"
	}
	// The nodes are the recommendation's copies: where it keeps the data.
	copies := func(role string) []assess.Copy {
		var out []assess.Copy
		for _, c := range rec.Copies {
			if c.Role == role {
				out = append(out, c)
			}
		}
		return out
	}
	add := func(n replicate.PlanNode) {
		for _, x := range t.Nodes {
			if x.Name == n.Name {
				return
			}
		}
		t.Nodes = append(t.Nodes, n)
	}
	switch rec.Family {
	case assess.SinglePrimary:
		t.Kind = replicate.TopologyStreaming
		t.Engine = replicate.EnginePhysical
		add(replicate.PlanNode{Name: "primary", Region: primary, Role: replicate.RolePrimary, DSN: placeholderDSN(primary + "-a")})
		add(replicate.PlanNode{Name: "standby_1", Region: primary, Role: replicate.RoleStandby, DSN: placeholderDSN(primary + "-b")})
		for _, c := range copies("sync-standby") {
			name, where := "sync_"+nodeName(c.Region), c.Region
			switch {
			case c.Region == "":
				name, where = "sync_region_2", "sync-region"
			case c.Region == primary:
				name, where = "sync_"+nodeName(primary)+"_az2", primary+"-c"
			}
			add(replicate.PlanNode{Name: name, Region: c.Region, Role: replicate.RoleStandby, DSN: placeholderDSN(where)})
		}
		for _, c := range copies("dr-standby") {
			name, where := "dr_"+nodeName(c.Region), c.Region
			if c.Region == "" {
				name, where = "dr_region", "dr-region"
			}
			add(replicate.PlanNode{Name: name, Region: c.Region, Role: replicate.RoleStandby, DSN: placeholderDSN(where)})
		}
		// Self-managed in-region HA is Patroni: bootstrap stands it up
		// (synchronous mode for SP-SYNC), and drill measures it.
		if pl := ans.String("platform"); pl == assess.PlatformPatroni || pl == assess.PlatformEdge {
			t.HA = &replicate.HA{Engine: replicate.HAPatroni, SynchronousMode: rec.Design == assess.SPSync}
		}
	case assess.WritePartitioned:
		t.Kind = replicate.TopologyPartitioned
		t.OwnerColumn = rec.OwnerColumn
		if t.OwnerColumn == "" {
			t.OwnerColumn = "owner_id"
		}
		switch rec.Design {
		case assess.WPSite:
			siteNodes(t, rec, ans)
		case assess.WPShard:
			for i := 1; i <= 2; i++ {
				add(replicate.PlanNode{Name: fmt.Sprintf("shard_%d", i), Region: primary, Role: replicate.RoleOwner,
					DSN: placeholderDSN(fmt.Sprintf("shard-%d", i)), Owns: []string{fmt.Sprintf("<owners of shard %d>", i)}})
			}
		default:
			for _, c := range copies("owner") {
				add(replicate.PlanNode{Name: nodeName(c.Region), Region: c.Region, Role: replicate.RoleOwner, DSN: placeholderDSN(c.Region), Owns: []string{"<owners homed in " + c.Region + ">"}})
			}
			for i := 2; len(t.Nodes) < 2; i++ {
				r := fmt.Sprintf("region-%d", i)
				add(replicate.PlanNode{Name: nodeName(r), Region: r, Role: replicate.RoleOwner, DSN: placeholderDSN(r), Owns: []string{"<owners homed in " + r + ">"}})
			}
		}
		t.Sequences = rec.Sequences
	case assess.ActiveActive:
		t.Kind = replicate.TopologyActiveActive
		t.OwnerColumn = rec.OwnerColumn
		for _, c := range copies("peer") {
			r := c.Region
			if r == "" {
				r = "region-2"
			}
			add(replicate.PlanNode{Name: nodeName(r), Region: c.Region, Role: replicate.RolePeer, DSN: placeholderDSN(r)})
		}
		if len(copies("site")) > 0 {
			for i := 1; i <= 2; i++ {
				add(replicate.PlanNode{Name: fmt.Sprintf("site_%04d", i), Role: replicate.RolePeer, DSN: placeholderDSN(fmt.Sprintf("site-%04d", i))})
			}
		}
		for i := 2; len(t.Nodes) < 2; i++ {
			r := fmt.Sprintf("region-%d", i)
			add(replicate.PlanNode{Name: nodeName(r), Region: r, Role: replicate.RolePeer, DSN: placeholderDSN(r)})
		}
		t.Sequences = rec.Sequences
	}
	t.Tables = []string{"public.*"}
	if rec.Family != assess.SinglePrimary {
		t.WriteModes = writeModes(rec.Tables, t.Nodes)
	}
	return p
}

// planSites bounds the sites a plan lists; more are added with 'mesh
// add-node' once the first ones run.
const planSites = 100

// siteNodes makes a hub-and-spoke topology of a WP-SITE recommendation:
// the hub (HQ, in the hub region) and one site per store the answers
// count (two when they do not say, at most planSites), each with its
// owner value to fill in, and the offline window.
func siteNodes(t *replicate.Topology, rec *assess.Recommendation, ans assess.Answers) {
	t.Kind = replicate.TopologyHubSpoke
	t.Hub = "hq"
	t.Nodes = append(t.Nodes, replicate.PlanNode{Name: t.Hub, Region: rec.Hub, Role: replicate.RoleHub, DSN: placeholderDSN("hq")})
	sites := 2
	if n := ans.Number("site_count"); ans.IsSet("site_count") && n >= 1 {
		sites = min(int(n), planSites)
	}
	for i := 1; i <= sites; i++ {
		name := fmt.Sprintf("site-%04d", i)
		t.Nodes = append(t.Nodes, replicate.PlanNode{Name: nodeName(name), Role: replicate.RoleSite, DSN: placeholderDSN(name),
			Owns: []string{fmt.Sprintf("<%s of %s>", t.OwnerColumn, name)}})
	}
	if h := ans.Number("disconnect_hours"); h > 0 {
		t.Offline = &replicate.Offline{Hours: h}
	}
}

// writeModes carries the recommendation's per-table write modes into the
// plan; a table homed in a region is homed on that region's node.
func writeModes(tables []assess.TableMode, nodes []replicate.PlanNode) []replicate.WriteMode {
	var out []replicate.WriteMode
	for _, tm := range tables {
		if !replicate.ValidTableName(tm.Table) {
			continue // the recommendation lists it; the plan names tables schema.table
		}
		wm := replicate.WriteMode{Table: tm.Table, Mode: tm.Mode, Why: tm.Why}
		if tm.Mode == assess.ModeHome && tm.Home != "" {
			for _, n := range nodes {
				if n.Region == tm.Home {
					wm.Home = n.Name
					break
				}
			}
		}
		out = append(out, wm)
	}
	return out
}
