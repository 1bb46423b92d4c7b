package decide

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/templates"
)

// HTMLReportSchemaVersion is the version of the JSON shape of an HTMLReport.
const HTMLReportSchemaVersion = 1

// DefaultRulesBase is where the report links rule pages by default: the
// docs/rules directory of the repository, relative to the report.
const DefaultRulesBase = "docs/rules/"

// HTMLInputs is what the shareable report combines. Every part is optional;
// the page says what is missing and how to produce it.
type HTMLInputs struct {
	Recommendation *Recommendation
	Answers        *Answers // for the numbers behind the pictures (defaults when nil)
	Assessment     *assess.Report
	Forecast       *forecast.Report
	Topology       *replicate.Topology // the plan's, or the recommendation's skeleton
	// Thresholds used by the recommendation; nil means the defaults with the
	// recommendation's overrides applied.
	Thresholds *Thresholds
	RulesBase  string // link prefix of rule pages; DefaultRulesBase when empty
	Tool       string // "aadvisor v1.2.3"
	Generated  time.Time
	Inputs     []string // the files that fed the report, as given
	Drill      *DrillView
}

// HTMLReport is the data of the shareable HTML report (templates/report.html.tmpl).
type HTMLReport struct {
	SchemaVersion  int             `json:"schema_version"`
	Tool           string          `json:"tool"`
	Generated      time.Time       `json:"generated"`
	Inputs         []string        `json:"inputs,omitempty"`
	Headline       Headline        `json:"headline"`
	Sections       []Section       `json:"sections"`
	Recommendation *Recommendation `json:"recommendation,omitempty"`
	// Blockers are the recommendation's blockers grouped by gate or rule.
	Blockers []BlockerGroup `json:"blockers,omitempty"`
	Budget   *BudgetView    `json:"budget,omitempty"`
	Latency  *LatencyView   `json:"latency,omitempty"`
	Topology *TopologyView  `json:"topology,omitempty"`
	Hazards  *HazardView    `json:"hazards,omitempty"`
	Tables   *TablesView    `json:"tables,omitempty"`
	Forecast *ForecastView  `json:"forecast,omitempty"`
	Drill    *DrillView     `json:"drill,omitempty"`
}

// BlockerGroup is the blockers of one gate or rule.
type BlockerGroup struct {
	Gate    string   `json:"gate"`
	Count   int      `json:"count"`
	Message string   `json:"message"` // the first one's
	Objects []string `json:"objects,omitempty"`
	Fix     string   `json:"fix,omitempty"`     // the first one's
	FixSQL  string   `json:"fix_sql,omitempty"` // the first one's
}

// Section is an entry of the page's table of contents.
type Section struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Present bool   `json:"present"`
	Missing string `json:"missing,omitempty"` // how to produce it when absent
}

// Headline is the top of the page: the answer and the key numbers.
type Headline struct {
	Design  DesignID `json:"design,omitempty"`
	Title   string   `json:"title"`
	Family  Family   `json:"family,omitempty"`
	What    string   `json:"what,omitempty"`
	Verdict string   `json:"verdict,omitempty"` // assessment verdict
	Facts   []Fact   `json:"facts"`
}

// Fact is one key number of the headline.
type Fact struct {
	Label string `json:"label"`
	Value string `json:"value"`
	Class string `json:"class,omitempty"` // good, warn, bad
}

// BudgetView pictures the downtime budget: nines against the failovers that fit.
type BudgetView struct {
	Availability float64 `json:"availability_pct"`
	Window       string  `json:"window"`
	BudgetYear   string  `json:"budget_year"`
	BudgetWindow string  `json:"budget_window"`
	Platform     string  `json:"platform"`
	FailoverS    float64 `json:"failover_s"`
	// Measured: FailoverS was measured by aadvisor drill (MeasuredFrom).
	Measured      bool               `json:"measured,omitempty"`
	MeasuredFrom  string             `json:"measured_from,omitempty"`
	FailoversFit  string             `json:"failovers_fit"`
	ExpectedPerYr float64            `json:"expected_failovers_per_year"`
	InRegion      string             `json:"in_region_per_year"`
	Nines         []NinesRow         `json:"nines"`
	FitChart      templates.BarChart `json:"fit_chart"`
	EventChart    templates.BarChart `json:"event_chart"`
	Lines         []Calc             `json:"lines"`
}

// NinesRow is one availability level of the budget table.
type NinesRow struct {
	Availability float64 `json:"availability_pct"`
	PerYear      string  `json:"per_year"`
	PerMonth     string  `json:"per_month"`
	Fit          float64 `json:"failovers_fit"`
	FitText      string  `json:"failovers_fit_text"`
	Target       bool    `json:"target"`
	Enough       bool    `json:"enough"` // the expected failovers fit
}

// LatencyView pictures round trips × RTT per region against the budget.
type LatencyView struct {
	Primary    string             `json:"primary_region"`
	BudgetMs   float64            `json:"budget_ms"`
	RoundTrips float64            `json:"round_trips"`
	Rows       []LatencyRow       `json:"rows"`
	Chart      templates.BarChart `json:"chart"`
	Lines      []Calc             `json:"lines,omitempty"`
}

// LatencyRow is one write region.
type LatencyRow struct {
	Region    string  `json:"region"`
	Share     float64 `json:"share_pct"`
	RTTMs     float64 `json:"rtt_ms"`
	RTTSource string  `json:"rtt_source"`
	PenaltyMs float64 `json:"penalty_ms"`
	Known     bool    `json:"known"`
	Over      bool    `json:"over_budget"`
	Matters   bool    `json:"matters"`
	Primary   bool    `json:"primary"`
}

