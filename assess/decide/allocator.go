package decide

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect"
)

// The forecast replays writes as last-update-wins would apply them: a
// counter row bumped on two nodes within the window keeps one node's
// version, and the other's increments are lost. The forecast alone cannot
// tell a running total from a counter that hands out ids; the assessment
// can (AR206, id-allocator). Together, each lost increment of an id
// allocator is an id two nodes both handed out, a key collision wherever
// the ids are used, which the forecast's key collisions (sequence-fed keys
// only) do not count. recommend and the report page say it from this one
// computation, so neither contradicts the audit.

// allocatorDup is an id allocator whose counter lost increments in the
// forecast's replay.
type allocatorDup struct {
	Object  string // schema.table.column, as the assessment names it
	Table   string
	Column  string
	Lost    int64 // lost increments: ids handed out twice in the replay
	Changes int64
	// PerDay is Lost scaled to a day (0 when the capture's length is unknown).
	PerDay  float64
	Regions int
	Route   string
	LagMs   float64
	Seconds float64
}

// allocatorDups pairs the assessment's id allocators with the counters of
// the forecast that lost increments.
func allocatorDups(findings []assess.ReportFinding, f *forecast.Report) []allocatorDup {
	if f == nil {
		return nil
	}
	var out []allocatorDup
	for _, fd := range findings {
		if !isAllocator(fd) || fd.Table == "" {
			continue
		}
		col := strings.TrimPrefix(fd.Object, fd.Table+".")
		for _, t := range f.Tables {
			if qualify(t.Table) != qualify(fd.Table) {
				continue
			}
			for _, c := range t.Counters {
				if c.Column != col || c.Lost <= 0 {
					continue
				}
				d := allocatorDup{Object: fd.Object, Table: fd.Table, Column: col, Lost: c.Lost, Changes: c.Changes,
					Regions: f.Regions, Route: f.Route, LagMs: f.LagMs, Seconds: f.Capture.DurationS}
				if d.Route == "" {
					d.Route = forecast.RouteHash
				}
				if f.Capture.DurationS > 0 {
					d.PerDay = float64(c.Lost) / f.Capture.DurationS * 86400
				}
				out = append(out, d)
			}
		}
	}
	return out
}

// text says what the lost increments mean for an id allocator.
func (d allocatorDup) text() string {
	when := ""
	if d.Seconds > 0 {
		when = fmt.Sprintf(" in %s s of capture (≈ %s a day)", forecast.FormatNum(d.Seconds), fmtRate(d.PerDay))
	}
	return fmt.Sprintf("%s hands out ids (assessment: id-allocator), and the forecast's replay (%d regions, route %s, W = %s) lost %s of its %s increments to last-update-wins: %s ids that two nodes both handed out%s, each a key collision where the ids are used. The forecast's key collisions count sequence-fed keys only and leave these out.",
		d.Object, d.Regions, d.Route, fmtMs(d.LagMs), inspect.GroupThousands(d.Lost), inspect.GroupThousands(d.Changes), inspect.GroupThousands(d.Lost), when)
}
