package decide

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/assess/forecast/forecasttest"
	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// The headline, the per-table rows and every curve are one computation:
// the total is the sum of the tables, each curve passes through its number
// at the forecast's W and N, the report's curves are the sums of the
// tables', and text, markdown, JSON and the HTML page show the same
// number. (The old report showed 85,632,957/day in the headline and
// 63,448,945/day on the regions chart for the same 2 regions.)
func TestForecastOneComputation(t *testing.T) {
	rep := forecasttest.Mixed(t).Forecast(10*time.Second, forecast.Options{Regions: 2, Lag: 120 * time.Millisecond, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 9})
	if rep.TotalConflictsPerDay <= 0 || rep.KeyCollisionsPerDay <= 0 {
		t.Fatalf("the mixed trace should conflict: %+v", rep)
	}
	forecasttest.CheckOneComputation(t, rep)
	for _, tab := range rep.Tables {
		forecasttest.Near(t, tab.Table+" measured/model", tab.ConflictsPerDay, math.Max(tab.MeasuredPerDay, tab.ExpectedPerDay), 1e-9*tab.ConflictsPerDay)
	}

	// Through the JSON file and the one reader.
	path := forecasttest.Save(t, rep)
	back, err := forecast.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep, back, cmp.AllowUnexported(forecast.Table{}, forecast.Report{}), cmpopts.IgnoreFields(forecast.Table{}, "counters")); d != "" {
		t.Errorf("read back (-wrote +read):\n%s", d)
	}
	in, err := forecast.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if in.TotalConflictsPerDay != rep.TotalConflictsPerDay {
		t.Errorf("recommend reads %v, observe wrote %v", in.TotalConflictsPerDay, rep.TotalConflictsPerDay)
	}

	// Every output shows the same number.
	total := rep.TotalConflictsPerDay
	var txt, md bytes.Buffer
	if err := back.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := back.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	key := rep.KeyCollisionsPerDay
	for _, want := range []string{"Expected conflicts/day: " + forecast.FormatNum(total) + " conflicting applies,", "120 ms: " + forecast.FormatNum(total) + ",", "N=2: " + forecast.FormatNum(total) + ",",
		"Key collisions if sequences are shared: " + forecast.FormatNum(key) + "/day"} {
		for name, out := range map[string]string{"text": txt.String(), "markdown": md.String()} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	th := DefaultThresholds()
	h := BuildHTMLReport(HTMLInputs{Forecast: back, Thresholds: &th})
	v := h.Forecast
	if v.TotalPerDay != total || v.Total != fmtRate(total) || !strings.Contains(factsText(h), "Forecast conflicts (any node writes): "+fmtRate(total)+"/day") {
		t.Errorf("page headline %v (%s), facts %q; forecast %v", v.TotalPerDay, v.Total, factsText(h), total)
	}
	// Key collisions are a line of their own, never in the headline.
	if v.KeyPerDay != key || v.KeyLine != back.KeyCollisionsLine(fmtRate) || !strings.Contains(factsText(h), "Key collisions if sequences are shared: "+fmtRate(key)+"/day") {
		t.Errorf("page key collisions %v (%q), facts %q; forecast %v", v.KeyPerDay, v.KeyLine, factsText(h), key)
	}
	if page := renderReport(t, HTMLInputs{Forecast: back}); !strings.Contains(page, "<strong>"+fmtRate(total)+" conflicts per day</strong>") ||
		!strings.Contains(page, "Key collisions if sequences are shared: "+fmtRate(key)+"/day") {
		t.Errorf("page lacks the headline %s or the key collisions %s", fmtRate(total), fmtRate(key))
	}
	sumRows := 0.0
	for _, tv := range v.Tables {
		sumRows += tv.ConflictsPerDay
	}
	forecasttest.Near(t, "page table sum", sumRows, total, 1e-9*total)
	var bar *float64
	for _, b := range v.RegionsChart.Bars {
		if b.Bold {
			bar = &b.Value
		}
	}
	if bar == nil || *bar != total {
		t.Errorf("regions chart bold bar %v, headline %v", bar, total)
	}
	var lagAt *float64
	for _, s := range v.LagChart.Series {
		if s.Name != "all tables" {
			continue
		}
		for _, p := range s.Points {
			if p.X == rep.LagMs {
				lagAt = &p.Y
			}
		}
	}
	if lagAt == nil || *lagAt != total {
		t.Errorf("lag chart at %v ms: %v, headline %v", rep.LagMs, lagAt, total)
	}
}

