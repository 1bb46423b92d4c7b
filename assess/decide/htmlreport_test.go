package decide

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/rules"
	"github.com/aadvisor/aadvisor/templates"
	"github.com/google/go-cmp/cmp"
)

var updateReport = flag.Bool("update-report", false, "rewrite testdata/htmlreport/report.golden.json")

var reportTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func readReportJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// fixtureInputs is the five-nines payments profile with the shop
// assessment, a forecast and the plan topology recommend writes for it.
func fixtureInputs(t *testing.T) HTMLInputs {
	t.Helper()
	dir := filepath.Join("testdata", "htmlreport")
	ans, err := ReadAnswers(filepath.Join(dir, "answers.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var rep assess.Report
	readReportJSON(t, filepath.Join(dir, "assessment.json"), &rep)
	as, err := assess.ReadReport(filepath.Join(dir, "assessment.json"))
	if err != nil {
		t.Fatal(err)
	}
	fc, err := forecast.ReadReport(filepath.Join(dir, "forecast.json"))
	if err != nil {
		t.Fatal(err)
	}
	fi := fc
	rec, err := Recommend(ans, Inputs{Thresholds: DefaultThresholds(), Assessment: as, Forecast: fi})
	if err != nil {
		t.Fatal(err)
	}
	return HTMLInputs{
		Recommendation: rec, Answers: &ans, Assessment: &rep, Forecast: fc,
		Topology: &replicate.Topology{Kind: "active-active", Engine: "pglogical", OwnerColumn: "merchant_id", Sequences: "uuid", Nodes: []replicate.PlanNode{
			{Name: "us_east_1", Region: "us-east-1", Role: "peer"},
			{Name: "eu_west_1", Region: "eu-west-1", Role: "peer"},
		}},
		Tool: "aadvisor test", Generated: reportTime,
		Inputs: []string{"assessment.json", "forecast.json", "plan.yaml"},
	}
}

func renderReport(t *testing.T, in HTMLInputs) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderHTML(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLReportGolden(t *testing.T) {
	r := BuildHTMLReport(fixtureInputs(t))
	got, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "htmlreport", "report.golden.json")
	if *updateReport {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./assess -run TestHTMLReportGolden -update-report)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("report data differs from %s (-want +got; -update-report rewrites it):\n%s", golden, diff)
	}
}

func TestHTMLReportSections(t *testing.T) {
	full := fixtureInputs(t)
	cases := []struct {
		name    string
		in      HTMLInputs
		present []string
		absent  []string
	}{
		{"everything", full, []string{SecRecommendation, SecBudget, SecLatency, SecTopology, SecHazards, SecTables, SecForecast}, nil},
		{"assessment only", HTMLInputs{Assessment: full.Assessment}, []string{SecHazards, SecTables}, []string{SecRecommendation, SecBudget, SecLatency, SecTopology, SecForecast}},
		{"forecast only", HTMLInputs{Forecast: full.Forecast}, []string{SecForecast}, []string{SecRecommendation, SecHazards, SecTables}},
		{"recommendation only", HTMLInputs{Recommendation: full.Recommendation, Answers: full.Answers}, []string{SecRecommendation, SecBudget, SecLatency}, []string{SecTopology, SecHazards, SecForecast}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := renderReport(t, c.in)
			for _, id := range c.present {
				if !strings.Contains(page, `<section id="`+id+`">`) {
					t.Errorf("section %q missing", id)
				}
			}
			for _, id := range c.absent {
				if strings.Contains(page, `<section id="`+id+`">`) {
					t.Errorf("section %q present without its input", id)
				}
			}
			r := BuildHTMLReport(c.in)
			for _, s := range r.Sections {
				if !s.Present && s.Missing == "" {
					t.Errorf("absent section %q does not say how to produce it", s.ID)
				}
			}
		})
	}
}

