package templates

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dashboard is the part of a Grafana dashboard the tests look at.
type dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		UID string `json:"uid"`
	} `json:"datasource"`
	GridPos struct{ H, W, X, Y int } `json:"gridPos"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Collapsed bool    `json:"collapsed"`
	Panels    []panel `json:"panels"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := fs.ReadFile(Monitoring(), "aadvisor-mesh.dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	return d
}

// TestDashboardLayout: unique ids, every query panel reads the datasource
// variable and scopes its queries to $job and $instance, panels on the
// 24-column grid without overlaps, and a place for the HA panels.
func TestDashboardLayout(t *testing.T) {
	d := readDashboard(t)
	if d.UID != "aadvisor-mesh" || d.Title == "" {
		t.Errorf("uid %q title %q", d.UID, d.Title)
	}
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
	}
	if strings.Join(vars, ",") != "datasource,job,instance" {
		t.Errorf("variables %v", vars)
	}
	ids := map[int]string{}
	type cell struct{ x, y int }
	taken := map[cell]string{}
	var haRow bool
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			if prev, dup := ids[p.ID]; dup || p.ID == 0 {
				t.Errorf("panel %q: id %d (also %q)", p.Title, p.ID, prev)
			}
			ids[p.ID] = p.Title
			g := p.GridPos
			if g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 {
				t.Errorf("panel %q: gridPos %+v off the grid", p.Title, g)
			}
			for x := g.X; x < g.X+g.W; x++ {
				for y := g.Y; y < g.Y+g.H; y++ {
					if other, ok := taken[cell{x, y}]; ok {
						t.Fatalf("panel %q overlaps %q at %d,%d", p.Title, other, x, y)
					}
					taken[cell{x, y}] = p.Title
				}
			}
			if p.Type == "row" && strings.Contains(p.Title, "Patroni") {
				haRow = p.Collapsed
			}
			if len(p.Targets) > 0 && (p.Datasource == nil || p.Datasource.UID != "${datasource}") {
				t.Errorf("panel %q: datasource %+v, want ${datasource}", p.Title, p.Datasource)
			}
			for _, tg := range p.Targets {
				if !strings.Contains(tg.Expr, `job=~"$job", instance=~"$instance"`) {
					t.Errorf("panel %q: query %q is not scoped to $job and $instance", p.Title, tg.Expr)
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	if !haRow {
		t.Error("no collapsed row for the high-availability (Patroni) panels")
	}
}

// DashboardQueries returns every PromQL query of the dashboard.
func dashboardQueries(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	var walk func(ps []panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				out[fmt.Sprintf("%s %s", p.Title, tg.RefID)] = tg.Expr
			}
			walk(p.Panels)
		}
	}
	walk(readDashboard(t).Panels)
	return out
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("promtool required in CI (Debian package prometheus): %v", err)
		}
		t.Skipf("no promtool (Debian package prometheus): %v", err)
	}
	return p
}

// TestAlertRules checks the rules and runs their unit tests with promtool.
func TestAlertRules(t *testing.T) {
	pt := promtool(t)
	dir := t.TempDir()
	if err := os.CopyFS(dir, Monitoring()); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"check", "rules", "aadvisor-mesh.rules.yml"}, {"test", "rules", "aadvisor-mesh.rules.test.yml"}} {
		cmd := exec.Command(pt, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "SUCCESS") {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

// TestDashboardQueriesParse runs every dashboard query through promtool's
// parser, as recording rules with Grafana's variables filled in.
func TestDashboardQueriesParse(t *testing.T) {
	pt := promtool(t)
	qs := dashboardQueries(t)
	if len(qs) < 20 {
		t.Fatalf("only %d queries", len(qs))
	}
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	fill := strings.NewReplacer("$__rate_interval", "5m", "$job", ".*", "$instance", ".*")
	i := 0
	for _, q := range qs {
		i++
		js, _ := json.Marshal(fill.Replace(q))
		fmt.Fprintf(&b, "      - record: dashboard:query%d\n        expr: %s\n", i, js)
	}
	file := filepath.Join(t.TempDir(), "dashboard.rules.yml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pt, "check", "rules", file).CombinedOutput()
	if err != nil {
		t.Errorf("a dashboard query does not parse: %v\n%s", err, out)
	}
}