func factsText(h *HTMLReport) string {
	var parts []string
	for _, f := range h.Headline.Facts {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return strings.Join(parts, "; ")
}

// recommend --forecast reads what its thresholds assume: conflicts/day
// without key collisions (bootstrap's per-node offsets remove them; the
// assessment reports sequence-fed keys), in the same number the forecast
// shows, and hot rows by P(conflict per write).
func TestRecommendReadsForecast(t *testing.T) {
	a := loadProfile(t, "aa-any-last-resort.yaml")
	for _, kv := range [][2]string{{"conflict_policy", PolicyNever}, {"partition_key", PartitionYes}} {
		if err := a.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	plain, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}

	// Only key collisions: 0 conflicts/day, so "must never happen" does
	// not reject the design for them (the old headline held them).
	b := forecasttest.NewTrace(t, forecasttest.Orders)
	for i, w := range []string{"a", "b", "a", "b", "a"} {
		b.Txn(time.Duration(i)*time.Second, forecasttest.Chg{Op: stream.OpInsert, Rel: 2, New: forecasttest.Vals(fmt.Sprint(i+1), w)})
	}
	keys := b.Forecast(10*time.Second, forecast.Options{Regions: 2, Lag: 100 * time.Millisecond, Route: forecasttest.MapRoute(t), HomeShare: 1})
	if keys.KeyCollisionsPerDay <= 0 || keys.TotalConflictsPerDay != 0 {
		t.Fatalf("key collisions %v, conflicts %v", keys.KeyCollisionsPerDay, keys.TotalConflictsPerDay)
	}
	in := forecasttest.WriteRead(t, keys)
	if in.TotalConflictsPerDay != 0 {
		t.Errorf("recommend reads %v conflicts/day from key collisions alone", in.TotalConflictsPerDay)
	}
	r, err := Recommend(a, Inputs{Forecast: in})
	if err != nil {
		t.Fatal(err)
	}
	if r.Design != plain.Design || calcText(r, "forecast_conflicts") != "" {
		t.Errorf("key collisions alone moved the design %s → %s (%q)", plain.Design, r.Design, calcText(r, "forecast_conflicts"))
	}

	// A hot counter: the number recommend prints is the forecast's
	// headline, and the hot rows make their table home-routed.
	mixed := forecasttest.Mixed(t).Forecast(10*time.Second, forecast.Options{Regions: 2, Lag: 120 * time.Millisecond, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 9})
	in = forecasttest.WriteRead(t, mixed)
	if in.TotalConflictsPerDay != mixed.TotalConflictsPerDay || mixed.KeyCollisionsPerDay <= 0 {
		t.Fatalf("recommend reads %v, the forecast's headline is %v (key collisions %v apart)", in.TotalConflictsPerDay, mixed.TotalConflictsPerDay, mixed.KeyCollisionsPerDay)
	}
	r, err = Recommend(a, Inputs{Forecast: in})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmtNum(round(mixed.TotalConflictsPerDay, 2)) + " conflicts/day"; !strings.Contains(calcText(r, "forecast_conflicts"), want) || r.Design != AAHome {
		t.Errorf("design %s, forecast line %q, want %q", r.Design, calcText(r, "forecast_conflicts"), want)
	}
	hot := mixed.HotRows[0]
	if hot.PConflict <= DefaultThresholds().Get("hot_row_p_conflict") {
		t.Fatalf("the mixed trace's hottest row is not hot: %+v", hot)
	}
	wantWhy := fmt.Sprintf("forecast: hot row %s, P(conflict per write) %s", hot.Key, fmtPct(hot.PConflict*100))
	found := false
	for _, tm := range r.Tables {
		found = found || tm.Table == hot.Table && tm.Mode == ModeHome && strings.HasPrefix(strings.Join(tm.Why, "\n"), wantWhy)
	}
	if !found {
		t.Errorf("tables %+v, want %s home-routed for %q", r.Tables, hot.Table, wantWhy)
	}
	if err := a.Set("conflict_policy", PolicyLWW); err != nil {
		t.Fatal(err)
	}
	r, err = Recommend(a, Inputs{Forecast: in})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmtRate(mixed.TotalConflictsPerDay) + " last-writer-wins conflicts/day"; !strings.Contains(strings.Join(r.Risks, "\n"), want) {
		t.Errorf("risks %q, want %q", r.Risks, want)
	}
}

// Lost increments are said per column in words a DBA reads: how many of
// the column's changes the converged rows lack, and how far off that
// leaves them; never "Δ 5 of 10".
func TestForecastLostIncrementsInWords(t *testing.T) {
	rep := forecasttest.Alternating(t, 10, 10*time.Millisecond).Forecast(10*time.Second,
		forecast.Options{Regions: 2, Lag: time.Hour, Route: forecasttest.MapRoute(t), HomeShare: 1})
	var txt, md bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	want := "public.counters.n: 5 of its 10 changes are lost: last-update-wins keeps a version of the row built without them, so the converged rows end 5 below where all the changes would put them (together they change it by 10)."
	for name, out := range map[string]string{"text": txt.String(), "markdown": md.String()} {
		if !strings.Contains(out, want) || strings.Contains(out, "Δ") {
			t.Errorf("%s does not say the lost increments in words (want %q):\n%s", name, want, out)
		}
	}
	if v := BuildHTMLReport(HTMLInputs{Forecast: rep}).Forecast; len(v.Lost) != 1 || v.Lost[0] != want {
		t.Errorf("page lost lines %q", v.Lost)
	}
}

// An id allocator the assessment found and the forecast's lost
// increments of its counter are one fact: recommend's blocker and the
// page say how many ids two nodes handed out, where the forecast alone
// counts no key collision for them.
func TestAllocatorLostIncrementsAreDuplicateIds(t *testing.T) {
	rep := forecasttest.Alternating(t, 10, 10*time.Millisecond).Forecast(10*time.Second,
		forecast.Options{Regions: 2, Lag: time.Hour, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 3})
	if rep.KeyCollisionsPerDay != 0 || rep.Tables[0].Counters[0].Lost == 0 {
		t.Fatalf("want lost increments and no key collisions: %+v", rep.Tables[0])
	}
	lost := rep.Tables[0].Counters[0].Lost
	finding := assess.ReportFinding{Rule: "AR206", Name: "id-allocator", Severity: "error", Object: "public.counters.n", Table: "public.counters",
		Message: "public.counters.n hands out key values", Fix: "Give each node its own counter rows"}
	as := &assess.Report{SchemaVersion: 1, Verdict: assess.VerdictNotReady, Findings: []assess.ReportFinding{finding},
		Tables: []assess.TableAdvice{{Table: "public.counters", Advice: assess.AdviceHome, Errors: 1, Columns: []string{"id", "n", "writer"}}}}
	want := fmt.Sprintf("public.counters.n hands out ids (assessment: id-allocator), and the forecast's replay (2 regions, route hash, W = 3600000 ms) lost %d of its 10 increments to last-update-wins: %d ids that two nodes both handed out in 10 s of capture (≈ %s a day)",
		lost, lost, fmtRate(float64(lost)/10*86400))
	in := forecasttest.WriteRead(t, rep)
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{Assessment: as, Forecast: in})
	var msg string
	for _, b := range r.Blockers {
		if b.Object == "public.counters.n" {
			msg = b.Message
		}
	}
	if !strings.Contains(msg, "The forecast agrees: "+want) {
		t.Errorf("%s: allocator blocker %q, want the forecast's duplicate ids %q", r.Design, msg, want)
	}
	// The page: the recommendation and the forecast section say it alike.
	report := &assess.Report{SchemaVersion: 1, Findings: []assess.ReportFinding{{Rule: finding.Rule, Name: finding.Name, Severity: finding.Severity,
		Object: finding.Object, Table: finding.Table, Message: finding.Message}}, Tables: as.Tables}
	h := BuildHTMLReport(HTMLInputs{Recommendation: r, Assessment: report, Forecast: rep})
	if len(h.Forecast.Allocators) != 1 || !strings.HasPrefix(h.Forecast.Allocators[0], want) {
		t.Errorf("page allocators %q, want %q", h.Forecast.Allocators, want)
	}
	if page := renderReport(t, HTMLInputs{Recommendation: r, Assessment: report, Forecast: rep}); !strings.Contains(page, "Ids handed out twice") {
		t.Errorf("page does not show the ids handed out twice")
	}
	// Under geo-partitioning by a column the counter rows carry, they do
	// not arise, and the reasons say why.
	as.Tables[0].Columns = append(as.Tables[0].Columns, "tenant_id")
	r = recommendProfile(t, "wp-geo-far-users.yaml", Inputs{Assessment: as, Forecast: in})
	var why []string
	for _, tm := range r.Tables {
		if tm.Table == "public.counters" {
			why = tm.Why
		}
	}
	if !strings.Contains(strings.Join(why, "\n"), fmt.Sprintf("the forecast's %d lost increments of n (its replay, route hash, let any node bump any row) do not arise here", lost)) {
		t.Errorf("%s: reasons of public.counters %q", r.Design, why)
	}
}

