package assess

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// ReadForecastReport reads the JSON of `aadvisor observe`, of this schema
// version or of version 1, which it brings to this version's shape
// (upgradeV1). It is the one reader of forecast files: ReadForecast and
// the commands go through it. Whatever the file holds, the report's
// totals and curves are the sums of its tables' (sum), so every output
// shows one number for one question.
func ReadForecastReport(path string) (*ForecastReport, error) {
	var f ForecastReport
	if err := readJSON(path, &f); err != nil {
		return nil, fmt.Errorf("read forecast: %w", err)
	}
	switch f.SchemaVersion {
	case 1:
		f.upgradeV1()
	case ForecastSchemaVersion:
		f.fillNames(false)
	default:
		return nil, fmt.Errorf("read forecast: %s: schema_version %d not supported (want 1 or %d)", path, f.SchemaVersion, ForecastSchemaVersion)
	}
	f.sum()
	return &f, nil
}

// ReadForecast reads a forecast file for the decision procedure.
func ReadForecast(path string) (*ForecastInput, error) {
	f, err := ReadForecastReport(path)
	if err != nil {
		return nil, err
	}
	return f.Input(), nil
}

// Input is the part of the forecast the decision procedure reads.
func (r *ForecastReport) Input() *ForecastInput {
	in := &ForecastInput{SchemaVersion: r.SchemaVersion, LagMs: r.LagMs, Regions: r.Regions, TotalConflictsPerDay: r.TotalConflictsPerDay}
	for _, t := range r.Tables {
		in.Tables = append(in.Tables, TableForecast{Schema: t.Schema, Name: t.Name, Table: t.Table, WritesPerSec: t.WritesPerSec, ConflictsPerDay: t.ConflictsPerDay})
	}
	for _, h := range r.HotRows {
		in.HotRows = append(in.HotRows, HotRow{Schema: h.Schema, Name: h.Name, Table: h.Table, Key: h.Key, WritesPerSec: h.WritesPerSec, PConflict: h.PConflict})
	}
	return in
}

// fillNames completes a table's schema, name and quoted name from
// whichever the file gives. Version 1 (v1) wrote schema.name unquoted: the
// schema is taken up to the first dot.
func (r *ForecastReport) fillNames(v1 bool) {
	fill := func(schema, name, table *string) {
		switch s, n, ok := strings.Cut(*table, "."); {
		case *name != "":
		case v1 && ok && !strings.Contains(*table, `"`):
			*schema, *name = s, n
		default:
			*schema, *name = inspect.SplitQualified(*table)
		}
		*table = inspect.QuoteQualified(*schema, *name)
	}
	for i := range r.Tables {
		t := &r.Tables[i]
		fill(&t.Schema, &t.Name, &t.Table)
	}
	for i := range r.HotRows {
		h := &r.HotRows[i]
		fill(&h.Schema, &h.Name, &h.Table)
	}
}

// upgradeV1 brings a version 1 forecast to this version's shape. Version 1
// had no schema and name apart (fillNames), no per-table curves, and its
// curve against N was the Poisson model alone: each table gets its
// conflicts/day scaled linearly with W, and against N the shape of the
// old curve through its own number, so the sums (sum) pass through the
// headline. The numbers themselves are the old model's: observe again for
// the current one.
func (r *ForecastReport) upgradeV1() {
	r.fillNames(true)
	atN := 0.0
	for _, p := range r.CurveRegions {
		if p.Regions == r.Regions {
			atN = p.ConflictsPerDay
		}
	}
	for i := range r.Tables {
		t := &r.Tables[i]
		t.CurveLag, t.CurveRegions = nil, nil
		if t.ConflictsPerDay <= 0 {
			continue
		}
		for _, ms := range curveLags(r.LagMs) {
			p := ForecastPoint{LagMs: ms, Regions: r.Regions}
			switch {
			case ms == r.LagMs:
				p.ConflictsPerDay = t.ConflictsPerDay
			case r.LagMs > 0:
				p.ConflictsPerDay = t.ConflictsPerDay * ms / r.LagMs
			}
			t.CurveLag = append(t.CurveLag, p)
		}
		if atN <= 0 {
			t.CurveRegions = []ForecastPoint{{LagMs: r.LagMs, Regions: r.Regions, ConflictsPerDay: t.ConflictsPerDay}}
			continue
		}
		for _, p := range r.CurveRegions {
			t.CurveRegions = append(t.CurveRegions, ForecastPoint{LagMs: r.LagMs, Regions: p.Regions, ConflictsPerDay: t.ConflictsPerDay * p.ConflictsPerDay / atN})
		}
	}
	r.SchemaVersion = ForecastSchemaVersion
}