// TopologyView is the recommended topology and its diagram: the plan's
// topology without what the page must not show (DSNs, Patroni's API).
type TopologyView struct {
	Kind        string             `json:"kind"`   // streaming, partitioned, active-active
	Engine      string             `json:"engine"` // physical, native, pglogical
	OwnerColumn string             `json:"owner_column,omitempty"`
	Sequences   string             `json:"sequences,omitempty"`
	Nodes       []TopologyNodeView `json:"nodes"`
	Design      DesignID           `json:"design,omitempty"`
	Diagram     templates.Diagram  `json:"diagram"`
	Notes       []string           `json:"notes,omitempty"`
}

// HazardView is the assessment: findings grouped by severity, then rule.
type HazardView struct {
	Verdict       string                    `json:"verdict"`
	VerdictReason string                    `json:"verdict_reason"`
	Source        assess.Source             `json:"source"`
	Summary       assess.Summary            `json:"summary"`
	Total         int                       `json:"total"`
	Groups        []SeverityGroup           `json:"groups"`
	Skipped       []assess.ReportSkipped    `json:"skipped,omitempty"`
	InputErrors   []assess.ReportInputError `json:"input_errors,omitempty"`
	Hidden        int                       `json:"hidden,omitempty"`
}

// SeverityGroup holds the rules that fired at one severity.
type SeverityGroup struct {
	Severity string      `json:"severity"`
	Count    int         `json:"count"`
	Rules    []RuleGroup `json:"rules"`
}

// RuleGroup is one rule's findings, collapsed in the page.
type RuleGroup struct {
	Rule     string                 `json:"rule"`
	Name     string                 `json:"name"`
	Title    string                 `json:"title"`
	Category string                 `json:"category"`
	Link     string                 `json:"link"`
	Count    int                    `json:"count"`
	Fix      string                 `json:"fix,omitempty"` // the fix when every finding shares it
	Open     bool                   `json:"open"`
	Findings []assess.ReportFinding `json:"findings"`
}

// TablesView is the per-table write-mode advice.
type TablesView struct {
	Counts []AdviceCount        `json:"counts"`
	Rows   []assess.TableAdvice `json:"rows"`
}

// AdviceCount counts tables per advice.
type AdviceCount struct {
	Advice string `json:"advice"`
	Count  int    `json:"count"`
	Class  string `json:"class"`
}

// ForecastView pictures the conflict forecast.
type ForecastView struct {
	LagMs       float64 `json:"lag_ms"`
	Regions     int     `json:"regions"`
	TotalPerDay float64 `json:"total_conflicts_per_day"`
	Total       string  `json:"total"`
	// KeyPerDay is the key collisions, apart from the total; KeyLine says
	// what they assume (forecast.Report.KeyCollisionsLine). Both empty
	// when no table has a sequence-fed key.
	KeyPerDay float64 `json:"key_collisions_per_day,omitempty"`
	KeyLine   string  `json:"key_collisions,omitempty"`
	Sequences string  `json:"sequences,omitempty"`
	// Conflicting is the replay's conflicting applies ("–" for a file of
	// the old model).
	Conflicting string              `json:"conflicting_applies"`
	Tables      []TableForecastView `json:"tables"`
	HotRows     []HotRowView        `json:"hot_rows"`
	MoreTables  int                 `json:"more_tables,omitempty"`
	MoreHotRows int                 `json:"more_hot_rows,omitempty"`
	LagChart    templates.LineChart `json:"lag_chart"`
	HotChart    *templates.BarChart `json:"hot_chart,omitempty"`
	// RegionsChart is conflicts/day against the number of writing regions.
	RegionsChart *templates.BarChart `json:"regions_chart,omitempty"`
	HotLimit     float64             `json:"hot_row_p_limit"`
	Capture      forecast.Capture    `json:"capture"`
	Route        string              `json:"route,omitempty"`
	Totals       forecast.Counts     `json:"totals"`
	Warnings     []string            `json:"warnings,omitempty"`
	// Lost says, per counter column, what the replay's lost increments do
	// to it (forecast.Report.LostLines); Allocators, with the assessment,
	// which of them hand out ids twice (allocatorDups).
	Lost       []string `json:"lost,omitempty"`
	Allocators []string `json:"allocators,omitempty"`
}

// TableForecastView is one table of the forecast.
type TableForecastView struct {
	Table           string  `json:"table"`
	WritesPerSec    float64 `json:"writes_per_sec"`
	ConflictsPerDay float64 `json:"conflicts_per_day"`
	Conflicts       string  `json:"conflicts"`
	Conflicting     string  `json:"conflicting_applies"`
	OriginDiffers   int64   `json:"origin_differs"`
	LostIncrements  int64   `json:"lost_increments"`
	KeyCollisions   string  `json:"key_collisions"`   // per day
	Advice          string  `json:"advice,omitempty"` // from the assessment, when known
}

// HotRowView is one hot row of the forecast.
type HotRowView struct {
	Table        string  `json:"table"`
	Key          string  `json:"key"`
	WritesPerSec float64 `json:"writes_per_sec"`
	PConflict    float64 `json:"p_conflict"`
	Percent      string  `json:"percent"`
	Conflicts    string  `json:"conflicts"` // per day
	Lost         int64   `json:"lost_increments"`
	Hot          bool    `json:"hot"`
}