// A version 2 file added key collisions, as pairs of inserts, into each
// table's conflicts/day and curves: they come out again and become the
// insert conflicts the nodes log (twice the pairs), and the report says
// its conflicts/day are the old model's pairs.
func TestReadForecastV2KeyCollisions(t *testing.T) {
	// What observe wrote before version 3 for a hot counter (100/day of
	// pairs at 100 ms, linear in W, (N−1)-fold) and a sequence-keyed table
	// with 2 colliding pairs in 10 s (17,280/day, at N in proportion to
	// N − 1), 2 regions.
	path := forecasttest.WriteFile(t, `{"schema_version": 2, "regions": 2, "lag_ms": 100,
 "capture": {"duration_s": 10},
 "tables": [
  {"schema": "public", "name": "counters", "table": "public.counters", "conflicts_per_day": 100, "key_collisions_per_day": 0,
   "curve_vs_lag": [{"lag_ms": 10, "regions": 2, "conflicts_per_day": 10}, {"lag_ms": 100, "regions": 2, "conflicts_per_day": 100}],
   "curve_vs_regions": [{"lag_ms": 100, "regions": 2, "conflicts_per_day": 100}, {"lag_ms": 100, "regions": 3, "conflicts_per_day": 200}]},
  {"schema": "public", "name": "orders", "table": "public.orders", "conflicts_per_day": 17280, "key_collisions_per_day": 17280,
   "seq_collisions": 2, "seq_insert_conflicts": 4, "inserts_per_region": [3, 2],
   "curve_vs_lag": [{"lag_ms": 10, "regions": 2, "conflicts_per_day": 17280}, {"lag_ms": 100, "regions": 2, "conflicts_per_day": 17280}],
   "curve_vs_regions": [{"lag_ms": 100, "regions": 2, "conflicts_per_day": 17280}, {"lag_ms": 100, "regions": 3, "conflicts_per_day": 34560}]}],
 "total_conflicts_per_day": 17380, "key_collisions_per_day": 17280,
 "hot_rows": [{"schema": "public", "name": "counters", "table": "public.counters", "key": "id=1", "writes_per_sec": 2, "p_conflict": 0.25}]}`)
	rep, err := forecast.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != forecast.SchemaVersion || rep.Sequences != forecast.SequencesShared {
		t.Errorf("schema_version %d, sequences %q", rep.SchemaVersion, rep.Sequences)
	}
	byName := map[string]forecast.Table{}
	for _, tab := range rep.Tables {
		byName[tab.Name] = tab
	}
	if c := byName["counters"]; c.ConflictsPerDay != 100 || c.KeyCollisionsPerDay != 0 || len(c.CurveLag) != 2 || c.CurveRegions[1].ConflictsPerDay != 200 {
		t.Errorf("counters %+v", c)
	}
	if o := byName["orders"]; o.ConflictsPerDay != 0 || o.KeyCollisionsPerDay != 34560 || o.CurveLag != nil || o.CurveRegions != nil {
		t.Errorf("orders %+v", o)
	}
	if rep.TotalConflictsPerDay != 100 || rep.KeyCollisionsPerDay != 34560 {
		t.Errorf("total %v, key collisions %v", rep.TotalConflictsPerDay, rep.KeyCollisionsPerDay)
	}
	forecasttest.CheckOneComputation(t, rep)
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "schema_version 2: its conflicts/day count pairs") {
		t.Errorf("no note on the old model: %v", rep.Warnings)
	}
	// What version 2 did not count shows as unknown, not as 0.
	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	_, hot, _ := strings.Cut(txt.String(), "Hot rows\n")
	if lines := strings.Split(hot, "\n"); len(lines) < 2 || !regexp.MustCompile(`25%\s+–\s+–\s`).MatchString(lines[1]) {
		t.Errorf("hot rows of a version 2 file:\n%s", hot)
	}
	if v := BuildHTMLReport(HTMLInputs{Forecast: rep}).Forecast; v.Conflicting != "–" || v.HotRows[0].Conflicts != "–" || v.Tables[0].Conflicting != "–" {
		t.Errorf("page shows %q conflicting applies, hot row %q/day, table %q", v.Conflicting, v.HotRows[0].Conflicts, v.Tables[0].Conflicting)
	}
	in, err := forecast.ReadReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if in.TotalConflictsPerDay != 100 {
		t.Errorf("recommend reads %v conflicts/day, want 100 (key collisions apart)", in.TotalConflictsPerDay)
	}
}

