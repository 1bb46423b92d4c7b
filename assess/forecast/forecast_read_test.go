package forecast_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/assess/forecast/forecasttest"
)

// A version 1 file (observe before schema and name were apart) still reads:
// names are split at the first dot and quoted, and the numbers are brought
// to one computation (the total is the sum of the tables, the curves pass
// through it).
func TestReadForecastV1(t *testing.T) {
	rep, err := forecast.ReadReport(filepath.Join("..", "decide", "testdata", "htmlreport", "forecast.json"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.SchemaVersion != forecast.SchemaVersion {
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
	forecasttest.Near(t, "total", rep.TotalConflictsPerDay, 915840.5, 1e-9)
	forecasttest.CheckOneComputation(t, rep)
	// Its key collisions, apart: 1000 + 500 insert conflicts in 20 s.
	forecasttest.Near(t, "key collisions", rep.KeyCollisionsPerDay, 1500.0/20*86400, 1e-6)

	path := forecasttest.WriteFile(t, `{"schema_version": 1, "regions": 2, "lag_ms": 100,
 "tables": [{"table": "public.a.b", "conflicts_per_day": 10}, {"table": "app.t", "conflicts_per_day": 5}],
 "hot_rows": [{"table": "public.a.b", "key": "id=1", "p_conflict": 0.5}]}`)
	rep, err = forecast.ReadReport(path)
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
	forecasttest.CheckOneComputation(t, rep)
	in, err := forecast.ReadReport(path)
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
		_, err := forecast.ReadReport(forecasttest.WriteFile(t, body))
		if err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "read forecast: ") {
			t.Errorf("%q: %v, want %q", body, err, want)
		}
	}
}

// A version 2 file written by hand with only the quoted name gets its
// schema and name from it.
func TestReadForecastV2Names(t *testing.T) {
	rep, err := forecast.ReadReport(forecasttest.WriteFile(t, `{"schema_version": 2, "regions": 2, "lag_ms": 100,
 "tables": [{"table": "\"My App\".\"a.b\"", "conflicts_per_day": 3}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if tab := rep.Tables[0]; tab.Schema != "My App" || tab.Name != "a.b" || tab.Table != `"My App"."a.b"` || rep.TotalConflictsPerDay != 3 {
		t.Errorf("%+v total %v", tab, rep.TotalConflictsPerDay)
	}
}