// Section ids, in page order.
const (
	SecRecommendation = "recommendation"
	SecBudget         = "budget"
	SecLatency        = "latency"
	SecTopology       = "topology"
	SecHazards        = "hazards"
	SecTables         = "tables"
	SecForecast       = "forecast"
)

// Rows shown before "and N more" in the forecast tables and charts.
const (
	forecastTopTables  = 15
	forecastTopHotRows = 15
	lagChartSeries     = 5
)

// BuildHTMLReport combines what is given into the report's data.
func BuildHTMLReport(in HTMLInputs) *HTMLReport {
	r := &HTMLReport{SchemaVersion: HTMLReportSchemaVersion, Tool: in.Tool, Generated: in.Generated.UTC().Truncate(time.Second), Inputs: in.Inputs}
	if r.Tool == "" {
		r.Tool = "aadvisor"
	}
	th := in.Thresholds
	if th == nil {
		t := DefaultThresholds()
		if in.Recommendation != nil {
			for _, o := range in.Recommendation.Thresholds {
				_ = t.Set(o.Name, o.Value)
			}
		}
		th = &t
	}
	ans := NewAnswers()
	if in.Answers != nil {
		ans = *in.Answers
	}
	base := in.RulesBase
	if base == "" {
		base = DefaultRulesBase
	}
	rec := in.Recommendation
	r.Recommendation = rec
	if rec != nil {
		r.Blockers = groupBlockers(rec.Blockers)
		r.Budget = buildBudget(rec, ans, *th)
		r.Latency = buildLatency(rec, ans, *th)
	}
	if in.Topology != nil && len(in.Topology.Nodes) > 0 {
		r.Topology = buildTopology(in.Topology, rec)
	}
	if a := in.Assessment; a != nil {
		r.Hazards = buildHazards(a, base)
		r.Tables = buildTables(a)
	}
	if in.Forecast != nil {
		r.Forecast = buildForecast(in.Forecast, in.Assessment, rec, *th)
	}
	r.Drill = in.Drill
	r.Headline = buildHeadline(r)
	r.Sections = []Section{
		{SecRecommendation, "Recommendation", rec != nil, "run aadvisor recommend --answers FILE -o plan.yaml and pass --plan (or --answers)"},
		{SecBudget, "Downtime budget", r.Budget != nil, "needs the answers (--plan or --answers)"},
		{SecLatency, "Write latency", r.Latency != nil, "needs the answers (--plan or --answers)"},
		{SecTopology, "Topology", r.Topology != nil, "pass --plan plan.yaml (from aadvisor recommend --output)"},
		{SecHazards, "Hazards", r.Hazards != nil, "pass --assessment report.json (from aadvisor assess --format json)"},
		{SecTables, "Per-table write mode", r.Tables != nil, "pass --assessment report.json (from aadvisor assess --format json)"},
		{SecForecast, "Conflict forecast", r.Forecast != nil, "pass --forecast forecast.json (from aadvisor observe --format json)"},
		{SecDrill, "Failover drill", r.Drill != nil, "pass --drill drill.json (from aadvisor drill --format json)"},
	}
	for i := range r.Sections {
		if r.Sections[i].Present {
			r.Sections[i].Missing = ""
		}
	}
	return r
}

// WriteHTMLReport renders the report as one self-contained HTML page.
func WriteHTMLReport(w io.Writer, r *HTMLReport) error {
	if err := templates.Render(w, "report.html.tmpl", r); err != nil {
		return fmt.Errorf("write html report: %w", err)
	}
	return nil
}

// RenderHTML builds and writes the report in one call; recommend, ask and
// observe use it for --format html with the parts they have.
func RenderHTML(w io.Writer, in HTMLInputs) error {
	return WriteHTMLReport(w, BuildHTMLReport(in))
}

func buildHeadline(r *HTMLReport) Headline {
	h := Headline{Title: "Active-active advisor report", Facts: []Fact{}}
	if rec := r.Recommendation; rec != nil {
		h.Design, h.Title, h.Family, h.What = rec.Design, rec.Title, rec.Family, rec.What
		h.Verdict = rec.Verdict
	}
	if b := r.Budget; b != nil {
		h.Facts = append(h.Facts, Fact{"Downtime budget", fmt.Sprintf("%s/year at %s%%", b.BudgetYear, fmtNum(b.Availability)), ""})
		cls := ClassFor(b.Nines, b.Availability)
		each := fmtSec(b.FailoverS) + " each"
		if b.Measured {
			each += ", measured"
		}
		h.Facts = append(h.Facts, Fact{"In-region failovers that fit", fmt.Sprintf("%s per year (%s)", b.FailoversFit, each), cls})
	}
	if l := r.Latency; l != nil {
		worst := 0.0
		for _, row := range l.Rows {
			worst = math.Max(worst, row.PenaltyMs)
		}
		cls := "good"
		if worst > l.BudgetMs {
			cls = "bad"
		}
		h.Facts = append(h.Facts, Fact{"Worst far-writer penalty", fmt.Sprintf("%s (budget %s)", fmtMs(worst), fmtMs(l.BudgetMs)), cls})
	}
	if hz := r.Hazards; hz != nil {
		if h.Verdict == "" {
			h.Verdict = hz.Verdict
		}
		cls := "good"
		if hz.Summary.Errors > 0 {
			cls = "bad"
		} else if hz.Summary.Warnings > 0 {
			cls = "warn"
		}
		h.Facts = append(h.Facts, Fact{"Hazards", fmt.Sprintf("%d errors, %d warnings, %d info", hz.Summary.Errors, hz.Summary.Warnings, hz.Summary.Infos), cls})
	}
	if f := r.Forecast; f != nil {
		cls := "good"
		if f.TotalPerDay >= 1 {
			cls = "warn"
		}
		for _, hr := range f.HotRows {
			if hr.Hot {
				cls = "bad"
			}
		}
		h.Facts = append(h.Facts, Fact{"Forecast conflicts (any node writes)", fmt.Sprintf("%s/day at %s lag", f.Total, fmtMs(f.LagMs)), cls})
		if f.KeyLine != "" {
			fact := Fact{"Key collisions", "0/day (per-node sequence offsets)", "good"}
			if f.Sequences != forecast.SequencesOffsets {
				fact = Fact{"Key collisions if sequences are shared", fmt.Sprintf("%s/day; 0 with per-node offsets", fmtRate(f.KeyPerDay)), "warn"}
			}
			h.Facts = append(h.Facts, fact)
		}
	}
	if d := r.Drill; d != nil {
		cls, v := "good", "met"
		if !d.Met {
			cls, v = "bad", "not met"
		}
		out := "writes did not resume"
		if d.MeasuredFailoverS >= 0 {
			out = fmtSec(d.MeasuredFailoverS) + " worst outage"
		}
		h.Facts = append(h.Facts, Fact{"Failover drill (" + d.Fault + ")", out + ", targets " + v, cls})
	}
	return h
}