func TestHTMLReportCharts(t *testing.T) {
	page := renderReport(t, fixtureInputs(t))
	for _, id := range []string{"chart-nines", "chart-events", "chart-latency", "diagram-topology", "chart-lag", "chart-hot-rows", "chart-regions"} {
		if !strings.Contains(page, `<svg xmlns="http://www.w3.org/2000/svg" class="chart`) || !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("chart %s missing", id)
		}
	}
	// The payments profile is over its 50 ms budget from eu-west-1: the bar is red.
	r := BuildHTMLReport(fixtureInputs(t))
	var eu *LatencyRow
	for i := range r.Latency.Rows {
		if r.Latency.Rows[i].Region == "eu-west-1" {
			eu = &r.Latency.Rows[i]
		}
	}
	if eu == nil || !eu.Over {
		t.Fatalf("eu-west-1 should be over the latency budget: %+v", r.Latency.Rows)
	}
	// 99.999% with Patroni (40 s): 7 whole failovers fit (7.89), more than the 4 expected.
	for _, n := range r.Budget.Nines {
		if n.Target && (n.Availability != 99.999 || !n.Enough || n.FitText != "7") {
			t.Errorf("target row = %+v", n)
		}
	}
}

const evil = `<script>alert(1)</script>`

func TestHTMLReportEscapesIdentifiers(t *testing.T) {
	in := fixtureInputs(t)
	tbl := "public." + evil
	in.Assessment.Findings = append(in.Assessment.Findings, assess.ReportFinding{Rule: "AR101", Name: "missing-primary-key", Severity: "error", Title: evil,
		Object: tbl, Table: tbl, Message: evil + " has no key", Fix: evil, FixSQL: "ALTER TABLE " + evil + ";"})
	in.Assessment.Tables = append(in.Assessment.Tables, assess.TableAdvice{Table: tbl, Advice: assess.AdviceKeepLocal, Reasons: []string{evil}})
	in.Forecast.Tables = append(in.Forecast.Tables, forecast.Table{Table: tbl, WritesPerSec: 1e6, ConflictsPerDay: 1e9})
	in.Forecast.HotRows = append(in.Forecast.HotRows, forecast.HotRow{Table: tbl, Key: evil, WritesPerSec: 1e6, PConflict: 0.99})
	in.Topology.Nodes = append(in.Topology.Nodes, replicate.PlanNode{Name: evil, Region: evil, Role: "peer", Owns: []string{evil}})
	in.Inputs = append(in.Inputs, evil)
	page := renderReport(t, in)
	if strings.Contains(page, "<script") {
		i := strings.Index(page, "<script")
		t.Fatalf("unescaped <script> in the page: …%s…", page[max(0, i-200):min(len(page), i+100)])
	}
	escaped := strings.Count(page, "&lt;script&gt;alert(1)&lt;/script&gt;")
	if escaped < 8 {
		t.Errorf("the identifier shows escaped %d times, want it in hazards, tables, forecast, charts and diagram", escaped)
	}
}

var (
	attrURL = regexp.MustCompile(`(?i)\b(src|href|action|poster|data)\s*=\s*"([^"]*)"`)
	cssURL  = regexp.MustCompile(`(?i)url\(\s*['"]?[^#'"\s)]|@import`) // url(#id) is a local reference
)