// Names with newlines, quotes and dots: the JSON gives schema and name
// apart (and the quoted name), and text, markdown and the page show each
// on one line in a form that names the same table in SQL.
func TestForecastIdentifiersRender(t *testing.T) {
	odd := &stream.Table{ID: 9, Schema: "my\nschema", Name: `we"ird.t`, ReplicaIdentity: 'f', Columns: []stream.Column{
		{Name: "a\nb", TypeOID: 25, Key: true}, {Name: "n|m", TypeOID: 20}}}
	b := forecasttest.NewTrace(t, odd)
	for i := 0; i < 40; i++ {
		key := []string{"x,y\nz", "plain"}[i%2]
		b.Txn(time.Duration(i)*5*time.Millisecond, forecasttest.Chg{Op: stream.OpUpdate, Rel: 9, OldKind: 'O',
			Old: forecasttest.Vals(key, "0"), New: forecasttest.Vals(key, "1")})
	}
	rep := b.Forecast(time.Second, forecast.Options{Regions: 2, Lag: time.Second, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 2})
	const display = `U&"my\000Aschema"."we""ird.t"`
	const key = `U&"a\000Ab"=E'x,y\nz'`

	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Tables  []struct{ Schema, Name, Table string }      `json:"tables"`
		HotRows []struct{ Schema, Name, Table, Key string } `json:"hot_rows"`
	}
	if err := json.Unmarshal(js.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if tab := raw.Tables[0]; tab.Schema != "my\nschema" || tab.Name != `we"ird.t` || tab.Table != "\"my\nschema\".\"we\"\"ird.t\"" {
		t.Errorf("json table %+v", tab)
	}
	if len(raw.HotRows) != 2 || raw.HotRows[0].Schema != "my\nschema" || raw.HotRows[0].Name != `we"ird.t` {
		t.Fatalf("json hot rows %+v", raw.HotRows)
	}
	keys := raw.HotRows[0].Key + " " + raw.HotRows[1].Key
	if !strings.Contains(keys, key) || !strings.Contains(keys, `U&"a\000Ab"=plain`) {
		t.Errorf("hot row keys %q", keys)
	}

	var txt, md bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	// One line per table (and its counter's) and per hot row.
	section := func(out, title string) []string {
		_, rest, _ := strings.Cut(out, title)
		rest, _, _ = strings.Cut(strings.TrimLeft(rest, "\n"), "\n\n")
		return strings.Split(rest, "\n")
	}
	if lines := section(txt.String(), "Per table\n"); len(lines) != 3 || !strings.HasPrefix(lines[1], display+"  ") || !strings.HasPrefix(lines[2], "  "+display+`."n|m": `) {
		t.Errorf("text per table %q", lines)
	}
	if lines := section(txt.String(), "Hot rows\n"); len(lines) != 3 || !strings.Contains(txt.String(), display+"  "+key) {
		t.Errorf("text hot rows %q", lines)
	}
	for _, title := range []string{"### Per table\n", "### Hot rows\n"} {
		lines := section(md.String(), title)
		for _, l := range lines {
			if cells := strings.Count(strings.ReplaceAll(l, `\|`, ""), "|"); cells != strings.Count(lines[0], "|") {
				t.Errorf("markdown %s: %q has %d pipes, header %d", title, l, cells, strings.Count(lines[0], "|"))
			}
		}
		if !strings.Contains(strings.Join(lines, "\n"), "| "+display+" |") {
			t.Errorf("markdown %s lacks %s:\n%s", title, display, strings.Join(lines, "\n"))
		}
	}

	page := renderReport(t, HTMLInputs{Forecast: rep})
	for _, want := range []string{`U&amp;&#34;my\000Aschema&#34;.&#34;we&#34;&#34;ird.t&#34;`, `U&amp;&#34;a\000Ab&#34;=E&#39;x,y\nz&#39;`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "my\nschema") {
		t.Error("the page shows the schema name with its newline")
	}
}