func groupBlockers(bs []Blocker) []BlockerGroup {
	var out []BlockerGroup
	idx := map[string]int{}
	for _, b := range bs {
		i, ok := idx[b.Gate]
		if !ok {
			i = len(out)
			idx[b.Gate] = i
			out = append(out, BlockerGroup{Gate: b.Gate, Message: b.Message, Fix: b.Fix, FixSQL: b.FixSQL})
		}
		out[i].Count++
		if b.Object != "" {
			out[i].Objects = append(out[i].Objects, b.Object)
		}
	}
	return out
}

// ClassFor is good when the target row of nines has room for the expected
// failovers, bad otherwise ("" when no row is the target).
func ClassFor(rows []NinesRow, target float64) string {
	for _, n := range rows {
		if n.Target {
			if n.Enough {
				return "good"
			}
			return "bad"
		}
	}
	return ""
}

var ninesLevels = []float64{99.9, 99.95, 99.99, 99.995, 99.999}

func buildBudget(rec *Recommendation, ans Answers, t Thresholds) *BudgetView {
	d := rec.Derived
	if d.Availability <= 0 {
		return nil
	}
	win := d.Window
	if win == "" {
		win = "year"
	}
	b := &BudgetView{
		Availability: d.Availability, Window: win,
		BudgetYear: fmtMin(d.BudgetYearMin), BudgetWindow: fmtMin(d.BudgetWindowMin),
		Platform: d.Platform.Name, FailoverS: d.Platform.Failover,
		FailoversFit:  fmtCount(d.FailoversFit),
		ExpectedPerYr: ans.Number("expected_failovers_per_year"),
		InRegion:      fmtMin(d.InRegionMin),
	}
	if d.Platform.Measured {
		b.Measured, b.MeasuredFrom = true, d.Platform.Source
	}
	levels := append([]float64(nil), ninesLevels...)
	if !slices.Contains(levels, d.Availability) {
		levels = append(levels, d.Availability)
		sort.Float64s(levels)
	}
	fit := templates.BarChart{ID: "chart-nines", Title: "Failovers per year that fit in the downtime budget, per availability target", Unit: "failovers per year", Log: true}
	for _, a := range levels {
		by := BudgetMinutes(a, "year")
		row := NinesRow{Availability: a, PerYear: fmtMin(by), PerMonth: fmtMin(BudgetMinutes(a, "month")), Target: a == d.Availability}
		if d.Platform.Failover > 0 {
			row.Fit = math.Floor(FailoversThatFit(by, d.Platform.Failover)) // whole failovers
			row.FitText = fmtCount(row.Fit)
		}
		row.Enough = row.Fit >= b.ExpectedPerYr
		b.Nines = append(b.Nines, row)
		cls := templates.ClassGood
		if !row.Enough {
			cls = templates.ClassBad
		}
		label := fmtNum(a) + "% · " + row.PerYear + "/yr"
		if row.Target {
			label = "▶ " + label
		}
		fit.Bars = append(fit.Bars, templates.Bar{Label: label, Value: row.Fit, Note: row.FitText + " fit", Class: cls, Bold: row.Target})
	}
	if b.ExpectedPerYr > 0 {
		fit.Marks = append(fit.Marks, templates.Mark{Label: "expected " + fmtNum(b.ExpectedPerYr) + "/yr", Value: b.ExpectedPerYr, Class: templates.ClassAccent})
	}
	b.FitChart = fit

	// One window of budget against the events that spend it.
	ev := templates.BarChart{ID: "chart-events", Title: "Downtime of one event against the budget per " + win, Unit: "minutes"}
	budget := d.BudgetWindowMin
	inRegion := d.InRegionMin
	if d.BudgetYearMin > 0 {
		inRegion = d.InRegionMin * d.BudgetWindowMin / d.BudgetYearMin
	}
	left := budget - inRegion
	add := func(label string, v float64, cls string) {
		if cls == "" {
			cls = templates.ClassGood
			if v > left {
				cls = templates.ClassBad
			}
		}
		ev.Bars = append(ev.Bars, templates.Bar{Label: label, Value: v, Note: fmtMin(v), Class: cls})
	}
	add("Budget per "+win, budget, templates.ClassNeutral)
	add("In-region failovers (expected)", inRegion, templates.ClassMuted)
	add("Manual region promotion (SP-2)", t.Get("manual_region_promotion_min"), "")
	add("Automated promotion (SP-3)", t.Get("auto_region_promotion_min"), "")
	add("Mesh re-route (AA-HOME)", t.Get("aa_reroute_s")/60, "")
	ev.Marks = append(ev.Marks, templates.Mark{Label: "left for a region loss: " + fmtMin(math.Max(0, left)), Value: math.Max(0, left), Class: templates.ClassAccent})
	b.EventChart = ev
	for _, c := range rec.Arithmetic {
		switch c.Name {
		case "budget_year", "budget_window", "failovers_fit", "in_region_need", "region_budget_left", "sp2_event", "sp3_event", "aa_event":
			b.Lines = append(b.Lines, c)
		}
	}
	return b
}