func TestHTMLReportSelfContained(t *testing.T) {
	page := renderReport(t, fixtureInputs(t))
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		attr, url := strings.ToLower(m[1]), m[2]
		if attr != "href" {
			t.Errorf("%s=%q loads something", attr, url)
			continue
		}
		switch {
		case strings.HasPrefix(url, "#"):
		case strings.HasPrefix(url, DefaultRulesBase) && strings.HasSuffix(url, ".md"):
		default:
			t.Errorf("href=%q is neither an anchor nor a rule page of the repository", url)
		}
	}
	for _, bad := range []string{"<script", "<link", "<iframe", "<img", "<object", "<embed"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page contains %s", bad)
		}
	}
	if cssURL.MatchString(page) {
		t.Errorf("page CSS loads a resource: %q", cssURL.FindString(page))
	}
	// rule links point at the generated rule docs, which exist
	for _, m := range regexp.MustCompile(`href="docs/rules/([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if _, err := os.Stat(filepath.Join("..", "..", "docs", "rules", m[1])); err != nil {
			t.Errorf("rule link %s: %v", m[1], err)
		}
	}
}

// manyFindings makes n findings spread over 40 rules and 500 tables.
func manyFindings(n int) *assess.Report {
	r := &assess.Report{SchemaVersion: 1, Verdict: assess.VerdictNotReady, VerdictReason: fmt.Sprintf("%d findings on 500 tables", n), Findings: []assess.ReportFinding{},
		Source: assess.Source{Kind: "sql", Name: "big-schema.sql", Tables: 500}}
	sev := []string{"error", "warning", "info"}
	all := rules.All()
	for i := range n {
		rule := i % 40
		id, name, title, cat := fmt.Sprintf("AR%03d", 100+rule), fmt.Sprintf("rule-%d", rule), "A rule", "keys"
		if rule < len(all) {
			id, name, title, cat = all[rule].ID, all[rule].Name, all[rule].Title, string(all[rule].Category)
		}
		f := assess.ReportFinding{Rule: id, Name: name, Severity: sev[rule%3], Title: title, Category: cat,
			Object: fmt.Sprintf("public.t%03d.c%d", i%500, i), Table: fmt.Sprintf("public.t%03d", i%500),
			Message: "something that matters under multi-primary replication, with evidence", Fix: "Do the thing.", FixSQL: "ALTER TABLE x ADD y;"}
		r.Findings = append(r.Findings, f)
		switch f.Severity {
		case "error":
			r.Summary.Errors++
		case "warning":
			r.Summary.Warnings++
		default:
			r.Summary.Infos++
		}
	}
	for i := range 500 {
		r.Tables = append(r.Tables, assess.TableAdvice{Table: fmt.Sprintf("public.t%03d", i), Advice: assess.AdviceHome, Reasons: []string{"rule-1"}})
	}
	return r
}

func TestHTMLReportManyFindings(t *testing.T) {
	in := fixtureInputs(t)
	in.Assessment = manyFindings(2000)
	start := time.Now()
	page := renderReport(t, in)
	took := time.Since(start)
	if took > 3*time.Second {
		t.Errorf("rendering 2,000 findings took %v", took)
	}
	if len(page) > 4<<20 {
		t.Errorf("page is %d bytes with 2,000 findings", len(page))
	}
	if n := strings.Count(page, `<details class="rule">`); n != 40 {
		t.Errorf("%d collapsed rule groups, want 40 (one per rule, closed)", n)
	}
	if strings.Contains(page, `<details class="rule" open>`) {
		t.Error("rule groups open with 2,000 findings")
	}
	// counts come first: the severity heading and each summary carry them
	for _, want := range []string{"700 findings from 14 rules", "650 findings from 13 rules", `<span class="count">50×</span>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	t.Logf("2,000 findings: %d KiB in %v", len(page)/1024, took)
}

func BenchmarkHTMLReport2000Findings(b *testing.B) {
	t := &testing.T{}
	in := fixtureInputs(t)
	in.Assessment = manyFindings(2000)
	for b.Loop() {
		var buf bytes.Buffer
		if err := RenderHTML(&buf, in); err != nil {
			b.Fatal(err)
		}
	}
}

// chromium finds a headless browser, or skips (fails when CI is set:
// .ci/run installs it).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not found")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return ""
}

func chromiumArgs(t *testing.T) []string {
	return []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
		"--no-first-run", "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
}

