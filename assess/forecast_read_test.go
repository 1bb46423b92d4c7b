package assess

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/stream"
)

func fcWriteFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forecast.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// A version 1 file (observe before schema and name were apart) still reads:
// names are split at the first dot and quoted, and the numbers are brought
// to one computation (the total is the sum of the tables, the curves pass
// through it).
func TestReadForecastV1(t *testing.T) {
	rep, err := ReadForecastReport(filepath.Join("testdata", "htmlreport", "forecast.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != ForecastSchemaVersion {
		t.Errorf("schema_version %d after reading", rep.SchemaVersion)
	}
	tab := rep.Tables[0]
	if tab.Schema != "public" || tab.Name != "product_stats" || tab.Table != "public.product_stats" {
		t.Errorf("names %q %q %q", tab.Schema, tab.Name, tab.Table)
	}
	if rep.HotRows[0].Schema != "public" || rep.HotRows[0].Name != "product_stats" {
		t.Errorf("hot row names %+v", rep.HotRows[0])
	}
	// The file says 915000 in all; its tables add up to 915840.5.
	fcNear(t, "total", rep.TotalConflictsPerDay, 915840.5, 1e-9)
	fcCheckOneComputation(t, rep)
	// Its key collisions, apart: 1000 + 500 insert conflicts in 20 s.
	fcNear(t, "key collisions", rep.KeyCollisionsPerDay, 1500.0/20*86400, 1e-6)

	path := fcWriteFile(t, `{"schema_version": 1, "regions": 2, "lag_ms": 100,
 "tables": [{"table": "public.a.b", "conflicts_per_day": 10}, {"table": "app.t", "conflicts_per_day": 5}],
 "hot_rows": [{"table": "public.a.b", "key": "id=1", "p_conflict": 0.5}]}`)
	rep, err = ReadForecastReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if tab := rep.Tables[0]; tab.Schema != "public" || tab.Name != "a.b" || tab.Table != `public."a.b"` {
		t.Errorf("dotted name: %q %q %q", tab.Schema, tab.Name, tab.Table)
	}
	if h := rep.HotRows[0]; h.Schema != "public" || h.Name != "a.b" || h.Table != `public."a.b"` {
		t.Errorf("dotted hot row: %+v", h)
	}
	if rep.TotalConflictsPerDay != 15 {
		t.Errorf("total %v, want 15", rep.TotalConflictsPerDay)
	}
	fcCheckOneComputation(t, rep)
	in, err := ReadForecastReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if in.TotalConflictsPerDay != 15 || in.Tables[0].Name != "a.b" || in.HotRows[0].Table != `public."a.b"` {
		t.Errorf("recommend reads %+v", in)
	}
}

func TestReadForecastBad(t *testing.T) {
	for body, want := range map[string]string{
		`{"schema_version": 4}`: "schema_version 4 not supported (want 1, 2 or 3)",
		`{"schema_version": 0}`: "schema_version 0 not supported",
		`{"schema_version": 2,`: "invalid JSON",
		``:                      "empty file",
	} {
		_, err := ReadForecastReport(fcWriteFile(t, body))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "read forecast: ") {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}

// A version 2 file written by hand with only the quoted name gets its
// schema and name from it.
func TestReadForecastV2Names(t *testing.T) {
	rep, err := ReadForecastReport(fcWriteFile(t, `{"schema_version": 2, "regions": 2, "lag_ms": 100,
 "tables": [{"table": "\"My App\".\"a.b\"", "conflicts_per_day": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if tab := rep.Tables[0]; tab.Schema != "My App" || tab.Name != "a.b" || tab.Table != `"My App"."a.b"` || rep.TotalConflictsPerDay != 3 {
		t.Errorf("%+v total %v", tab, rep.TotalConflictsPerDay)
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
	path := fcWriteFile(t, `{"schema_version": 2, "regions": 2, "lag_ms": 100,
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
	rep, err := ReadForecastReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != ForecastSchemaVersion || rep.Sequences != SequencesShared {
		t.Errorf("schema_version %d, sequences %q", rep.SchemaVersion, rep.Sequences)
	}
	byName := map[string]ForecastTable{}
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
	fcCheckOneComputation(t, rep)
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
	in, err := ReadForecastReport(path)
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
	b := fcNewTrace(t, odd)
	for i := 0; i < 40; i++ {
		key := []string{"x,y\nz", "plain"}[i%2]
		b.txn(time.Duration(i)*5*time.Millisecond, fcChg{op: stream.OpUpdate, rel: 9, oldKind: 'O',
			old: fcVals(key, "0"), new: fcVals(key, "1")})
	}
	rep := b.forecast(time.Second, ForecastOptions{Regions: 2, Lag: time.Second, Route: RouteRule{Kind: RouteHash}, Seed: 2})
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