func buildLatency(rec *Recommendation, ans Answers, t Thresholds) *LatencyView {
	d := rec.Derived
	if d.Primary == "" {
		return nil
	}
	l := &LatencyView{Primary: d.Primary, BudgetMs: ans.Number("write_latency_budget_ms"), RoundTrips: ans.Number("db_round_trips_per_action")}
	if l.RoundTrips <= 0 {
		l.RoundTrips = 1
	}
	share := 100.0
	for _, rw := range d.Remote {
		share -= rw.Share
	}
	for _, rs := range ans.Regions() {
		if rs.Region == d.Primary {
			share = rs.Share
		}
	}
	intra := t.Get("intra_region_rtt_ms")
	l.Rows = append(l.Rows, LatencyRow{Region: d.Primary, Share: math.Max(0, share), RTTMs: intra, RTTSource: RTTIntra,
		PenaltyMs: LatencyPenaltyMs(l.RoundTrips, intra), Known: true, Primary: true, Matters: true})
	for _, rw := range d.Remote {
		l.Rows = append(l.Rows, LatencyRow{Region: rw.Region, Share: rw.Share, RTTMs: rw.RTT.Ms, RTTSource: rw.RTT.Source,
			PenaltyMs: rw.PenaltyMs, Known: rw.KnownRTT, Over: rw.Over, Matters: rw.Matters})
	}
	ch := templates.BarChart{ID: "chart-latency", Title: "Database round trips × RTT to the primary, per write region, against the latency budget", Unit: "milliseconds added to one user write"}
	for _, row := range l.Rows {
		label := fmt.Sprintf("%s (%s%%)", row.Region, fmtNum(round(row.Share, 1)))
		if row.Primary {
			label = "★ " + label
		}
		bar := templates.Bar{Label: label, Value: row.PenaltyMs, Class: templates.ClassGood}
		switch {
		case !row.Known:
			bar.Note = "RTT unknown"
			bar.Class = templates.ClassMuted
		case row.Over:
			bar.Class = templates.ClassBad
			bar.Note = fmt.Sprintf("%s × %s = %s", fmtNum(l.RoundTrips), fmtMs(row.RTTMs), fmtMs(row.PenaltyMs))
		default:
			bar.Note = fmt.Sprintf("%s × %s = %s", fmtNum(l.RoundTrips), fmtMs(row.RTTMs), fmtMs(row.PenaltyMs))
		}
		if row.Known && l.RoundTrips >= 1 && l.RoundTrips <= 40 && l.RoundTrips == math.Trunc(l.RoundTrips) {
			for i := 0; i < int(l.RoundTrips); i++ {
				bar.Segments = append(bar.Segments, row.RTTMs)
			}
		}
		ch.Bars = append(ch.Bars, bar)
	}
	if l.BudgetMs > 0 {
		ch.Marks = append(ch.Marks, templates.Mark{Label: "budget " + fmtMs(l.BudgetMs), Value: l.BudgetMs, Class: templates.ClassBad})
	}
	l.Chart = ch
	for _, c := range rec.Arithmetic {
		if strings.HasPrefix(c.Name, "penalty_") || c.Name == "sync_commit" || c.Name == "hot_row_conflicts" {
			l.Lines = append(l.Lines, c)
		}
	}
	return l
}

var roleClass = map[string]string{
	"primary": templates.ClassAccent,
	"standby": templates.ClassMuted,
	"peer":    templates.ClassBad,
	"owner":   templates.ClassGood,
	"hub":     templates.ClassAccent,
	"site":    templates.ClassGood,
}

// TopologyNodeView is one node of a TopologyView.
type TopologyNodeView struct {
	Name   string   `json:"name"`
	Region string   `json:"region,omitempty"`
	Role   string   `json:"role"` // primary, standby, peer, owner
	Owns   []string `json:"owns,omitempty"`
}

// RoleWords is the node's role in words, as the text says roles.
func (n TopologyNodeView) RoleWords() string { return RoleWords(n.Role) }

