package forecast

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// ReadReport reads the JSON of `aadvisor observe`, of this schema
// version or of versions 1 and 2, which it brings to this version's shape
// (upgradeV1, upgradeV2). It is the one reader of forecast files: the
// decision procedure reads the report it returns. Whatever the file holds,
// the report's totals and curves are the sums of its tables' (sum), so
// every output shows one number for one question.
func ReadReport(path string) (*Report, error) {
	var f Report
	if err := inspect.ReadJSONFile(path, &f); err != nil {
		return nil, fmt.Errorf("read forecast: %w", err)
	}
	switch f.SchemaVersion {
	case 1:
		f.upgradeV1()
	case 2:
		f.upgradeV2()
	case SchemaVersion:
		f.fillNames(false)
	default:
		return nil, fmt.Errorf("read forecast: %s: schema_version %d not supported (want 1, 2 or %d)", path, f.SchemaVersion, SchemaVersion)
	}
	if f.Sequences == "" {
		f.Sequences = SequencesShared
	}
	f.Sum()
	return &f, nil
}

// upgradeOld marks a report read from a version 1 or 2 file: it says
// that its conflicts/day are the old model's, and the outputs show no
// conflicting applies or hot-row conflicts/day, which those versions did
// not count (unknown).
func (r *Report) upgradeOld(version int) {
	r.oldModel = version
	r.Warnings = append(r.Warnings, fmt.Sprintf("this forecast file is of schema_version %d: its conflicts/day count pairs of writes to one row within W, which can exceed the writes the mesh applies; observe again to count conflicting applies, what a mesh logs", version))
}

// unknown is what the outputs show for a count an old file lacks.
const Unknown = "–"

// applies is a count of conflicting applies as the outputs show it.
func (r *Report) Applies(n int64) string {
	if r.oldModel != 0 {
		return Unknown
	}
	return fmt.Sprint(n)
}

// fillNames completes a table's schema, name and quoted name from
// whichever the file gives. Version 1 (v1) wrote schema.name unquoted: the
// schema is taken up to the first dot.
func (r *Report) fillNames(v1 bool) {
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
// headline. Its conflicts/day left key collisions out, as this version
// does; they are its insert conflicts on sequence keys scaled to a day.
// The numbers themselves are the old model's (upgradeOld).
func (r *Report) upgradeV1() {
	r.fillNames(true)
	r.upgradeOld(1)
	for i := range r.Tables {
		t := &r.Tables[i]
		if r.Capture.DurationS > 0 {
			t.KeyCollisionsPerDay = float64(t.SeqInsertConflicts) / r.Capture.DurationS * 86400
		}
	}
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
			p := Point{LagMs: ms, Regions: r.Regions}
			switch {
			case ms == r.LagMs:
				p.ConflictsPerDay = t.ConflictsPerDay
			case r.LagMs > 0:
				p.ConflictsPerDay = t.ConflictsPerDay * ms / r.LagMs
			}
			t.CurveLag = append(t.CurveLag, p)
		}
		if atN <= 0 {
			t.CurveRegions = []Point{{LagMs: r.LagMs, Regions: r.Regions, ConflictsPerDay: t.ConflictsPerDay}}
			continue
		}
		for _, p := range r.CurveRegions {
			t.CurveRegions = append(t.CurveRegions, Point{LagMs: r.LagMs, Regions: p.Regions, ConflictsPerDay: t.ConflictsPerDay * p.ConflictsPerDay / atN})
		}
	}
	r.SchemaVersion = SchemaVersion
}

// upgradeV2 brings a version 2 forecast to this version's shape. Version 2
// added key collisions, as pairs of inserts, into each table's
// conflicts/day and curves: they come out again (a constant against W,
// in proportion to N − 1 against N) and become the insert conflicts the
// nodes log, twice the pairs. The rest are the old model's pairs of
// writes (upgradeOld).
func (r *Report) upgradeV2() {
	r.fillNames(false)
	r.upgradeOld(2)
	less := func(v, k float64) float64 {
		if d := v - k; d > 1e-9*max(v, 1) {
			return d
		}
		return 0
	}
	for i := range r.Tables {
		t := &r.Tables[i]
		pairs := t.KeyCollisionsPerDay
		if pairs <= 0 {
			continue
		}
		var inserts int64
		for _, n := range t.InsertsPerRgn {
			inserts += n
		}
		atN := func(n int) float64 { // version 2's pairs at n regions
			switch {
			case n == r.Regions:
				return pairs
			case r.Regions > 1:
				return pairs * float64(n-1) / float64(r.Regions-1)
			case r.Capture.DurationS > 0:
				return float64(inserts) * float64(n-1) / 2 / r.Capture.DurationS * 86400
			}
			return 0
		}
		t.ConflictsPerDay = less(t.ConflictsPerDay, pairs)
		t.KeyCollisionsPerDay = 2 * pairs
		some := false
		for j := range t.CurveLag {
			p := &t.CurveLag[j]
			p.ConflictsPerDay = less(p.ConflictsPerDay, atN(p.Regions))
			some = some || p.ConflictsPerDay > 0
		}
		for j := range t.CurveRegions {
			p := &t.CurveRegions[j]
			p.ConflictsPerDay = less(p.ConflictsPerDay, atN(p.Regions))
			some = some || p.ConflictsPerDay > 0
		}
		if !some {
			t.CurveLag, t.CurveRegions = nil, nil
		}
	}
	r.SchemaVersion = SchemaVersion
}
