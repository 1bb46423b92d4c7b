package forecast_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/assess/forecast/forecasttest"
	"github.com/aadvisor/aadvisor/inspect/stream"
)

// fcRandomTrace writes a random trace over a hot counter table, a
// sequence-keyed table, a table without a key and a uuid-keyed one:
// bursts of writes a few ms apart and pauses of up to seconds, a few rows
// taking most updates, inserts and deletes.
func fcRandomTrace(t *testing.T, r *rand.Rand) (*forecasttest.TraceBuilder, time.Duration) {
	b := forecasttest.NewTrace(t, forecasttest.Counters, forecasttest.Orders, forecasttest.Audit, forecasttest.Events)
	writers := []string{"a", "b", "c"}
	at := time.Duration(0)
	order, event := 0, 0
	hot := 1 + r.IntN(6)
	for i, n := 0, 1+r.IntN(300); i < n; i++ {
		if r.IntN(8) == 0 {
			at += time.Duration(r.IntN(3000)) * time.Millisecond
		} else {
			at += time.Duration(r.IntN(5000)) * time.Microsecond
		}
		w := writers[r.IntN(len(writers))]
		var chg []forecasttest.Chg
		for j, k := 0, 1+r.IntN(3); j < k; j++ {
			id := fmt.Sprint(1 + r.IntN(hot))
			switch op := r.IntN(10); {
			case op < 5:
				v := fmt.Sprint(r.IntN(100))
				chg = append(chg, forecasttest.Chg{Op: stream.OpUpdate, Rel: 1, OldKind: 'O', Old: forecasttest.Vals(id, v, w), New: forecasttest.Vals(id, fmt.Sprint(r.IntN(100)), w)})
			case op == 5:
				chg = append(chg, forecasttest.Chg{Op: stream.OpInsert, Rel: 1, New: forecasttest.Vals(id, "0", w)})
			case op == 6:
				chg = append(chg, forecasttest.Chg{Op: stream.OpDelete, Rel: 1, OldKind: 'K', Old: forecasttest.Vals(id, "NULL", "NULL")})
			case op == 7:
				order++
				chg = append(chg, forecasttest.Chg{Op: stream.OpInsert, Rel: 2, New: forecasttest.Vals(fmt.Sprint(order), w)})
			case op == 8:
				chg = append(chg, forecasttest.Chg{Op: stream.OpInsert, Rel: 3, New: forecasttest.Vals(fmt.Sprint(r.IntN(3)), w, "x")})
			default:
				if event == 0 || r.IntN(3) > 0 {
					event++
				}
				chg = append(chg, forecasttest.Chg{Op: stream.OpInsert, Rel: 4, New: forecasttest.Vals(fmt.Sprintf("00000000-0000-4000-8000-%012d", event), "click")})
			}
		}
		b.Txn(at, chg...)
	}
	return b, at + time.Duration(r.IntN(2000))*time.Millisecond
}

// No forecast logs more conflicts than the mesh applies remote changes:
// over random traces, regions, windows, routes and sequence strategies,
// each row's, table's and the headline's conflicts (replayed and per day,
// at every point of every curve) stay within writes × (N − 1), key
// collisions within inserts × (N − 1), the per-day number never falls
// below the replay's, and the numbers stay one computation.
func TestForecastNeverAboveApplies(t *testing.T) {
	r := rand.New(rand.NewPCG(12, 2026))
	lags := []time.Duration{0, time.Millisecond, 20 * time.Millisecond, 200 * time.Millisecond, time.Second, time.Hour}
	for c := 0; c < 150; c++ {
		b, end := fcRandomTrace(t, r)
		o := forecast.Options{Regions: 1 + r.IntN(6), Lag: lags[r.IntN(len(lags))], HomeShare: r.Float64(), Seed: r.Uint64(), Top: 50}
		switch r.IntN(3) {
		case 1:
			o.Route = forecast.RouteRule{Kind: forecast.RouteColumn, Column: "writer"}
		case 2:
			if o.Regions >= 2 {
				o.Route = forecasttest.MapRoute(t)
			}
		}
		if r.IntN(2) == 0 {
			o.Sequences = forecast.SequencesOffsets
		}
		if r.IntN(5) == 0 {
			o.MaxRows = 1 + r.IntN(5)
		}
		name := fmt.Sprintf("case %d (N=%d W=%s route %s h=%.2f sequences %q)", c, o.Regions, o.Lag, o.Route, o.HomeShare, o.Sequences)
		rep := b.Forecast(end, o)
		fcCheckApplies(t, name, rep)
		if t.Failed() {
			return
		}
	}
}