func buildTopology(t *replicate.Topology, rec *Recommendation) *TopologyView {
	v := &TopologyView{Kind: t.Kind, Engine: t.Engine, OwnerColumn: t.OwnerColumn, Sequences: t.Sequences}
	for _, n := range t.Nodes {
		v.Nodes = append(v.Nodes, TopologyNodeView{Name: n.Name, Region: n.Region, Role: n.Role, Owns: n.Owns})
	}
	if rec != nil {
		v.Design = rec.Design
	}
	dg := templates.Diagram{ID: "diagram-topology", Title: "Recommended topology: " + t.Kind + " (" + engineLabel(t.Engine) + ")"}
	if t.Kind == "hub-and-spoke" {
		v.Diagram, v.Notes = starDiagram(dg, t)
		if t.Sequences != "" {
			v.Notes = append(v.Notes, "Sequences: "+t.Sequences+".")
		}
		return v
	}
	idx := map[string]int{}
	for _, n := range t.Nodes {
		g := n.Region
		if g == "" {
			g = "site " + n.Name
		}
		i, ok := idx[g]
		if !ok {
			i = len(dg.Groups)
			idx[g] = i
			dg.Groups = append(dg.Groups, templates.DiagramGroup{Label: g})
		}
		sub := RoleWords(n.Role)
		if len(n.Owns) > 0 {
			sub += " · owns " + strings.Join(n.Owns, ", ")
		}
		dg.Groups[i].Nodes = append(dg.Groups[i].Nodes, templates.DiagramNode{ID: n.Name, Label: n.Name, Sub: sub, Class: roleClass[n.Role]})
	}
	switch t.Kind {
	case "streaming":
		var primary string
		for _, n := range t.Nodes {
			if n.Role == "primary" {
				primary = n.Name
				break
			}
		}
		for _, n := range t.Nodes {
			if n.Role != "standby" || primary == "" {
				continue
			}
			label := "async"
			if rec != nil && rec.Design == SPSync {
				label = "synchronous quorum"
			}
			for _, p := range t.Nodes {
				if p.Name == primary && p.Region != n.Region {
					label += ", cross-region"
				}
			}
			dg.Edges = append(dg.Edges, templates.DiagramEdge{From: primary, To: n.Name, Kind: templates.EdgeStream, Label: label})
		}
		v.Notes = append(v.Notes, "One primary takes every write; standbys replay its WAL and are promoted on failure.")
	case "partitioned":
		for i := range t.Nodes {
			for j := i + 1; j < len(t.Nodes); j++ {
				label := ""
				if t.OwnerColumn != "" {
					label = "rows by " + t.OwnerColumn
				}
				dg.Edges = append(dg.Edges, templates.DiagramEdge{From: t.Nodes[i].Name, To: t.Nodes[j].Name, Kind: templates.EdgeRows, Label: label})
			}
		}
		if t.OwnerColumn != "" {
			v.Notes = append(v.Notes, fmt.Sprintf("Each node writes only the rows whose %s it owns; publication row filters carry them to the others, so no row has two writers. The owner column must be part of the primary key (row filters on UPDATE/DELETE may only use replica-identity columns).", t.OwnerColumn))
		}
	case "active-active":
		for i := range t.Nodes {
			for j := i + 1; j < len(t.Nodes); j++ {
				dg.Edges = append(dg.Edges, templates.DiagramEdge{From: t.Nodes[i].Name, To: t.Nodes[j].Name, Kind: templates.EdgeMesh, Label: engineLabel(t.Engine)})
			}
		}
		if rec != nil && rec.Design == AAHome {
			v.Notes = append(v.Notes, "Every node can write, but each owner is written only in its home region in steady state; on region loss the survivors take its writes without a promotion.")
		} else {
			v.Notes = append(v.Notes, "Every node accepts every write: conflicting changes to the same row are resolved after the fact.")
		}
	}
	if t.Sequences != "" {
		v.Notes = append(v.Notes, "Sequences: "+t.Sequences+".")
	}
	v.Diagram = dg
	return v
}

var severityOrder = []string{"error", "warning", "info"}

func buildHazards(a *assess.Report, base string) *HazardView {
	h := &HazardView{Verdict: a.Verdict, VerdictReason: a.VerdictReason, Source: a.Source, Summary: a.Summary,
		Total: len(a.Findings), Skipped: a.Skipped, InputErrors: a.InputErrors, Hidden: a.Hidden, Groups: []SeverityGroup{}}
	for _, sev := range severityOrder {
		g := SeverityGroup{Severity: sev}
		byRule := map[string]*RuleGroup{}
		var order []string
		for _, f := range a.Findings {
			if f.Severity != sev {
				continue
			}
			g.Count++
			rg := byRule[f.Rule]
			if rg == nil {
				rg = &RuleGroup{Rule: f.Rule, Name: f.Name, Title: f.Title, Category: f.Category, Link: base + f.Rule + "-" + f.Name + ".md", Fix: f.Fix}
				byRule[f.Rule] = rg
				order = append(order, f.Rule)
			}
			rg.Count++
			if rg.Fix != f.Fix {
				rg.Fix = ""
			}
			rg.Findings = append(rg.Findings, f)
		}
		if g.Count == 0 {
			continue
		}
		// most findings first, then rule id
		sort.SliceStable(order, func(i, j int) bool {
			ci, cj := byRule[order[i]].Count, byRule[order[j]].Count
			if ci != cj {
				return ci > cj
			}
			return order[i] < order[j]
		})
		for _, id := range order {
			rg := byRule[id]
			rg.Open = len(a.Findings) <= 40 && sev == "error"
			g.Rules = append(g.Rules, *rg)
		}
		h.Groups = append(h.Groups, g)
	}
	return h
}