// TestHTMLReportInBrowser opens the page in headless Chromium and checks
// the rendered DOM has every section and chart. With AADVISOR_SCREENS=DIR
// it also saves screenshots there (docs/screens).
func TestHTMLReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	bin := chromium(t)
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, []byte(renderReport(t, fixtureInputs(t))), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append(chromiumArgs(t), "--dump-dom", "file://"+page)
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v", err)
	}
	dom := string(out)
	for _, id := range []string{SecRecommendation, SecBudget, SecLatency, SecTopology, SecHazards, SecTables, SecForecast} {
		if !strings.Contains(dom, `<section id="`+id+`">`) {
			t.Errorf("rendered DOM lacks section %s", id)
		}
	}
	if n := strings.Count(dom, "<svg "); n < 7 {
		t.Errorf("rendered DOM has %d <svg> elements, want at least 7", n)
	}
	if strings.Contains(dom, "ZgotmplZ") {
		t.Error("a value was rejected by html/template (ZgotmplZ)")
	}
	// 2,000 findings: the page still renders, one closed block per rule
	many := fixtureInputs(t)
	many.Assessment = manyFindings(2000)
	manyPage := filepath.Join(dir, "many.html")
	if err := os.WriteFile(manyPage, []byte(renderReport(t, many)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(bin, append(chromiumArgs(t), "--dump-dom", "file://"+manyPage)...).Output()
	if err != nil {
		t.Fatalf("chromium --dump-dom (2,000 findings): %v", err)
	}
	if n := strings.Count(string(out), `<details class="rule">`); n != 40 {
		t.Errorf("rendered 2,000-finding page has %d closed rule blocks, want 40", n)
	}
	if shots := os.Getenv("AADVISOR_SCREENS"); shots != "" {
		path, _ := filepath.Abs(filepath.Join(shots, "report-2000-findings.png"))
		style := `<style>header.top,nav.toc,footer,#recommendation,#budget,#latency,#topology,#tables,#forecast{display:none!important}</style></head>`
		data, _ := os.ReadFile(manyPage)
		hz := filepath.Join(dir, "many-hazards.html")
		if err := os.WriteFile(hz, []byte(strings.Replace(string(data), "</head>", style, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		args := append(chromiumArgs(t), "--screenshot="+path, "--window-size=1280,1500", "file://"+hz)
		if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
			t.Fatalf("chromium --screenshot: %v\n%s", err, out)
		}
	}
	if shots := os.Getenv("AADVISOR_SCREENS"); shots != "" {
		for _, s := range []struct{ name, size string }{{"report-top.png", "1280,1800"}, {"report-full.png", "1280,11000"}} {
			path, _ := filepath.Abs(filepath.Join(shots, s.name))
			args := append(chromiumArgs(t), "--screenshot="+path, "--window-size="+s.size, "file://"+page)
			if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("chromium --screenshot: %v\n%s", err, out)
			}
		}
	}
}

var (
	tagRE     = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9]*)\b[^>]*?(/?)>`)
	voidTags  = map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true, "wbr": true}
	skipBlock = regexp.MustCompile(`(?s)<style>.*?</style>|<!--.*?-->`)
)

// balanced checks that every element is closed in order: a stricter test
// than browsers apply, which catches template branches that lose a tag.
func balanced(page string) error {
	page = skipBlock.ReplaceAllString(page, "")
	var stack []string
	for _, m := range tagRE.FindAllStringSubmatch(page, -1) {
		closing, name, self := m[1] == "/", strings.ToLower(m[2]), m[3] == "/"
		switch {
		case voidTags[name] || self:
		case closing:
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return fmt.Errorf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		default:
			stack = append(stack, name)
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %v", stack)
	}
	return nil
}

func TestHTMLReportWellFormed(t *testing.T) {
	full := fixtureInputs(t)
	many := fixtureInputs(t)
	many.Assessment = manyFindings(2000)
	for name, in := range map[string]HTMLInputs{
		"full": full, "many findings": many, "nothing": {},
		"assessment only": {Assessment: full.Assessment}, "forecast only": {Forecast: full.Forecast},
	} {
		t.Run(name, func(t *testing.T) {
			page := renderReport(t, in)
			if err := balanced(page); err != nil {
				t.Error(err)
			}
			if strings.Contains(page, "ZgotmplZ") {
				t.Error("a value was rejected by html/template (ZgotmplZ)")
			}
			if !strings.HasPrefix(page, "<!DOCTYPE html>") {
				t.Error("no doctype")
			}
		})
	}
}

func TestBalanced(t *testing.T) {
	for in, ok := range map[string]bool{
		`<div><p>a<br>b</p><svg><path d="M0,0"/></svg></div>`: true,
		`<style>p > a {}</style><p>x</p>`:                     true,
		`<div><details><summary>x</summary></div>`:            false,
		`<p>x</div>`: false,
		`<section>`:  false,
	} {
		if err := balanced(in); (err == nil) != ok {
			t.Errorf("balanced(%q) = %v, want ok=%v", in, err, ok)
		}
	}
}

// TestStarDiagram: a hub-and-spoke plan is drawn as a star: the hub in
// the middle column, sites on both sides, every edge between a site and
// the hub, and sites beyond what fits in one box.
func TestStarDiagram(t *testing.T) {
	pt := &replicate.Topology{Kind: "hub-and-spoke", Engine: "native", OwnerColumn: "store_id", Sequences: "none",
		Nodes: []replicate.PlanNode{{Name: "hq", Region: "us-east-1", Role: "hub"}}}
	for i := 1; i <= 10; i++ {
		pt.Nodes = append(pt.Nodes, replicate.PlanNode{Name: fmt.Sprintf("s%02d", i), Role: "site", Owns: []string{fmt.Sprint(i)}})
	}
	v := buildTopology(pt, nil)
	d := v.Diagram
	if len(d.Groups) != 3 || d.Groups[1].Label != "HQ · us-east-1" || len(d.Groups[1].Nodes) != 1 || d.Groups[1].Nodes[0].ID != "hq" {
		t.Fatalf("groups: %+v", d.Groups)
	}
	boxes := len(d.Groups[0].Nodes) + len(d.Groups[2].Nodes)
	if boxes != 8 || d.Groups[2].Nodes[len(d.Groups[2].Nodes)-1].Label != "… 3 more sites" {
		t.Errorf("site boxes: %+v %+v", d.Groups[0].Nodes, d.Groups[2].Nodes)
	}
	if len(d.Edges) != 8 {
		t.Errorf("%d edges, want 8", len(d.Edges))
	}
	for _, e := range d.Edges {
		if e.To != "hq" || e.Kind != templates.EdgeSpoke {
			t.Errorf("edge %+v: want a spoke to the hub", e)
		}
	}
	if !strings.Contains(strings.Join(v.Notes, " "), "the hub one of each per site (10 here)") {
		t.Errorf("notes: %q", v.Notes)
	}
	if svg := string(d.SVG()); !strings.Contains(svg, "never site to site") {
		t.Error("the legend does not say what a spoke carries")
	}
}

// The page says roles in the words the text uses (one vocabulary,
// RoleWords): a DR standby and mesh nodes, never "dr-standby" or "peer".
func TestHTMLReportSaysRolesInWords(t *testing.T) {
	for _, tc := range []struct {
		profile string
		want    []string
	}{
		{"sp2-manual-dr.yaml", []string{"DR standby"}},
		{"5.4-payments-five-nines.yaml", []string{"mesh node"}},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			r := recommendProfile(t, tc.profile, Inputs{})
			var text bytes.Buffer
			if err := r.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			in := HTMLInputs{Recommendation: r, Tool: "aadvisor test", Generated: reportTime,
				Topology: &replicate.Topology{Kind: "active-active", Engine: "native", Nodes: []replicate.PlanNode{
					{Name: "a", Region: "us-east-1", Role: "peer"}, {Name: "b", Region: "eu-west-1", Role: "owner"}}}}
			page := renderReport(t, in)
			for _, c := range r.Copies {
				line := c.Label()
				if !strings.Contains(text.String(), line) {
					t.Errorf("text lacks the copy %q:\n%s", line, text.String())
				}
				if !strings.Contains(page, html.EscapeString(line)) {
					t.Errorf("page lacks the copy %q in the text's words", line)
				}
			}
			for _, w := range tc.want {
				if !strings.Contains(page, w) || !strings.Contains(text.String(), w) {
					t.Errorf("%q missing from the page or the text", w)
				}
			}
			for _, raw := range []string{": dr-standby", ": peer", "<td>peer</td>", "<td>owner</td>", ">peer<"} {
				if strings.Contains(page, raw) {
					t.Errorf("page prints the raw role %q", raw)
				}
			}
			if !strings.Contains(page, "<td>mesh node</td>") || !strings.Contains(page, "<td>owner primary</td>") {
				t.Errorf("the node table does not say roles in words")
			}
		})
	}
	// A copy that stands for every site of a region is "sites"; a node of
	// a star's plan is one site.
	r := recommendProfile(t, "5.2-retail-edge.yaml", Inputs{})
	page := renderReport(t, HTMLInputs{Recommendation: r, Tool: "aadvisor test", Generated: reportTime,
		Topology: &replicate.Topology{Kind: "hub-and-spoke", Engine: "native", OwnerColumn: "store_id", Nodes: []replicate.PlanNode{
			{Name: "hq", Region: "us-east-1", Role: "hub"}, {Name: "site_0001", Role: "site", Owns: []string{"1"}}}}})
	if !strings.Contains(page, "us-east-1</strong>: sites") || !strings.Contains(page, "<td>site</td>") || strings.Contains(page, "<td>sites</td>") {
		t.Errorf("the page does not tell the sites of a region from one site of the plan")
	}
}