func fcCheckApplies(t *testing.T, name string, rep *forecast.Report) {
	t.Helper()
	n := float64(rep.Regions - 1)
	dur := rep.Capture.DurationS
	le := func(what string, got, limit float64) {
		t.Helper()
		if got > limit*(1+1e-9)+1e-9 {
			t.Errorf("%s: %s = %v, above %v", name, what, got, limit)
		}
	}
	forecasttest.CheckOneComputation(t, rep)
	writes := 0.0
	tables := map[string]forecast.Table{}
	for _, tab := range rep.Tables {
		tables[tab.Table] = tab
		applied := float64(tab.Writes) * n
		writes += tab.WritesPerSec
		le(tab.Table+" conflicting applies", float64(tab.ConflictingApplies), float64(tab.OriginDiffers))
		le(tab.Table+" logged", float64(tab.OriginDiffers), applied)
		le(tab.Table+" conflicts/day", tab.ConflictsPerDay, tab.WritesPerSec*86400*n)
		// never below the replay, not even by a rounding: a mesh shows
		// what the replay counted
		if tab.MeasuredPerDay > tab.ConflictsPerDay {
			t.Errorf("%s: %s: replay %v/day above the forecast %v/day", name, tab.Table, tab.MeasuredPerDay, tab.ConflictsPerDay)
		}
		le(tab.Table+" model/day", tab.ExpectedPerDay, tab.ConflictsPerDay)
		var inserts int64
		for _, x := range tab.InsertsPerRgn {
			inserts += x
		}
		le(tab.Table+" insert conflicts", float64(tab.SeqInsertConflicts), float64(inserts)*n)
		le(tab.Table+" key collisions/day", tab.KeyCollisionsPerDay, float64(inserts)/dur*86400*n)
		if rep.Sequences == forecast.SequencesOffsets && tab.KeyCollisionsPerDay != 0 {
			t.Errorf("%s: %s: key collisions %v with per-node offsets", name, tab.Table, tab.KeyCollisionsPerDay)
		}
		for _, p := range append(append([]forecast.Point(nil), tab.CurveLag...), tab.CurveRegions...) {
			le(fmt.Sprintf("%s at W=%v N=%d", tab.Table, p.LagMs, p.Regions), p.ConflictsPerDay, tab.WritesPerSec*86400*float64(p.Regions-1))
		}
		if rep.LagMs == 0 && (tab.ConflictingApplies != 0 || tab.ConflictsPerDay != 0) {
			t.Errorf("%s: %s: W = 0 conflicts: %d, %v/day", name, tab.Table, tab.ConflictingApplies, tab.ConflictsPerDay)
		}
	}
	le("headline", rep.TotalConflictsPerDay, writes*86400*n)
	for _, p := range append(append([]forecast.Point(nil), rep.CurveLag...), rep.CurveRegions...) {
		le(fmt.Sprintf("report at W=%v N=%d", p.LagMs, p.Regions), p.ConflictsPerDay, writes*86400*float64(p.Regions-1))
	}
	for _, h := range rep.HotRows {
		what := h.Table + " " + h.Key
		le(what+" conflicting applies", float64(h.ConflictingApplies), float64(h.OriginDiffers))
		le(what+" logged", float64(h.OriginDiffers), float64(h.Writes)*n)
		le(what+" conflicts/day", h.ConflictsPerDay, h.WritesPerSec*86400*n)
		le(what+" replay/day", float64(h.ConflictingApplies)/dur*86400, h.ConflictsPerDay)
		le(what+" conflicts/day, of its table's", h.ConflictsPerDay, tables[h.Table].ConflictsPerDay)
		if h.PConflict < 0 || h.PConflict > 1 || math.IsNaN(h.PConflict) {
			t.Errorf("%s: %s: P(conflict) %v", name, what, h.PConflict)
		}
	}
}