// adviceClass colours per-table advice from least to most restrictive.
var adviceClass = map[string]string{
	assess.AdviceAnywhere: "good", assess.AdviceInsertOnly: "info", assess.AdviceHome: "warn", assess.AdviceKeepLocal: "bad",
}

func buildTables(a *assess.Report) *TablesView {
	v := &TablesView{Rows: a.Tables, Counts: []AdviceCount{}}
	if v.Rows == nil {
		v.Rows = []assess.TableAdvice{}
	}
	n := map[string]int{}
	for _, t := range a.Tables {
		n[t.Advice]++
	}
	for _, adv := range []string{assess.AdviceAnywhere, assess.AdviceInsertOnly, assess.AdviceHome, assess.AdviceKeepLocal} {
		if n[adv] > 0 {
			v.Counts = append(v.Counts, AdviceCount{Advice: adv, Count: n[adv], Class: adviceClass[adv]})
		}
	}
	return v
}

// AdviceClass is the colour class of a per-table advice (for templates).
func AdviceClass(advice string) string { return adviceClass[advice] }

func buildForecast(in *forecast.Report, a *assess.Report, rec *Recommendation, t Thresholds) *ForecastView {
	// The page adds the tables up itself, so its headline, charts and
	// table agree whoever built the report.
	f := *in
	f.Sum()
	v := &ForecastView{LagMs: f.LagMs, Regions: f.Regions, TotalPerDay: f.TotalConflictsPerDay, HotLimit: t.Get("hot_row_p_conflict"),
		Tables: []TableForecastView{}, HotRows: []HotRowView{}, Capture: f.Capture, Route: f.Route, Totals: f.Totals, Warnings: f.Warnings}
	if v.LagMs <= 0 {
		v.LagMs = 100
		if rec != nil && rec.Derived.WindowS > 0 {
			v.LagMs = rec.Derived.WindowS * 1000
		}
	}
	v.Total = fmtRate(v.TotalPerDay)
	v.Conflicting = f.Applies(f.Totals.ConflictingApplies)
	for _, tf := range f.Tables {
		if tf.SequenceKey != "" || tf.KeyCollisionsPerDay > 0 {
			v.KeyPerDay, v.KeyLine, v.Sequences = f.KeyCollisionsPerDay, f.KeyCollisionsLine(fmtRate), f.Sequences
			break
		}
	}
	v.Lost = f.LostLines()
	advice := map[string]string{}
	if a != nil {
		for _, ta := range a.Tables {
			advice[ta.Table] = ta.Advice
		}
		for _, d := range allocatorDups(a.Findings, &f) {
			v.Allocators = append(v.Allocators, d.text())
		}
	}
	tables := append([]forecast.Table(nil), f.Tables...)
	sort.SliceStable(tables, func(i, j int) bool {
		if tables[i].ConflictsPerDay != tables[j].ConflictsPerDay {
			return tables[i].ConflictsPerDay > tables[j].ConflictsPerDay
		}
		return tables[i].Table < tables[j].Table
	})
	for i, tf := range tables {
		if i >= forecastTopTables {
			v.MoreTables = len(tables) - forecastTopTables
			break
		}
		v.Tables = append(v.Tables, TableForecastView{Table: tf.Display(), WritesPerSec: tf.WritesPerSec, ConflictsPerDay: tf.ConflictsPerDay,
			Conflicts: fmtRate(tf.ConflictsPerDay), Advice: advice[tf.Table], Conflicting: f.Applies(tf.ConflictingApplies),
			OriginDiffers: tf.OriginDiffers + tf.SeqInsertConflicts, LostIncrements: tf.LostIncrements, KeyCollisions: fmtRate(tf.KeyCollisionsPerDay)})
	}
	// Every line is the forecast's own curve (forecast.Report.Sum): the
	// total passes through the headline at the forecast's lag, each table
	// through its row of the table below.
	lc := templates.LineChart{ID: "chart-lag", Title: "Expected conflicts per day against replication lag", XLabel: "replication lag + apply (ms)", YLabel: "conflicts per day", LogX: true, LogY: true}
	curve := func(name string, pts []forecast.Point, class string, dashed bool) {
		s := templates.Series{Name: name, Class: class, Dashed: dashed}
		some := false
		for _, p := range pts {
			s.Points = append(s.Points, templates.Point{X: p.LagMs, Y: p.ConflictsPerDay})
			some = some || p.ConflictsPerDay > 0
		}
		if some {
			lc.Series = append(lc.Series, s)
		}
	}
	curve("all tables", f.CurveLag, templates.ClassBad, false)
	tableClasses := []string{templates.ClassAccent, templates.ClassGood, templates.ClassWarn, templates.ClassNeutral}
	for i, tf := range tables {
		if i >= lagChartSeries-1 || i >= len(tableClasses) {
			break
		}
		curve(tf.Display(), tf.CurveLag, tableClasses[i], true)
	}
	lc.XMarks = []templates.Mark{{Label: "forecast lag " + fmtMs(v.LagMs), Value: v.LagMs, Class: templates.ClassAccent}}
	lc.YMarks = []templates.Mark{{Label: "1 per day", Value: 1, Class: templates.ClassMuted}}
	v.LagChart = lc

	hot := append([]forecast.HotRow(nil), f.HotRows...)
	sort.SliceStable(hot, func(i, j int) bool {
		if hot[i].PConflict != hot[j].PConflict {
			return hot[i].PConflict > hot[j].PConflict
		}
		return hot[i].WritesPerSec > hot[j].WritesPerSec
	})
	if len(hot) > 0 {
		hc := templates.BarChart{ID: "chart-hot-rows", Title: "Hottest rows: probability that one write conflicts", Unit: "P(conflict per write), %", Log: true}
		for i, h := range hot {
			if i >= forecastTopHotRows {
				v.MoreHotRows = len(hot) - forecastTopHotRows
				break
			}
			row := HotRowView{Table: h.Display(), Key: h.Key, WritesPerSec: h.WritesPerSec, PConflict: h.PConflict,
				Percent: fmtPct(100 * h.PConflict), Conflicts: fmtRate(h.ConflictsPerDay), Hot: h.PConflict > v.HotLimit, Lost: h.LostIncrements}
			if f.OldModel() != 0 {
				row.Conflicts = forecast.Unknown
			}
			v.HotRows = append(v.HotRows, row)
			cls := templates.ClassWarn
			if row.Hot {
				cls = templates.ClassBad
			}
			hc.Bars = append(hc.Bars, templates.Bar{Label: h.Label(), Value: 100 * h.PConflict,
				Note: row.Percent + " · " + fmtNum(round(h.WritesPerSec, 2)) + " w/s", Class: cls})
		}
		hc.Marks = []templates.Mark{{Label: "hot above " + fmtPct(100*v.HotLimit), Value: 100 * v.HotLimit, Class: templates.ClassBad}}
		v.HotChart = &hc
	}
	if len(f.CurveRegions) > 0 {
		rc := templates.BarChart{ID: "chart-regions", Title: "Expected conflicts per day against the number of writing regions", Unit: "conflicts per day", Log: true}
		for _, p := range f.CurveRegions {
			cls := templates.ClassWarn
			if p.Regions == f.Regions {
				cls = templates.ClassBad
			}
			rc.Bars = append(rc.Bars, templates.Bar{Label: fmt.Sprintf("%d regions", p.Regions), Value: p.ConflictsPerDay, Note: fmtRate(p.ConflictsPerDay) + "/day", Class: cls, Bold: p.Regions == f.Regions})
		}
		v.RegionsChart = &rc
	}
	return v
}

// fmtRate prints a per-day rate: "0", "0.004", "12.5", "1,080", "915,000".
func fmtRate(v float64) string {
	switch {
	case v <= 0:
		return "0"
	case v < 0.01:
		return fmt.Sprintf("%.2g", v)
	case v < 1000:
		return sig3(v)
	}
	return inspect.GroupThousands(int64(math.Round(v)))
}

// starSites is how many sites the star draws; the rest are one box.
const starSites = 8

// starDiagram draws a hub-and-spoke topology: the hub in the middle
// column, the sites on either side, each joined to the hub only.
func starDiagram(dg templates.Diagram, t *replicate.Topology) (templates.Diagram, []string) {
	var hub *replicate.PlanNode
	var sites []replicate.PlanNode
	for i, n := range t.Nodes {
		if n.Role == "hub" && hub == nil {
			hub = &t.Nodes[i]
		} else {
			sites = append(sites, n)
		}
	}
	if hub == nil {
		return dg, nil
	}
	shown := sites
	if len(sites) > starSites {
		shown = sites[:starSites-1]
	}
	left := templates.DiagramGroup{Label: "sites"}
	right := templates.DiagramGroup{Label: "sites"}
	label := "HQ"
	if hub.Region != "" {
		label += " · " + hub.Region
	}
	mid := templates.DiagramGroup{Label: label, Nodes: []templates.DiagramNode{{ID: hub.Name, Label: hub.Name, Sub: "hub · writes the shared tables", Class: roleClass["hub"]}}}
	for i, n := range shown {
		sub := "site"
		if len(n.Owns) > 0 {
			sub += " · owns " + strings.Join(n.Owns, ", ")
		}
		box := templates.DiagramNode{ID: n.Name, Label: n.Name, Sub: sub, Class: roleClass["site"]}
		if i%2 == 0 {
			left.Nodes = append(left.Nodes, box)
		} else {
			right.Nodes = append(right.Nodes, box)
		}
		edge := templates.DiagramEdge{From: n.Name, To: hub.Name, Kind: templates.EdgeSpoke}
		if i == 0 && t.OwnerColumn != "" {
			edge.Label = "rows by " + t.OwnerColumn
		}
		dg.Edges = append(dg.Edges, edge)
	}
	if more := len(sites) - len(shown); more > 0 {
		box := templates.DiagramNode{ID: "more-sites", Label: fmt.Sprintf("… %d more sites", more), Sub: "each joined to the hub alone", Class: templates.ClassMuted}
		right.Nodes = append(right.Nodes, box)
		dg.Edges = append(dg.Edges, templates.DiagramEdge{From: box.ID, To: hub.Name, Kind: templates.EdgeSpoke})
	}
	dg.Groups = []templates.DiagramGroup{left, mid}
	if len(right.Nodes) > 0 {
		dg.Groups = append(dg.Groups, right)
	}
	owner := t.OwnerColumn
	if owner == "" {
		owner = "the owner column"
	}
	notes := []string{
		fmt.Sprintf("A star: each site publishes only its own rows (a row filter on %s) to the hub; the hub publishes the shared tables (those without %s) to every site; sites never replicate with each other. A site holds one subscription and one slot, the hub one of each per site (%d here).", owner, owner, len(sites)),
		"Shared tables are written at the hub only. While a site is cut off it keeps writing its own rows; each side's slot holds its WAL for the other until the link is back.",
	}
	return dg, notes
}
