package forecast_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/assess/forecast/forecasttest"
	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/google/go-cmp/cmp"
)

// Hand-worked: K = 10 updates alternating a, b, 10 ms apart.
//
// W = 1 h (longer than the whole run): no node sees the other's writes
// until the end. Node a delivers b's 5 writes onto a row a wrote last: 5
// origin-differs events (b's last, newer, wins); node b likewise gets a's 5
// (all older than its own last): 5. Each finds a write its sender had not
// seen: 10 conflicting applies, one per remote change. Concurrent pairs:
// every a–b pair, 5×5 = 25, more than the 10 changes applied. The
// converged row is b's last version, built on b's own 5 increments: 5
// increments lost, Δ 5.
//
// W = 0: each write is seen before the next. a's first write lands on the
// pre-trace row (origin unknown, not counted); each later write lands on a
// row the other region wrote last: 9 origin-differs events, but each
// sender had seen the row it lands on: no conflicting apply, no
// concurrent pair, nothing lost.
func TestForecastAlternatingCounter(t *testing.T) {
	for _, tc := range []struct {
		lag  time.Duration
		want forecast.Counts
	}{
		{time.Hour, forecast.Counts{Writes: 10, OriginDiffers: 10, ConflictingApplies: 10, Concurrent: 25, LostIncrements: 5, LostDelta: 5}},
		{0, forecast.Counts{Writes: 10, OriginDiffers: 9}},
		// W = 15 ms covers one neighbour only: each write after the first is
		// concurrent with its predecessor (9 pairs). Each region builds on
		// its own previous write only (the other's arrives 5 ms too late
		// and loses on time stamps): b's chain of 5 wins, 5 lost. Every
		// write arrives 15 ms later at a node that wrote 10 ms after it:
		// 10 conflicting applies.
		{15 * time.Millisecond, forecast.Counts{Writes: 10, OriginDiffers: 10, ConflictingApplies: 10, Concurrent: 9, LostIncrements: 5, LostDelta: 5}},
	} {
		t.Run(tc.lag.String(), func(t *testing.T) {
			rep := forecasttest.Alternating(t, 10, 10*time.Millisecond).Forecast(10*time.Second,
				forecast.Options{Regions: 2, Lag: tc.lag, Route: forecasttest.MapRoute(t), HomeShare: 1})
			if d := cmp.Diff(tc.want, rep.Totals); d != "" {
				t.Errorf("totals (-want +got):\n%s", d)
			}
			if len(rep.Tables) != 1 || len(rep.Tables[0].Counters) != 1 {
				t.Fatalf("tables %+v", rep.Tables)
			}
			c := rep.Tables[0].Counters[0]
			if c.Column != "n" || c.Changes != 10 || c.Lost != tc.want.LostIncrements || c.TotalDelta != 10 {
				t.Errorf("counter %+v", c)
			}
			if len(rep.HotRows) != 1 || rep.HotRows[0].Key != "id=1" || rep.HotRows[0].Writes != 10 {
				t.Errorf("hot rows %+v", rep.HotRows)
			}
			if !rep.Tables[0].ChangedExact || rep.Tables[0].ChangedColumns["n"] != 10 || rep.Tables[0].ChangedColumns["id"] != 0 {
				t.Errorf("changed columns %v exact %v", rep.Tables[0].ChangedColumns, rep.Tables[0].ChangedExact)
			}
		})
	}
}

// One region writes: nothing conflicts whatever W.
func TestForecastOneWriter(t *testing.T) {
	b := forecasttest.NewTrace(t, forecasttest.Counters)
	for i := 0; i < 6; i++ {
		b.Txn(time.Duration(i)*time.Millisecond, forecasttest.Chg{Op: stream.OpUpdate, Rel: 1, OldKind: 'O',
			Old: forecasttest.Vals("1", fmt.Sprint(i), "a"), New: forecasttest.Vals("1", fmt.Sprint(i+1), "a")})
	}
	rep := b.Forecast(time.Second, forecast.Options{Regions: 3, Lag: time.Hour, Route: forecasttest.MapRoute(t), HomeShare: 1})
	if d := cmp.Diff(forecast.Counts{Writes: 6}, rep.Totals); d != "" {
		t.Errorf("totals (-want +got):\n%s", d)
	}
}

// Region 1 inserts 3 orders and region 2 inserts 2, each with its own
// sequence starting at the same value: values 1 and 2 are handed out twice
// (5 − 3 = 2 collisions) and each receiving node logs an insert conflict
// per clash: 2·min(3, 2) = 4.
func TestForecastSequenceCollisions(t *testing.T) {
	b := forecasttest.NewTrace(t, forecasttest.Orders)
	for i, w := range []string{"a", "b", "a", "b", "a"} {
		b.Txn(time.Duration(i)*time.Second, forecasttest.Chg{Op: stream.OpInsert, Rel: 2, New: forecasttest.Vals(fmt.Sprint(i+1), w)})
	}
	rep := b.Forecast(10*time.Second, forecast.Options{Regions: 2, Lag: 100 * time.Millisecond, Route: forecasttest.MapRoute(t), HomeShare: 1})
	tab := rep.Tables[0]
	if tab.SeqCollisions != 2 || tab.SeqInsertConflicts != 4 || tab.SequenceKey != "id" || !cmp.Equal(tab.InsertsPerRgn, []int64{3, 2}) {
		t.Errorf("table %+v", tab)
	}
	if tab.Concurrent != 0 || tab.OriginDiffers != 0 {
		t.Errorf("distinct keys conflicted: %+v", tab.Counts)
	}
}

// Inserts of one key from two regions within W collide; a delete that
// arrives after the row is gone is logged.
func TestForecastInsertDelete(t *testing.T) {
	b := forecasttest.NewTrace(t, forecasttest.Counters)
	b.Txn(0, forecasttest.Chg{Op: stream.OpInsert, Rel: 1, New: forecasttest.Vals("7", "0", "a")})
	b.Txn(time.Millisecond, forecasttest.Chg{Op: stream.OpInsert, Rel: 1, New: forecasttest.Vals("7", "0", "b")})
	rep := b.Forecast(time.Second, forecast.Options{Regions: 2, Lag: 50 * time.Millisecond, Route: forecasttest.MapRoute(t), HomeShare: 1})
	// Each node already has its own insert when the other's arrives.
	if d := cmp.Diff(forecast.Counts{Writes: 2, OriginDiffers: 2, ConflictingApplies: 2, Concurrent: 1}, rep.Totals); d != "" {
		t.Errorf("insert/insert (-want +got):\n%s", d)
	}

	b = forecasttest.NewTrace(t, forecasttest.Counters)
	b.Txn(0, forecasttest.Chg{Op: stream.OpDelete, Rel: 1, OldKind: 'K', Old: forecasttest.Vals("7", "NULL", "a")})
	b.Txn(time.Millisecond, forecasttest.Chg{Op: stream.OpDelete, Rel: 1, OldKind: 'K', Old: forecasttest.Vals("7", "NULL", "b")})
	rep = b.Forecast(time.Second, forecast.Options{Regions: 2, Lag: 50 * time.Millisecond, Route: forecasttest.MapRoute(t), HomeShare: 1})
	if d := cmp.Diff(forecast.Counts{Writes: 2, OriginDiffers: 2, ConflictingApplies: 2, Concurrent: 1}, rep.Totals); d != "" {
		t.Errorf("delete/delete (-want +got):\n%s", d)
	}
}

// The formulas of docs/observe.md and docs/decision.md, by hand.
func TestForecastFormulas(t *testing.T) {
	// P(a write conflicts) with the other writes at 10/s, half of them
	// from the other region, W = 100 ms: 1 − e^(−2·0.1·5) = 1 − e^(−1).
	forecasttest.Near(t, "p conflict", forecast.RowPConflict(0.1, 10, []float64{0.5, 0.5}), 1-math.Exp(-1), 1e-12)
	forecasttest.Near(t, "p one region", forecast.RowPConflict(0.1, 10, []float64{1}), 0, 0)
	// Two regions: conflicting applies are λ·P(conflict). A counter row
	// at 10 writes/s split evenly, W = 100 ms: 10·(1 − e^(−1)) ≈ 6.32/s,
	// where the pair rate 2W·λA·λB is 2·0.1·5·5 = 5/s, and at W = 1 s the
	// pairs are 50/s but the applies at most 10/s.
	forecasttest.Near(t, "applies, 2 regions", forecast.RowConflictingApplies(0.1, 10, 10, []float64{0.5, 0.5}), 10*(1-math.Exp(-1)), 1e-12)
	forecasttest.Near(t, "applies, W = 1 s", forecast.RowConflictingApplies(1, 10, 10, []float64{0.5, 0.5}), 10*(1-math.Exp(-10)), 1e-12)
	forecasttest.Near(t, "applies saturate", forecast.RowConflictingApplies(100, 10, 10, []float64{0.5, 0.5}), 10, 1e-9)
	// Home routing, off-home share f = 0.05, λ = λ' = 10, W = 100 ms:
	// 10·(0.95(1 − e^(−0.1)) + 0.05(1 − e^(−1.9))).
	forecasttest.Near(t, "home routed", forecast.RowConflictingApplies(0.1, 10, 10, []float64{0.95, 0.05}),
		10*(0.95*(1-math.Exp(-0.1))+0.05*(1-math.Exp(-1.9))), 1e-12)
	// Three even regions: a write reaches 2 nodes; at each, the node's own
	// writes within ±W (λ'/3 over 2W) and the third region's within W
	// before it (λ'/3 over W): 2·(1 − e^(−W·λ'·(1 − 1/3 + 1/3))) per write.
	third := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}
	forecasttest.Near(t, "applies, 3 regions", forecast.RowConflictingApplies(0.1, 10, 10, third), 10*2*(1-math.Exp(-1)), 1e-12)
	forecasttest.Near(t, "applies, 3 regions saturate", forecast.RowConflictingApplies(1e3, 10, 10, third), 20, 1e-9)
	forecasttest.Near(t, "one region", forecast.RowConflictingApplies(0.1, 10, 10, []float64{1}), 0, 0)
	// The routing model's shares.
	forecasttest.Near(t, "home share", forecast.ModelShares(2, 1, 0.95)[0], 0.95, 1e-15)
	forecasttest.Near(t, "off-home share", forecast.ModelShares(2, 1, 0.95)[1], 0.05, 1e-15)
	for i, s := range forecast.ModelShares(4, 0, 0.95) {
		forecasttest.Near(t, fmt.Sprintf("uniform share %d", i), s, 0.25, 1e-15)
	}
	forecasttest.Near(t, "half routed, home", forecast.ModelShares(3, 0.5, 0.9)[0], 0.5*0.9+0.5/3, 1e-15)
	forecasttest.Near(t, "half routed, other", forecast.ModelShares(3, 0.5, 0.9)[1], 0.5*0.05+0.5/3, 1e-15)
}

// Expected conflicts/day from a trace: row 1 written 100 times and row 2
// 10 times over 100 s, hash routing over 2 regions, W = 100 ms. A write
// conflicts when the other region wrote the row within ±W: at λ'/2 over
// 2W, so each row adds λ·(1 − e^(−W·λ')): 1·(1 − e^(−0.099)) +
// 0.1·(1 − e^(−0.009)) per second. Against W the same with W; against N
// (even shares) a write reaches N − 1 nodes, each with the same chance:
// (N − 1) times the value at N = 2.
func TestForecastExpectedCurve(t *testing.T) {
	b := forecasttest.NewTrace(t, forecasttest.Counters)
	for i := 0; i < 100; i++ {
		b.Txn(time.Duration(i)*time.Second, forecasttest.Chg{Op: stream.OpUpdate, Rel: 1, New: forecasttest.Vals("1", fmt.Sprint(i), "x")})
		if i%10 == 0 {
			b.Txn(time.Duration(i)*time.Second+time.Millisecond, forecasttest.Chg{Op: stream.OpUpdate, Rel: 1, New: forecasttest.Vals("2", fmt.Sprint(i), "x")})
		}
	}
	rep := b.Forecast(100*time.Second, forecast.Options{Regions: 2, Lag: 100 * time.Millisecond, Route: forecast.RouteRule{Kind: forecast.RouteHash}})
	at := func(w float64) float64 { return 86400 * (1*(1-math.Exp(-w*0.99)) + 0.1*(1-math.Exp(-w*0.09))) }
	forecasttest.Near(t, "expected/day", rep.ExpectedPerDay, at(0.1), 1e-6)
	forecasttest.Near(t, "expected/day by hand", rep.ExpectedPerDay, 8221.24, 0.01)
	if rep.TotalConflictsPerDay < rep.ExpectedPerDay || rep.Tables[0].ConflictsPerDay != rep.TotalConflictsPerDay {
		t.Errorf("total %v expected %v", rep.TotalConflictsPerDay, rep.ExpectedPerDay)
	}
	for _, p := range rep.CurveLag {
		forecasttest.Near(t, fmt.Sprintf("curve W=%v", p.LagMs), p.ConflictsPerDay, at(p.LagMs/1000), 1e-6)
	}
	for _, p := range rep.CurveRegions {
		forecasttest.Near(t, fmt.Sprintf("curve N=%d", p.Regions), p.ConflictsPerDay, at(0.1)*float64(p.Regions-1), 1e-6)
	}
	// Row 2's writes are 1 s + 1 ms after row 1's, far apart: measured 0
	// for row 2; row 1's writes are 1 s apart, W = 100 ms: 0 too.
	if rep.Totals.Concurrent != 0 || rep.Totals.ConflictingApplies != 0 || rep.MeasuredPerDay != 0 {
		t.Errorf("measured %v", rep.Totals)
	}
	// The hot rows carry their own share of it.
	if len(rep.HotRows) != 2 {
		t.Fatalf("hot rows %+v", rep.HotRows)
	}
	forecasttest.Near(t, "row 1/day", rep.HotRows[0].ConflictsPerDay, 86400*(1-math.Exp(-0.099)), 1e-6)
	// The text and markdown renderings carry the numbers.
	var txt, md bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"8221", "8144", "public.counters", "id=1"} {
		if !strings.Contains(txt.String(), s) || !strings.Contains(md.String(), s) {
			t.Errorf("rendering lacks %q:\n%s\n%s", s, txt.String(), md.String())
		}
	}
}

// Hash routing is deterministic for a seed and spreads transactions evenly.
func TestForecastHashRouting(t *testing.T) {
	build := func() *forecasttest.TraceBuilder {
		b := forecasttest.NewTrace(t, forecasttest.Counters)
		for i := 0; i < 2000; i++ {
			b.Txn(time.Duration(i)*time.Millisecond, forecasttest.Chg{Op: stream.OpInsert, Rel: 1, New: forecasttest.Vals(fmt.Sprint(i), "0", "x")})
		}
		return b
	}
	o := forecast.Options{Regions: 2, Lag: 10 * time.Millisecond, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 42}
	a1 := build().Forecast(2*time.Second, o)
	a2 := build().Forecast(2*time.Second, o)
	if d := cmp.Diff(a1, a2, cmp.AllowUnexported(forecast.Table{}, forecast.Report{})); d != "" {
		t.Errorf("same seed, different forecasts:\n%s", d)
	}
	// Count the regions directly.
	f := forecast.NewForecaster(forecast.Options{Regions: 2, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 42})
	n := 0
	for i := 0; i < 2000; i++ {
		r, home, routed := f.Region(&stream.Txn{CommitLSN: uint64(1000 + 100*i), Xid: uint32(i)})
		if routed || home != r {
			t.Fatal("hash route reported routed")
		}
		n += r
	}
	if n < 900 || n > 1100 {
		t.Errorf("region 2 got %d of 2000 transactions", n)
	}
	// Home share 0.8 keeps about 80% of routed transactions at home.
	f = forecast.NewForecaster(forecast.Options{Regions: 3, Route: forecast.RouteRule{Kind: forecast.RouteColumn, Column: "writer"}, HomeShare: 0.8, Seed: 7})
	home := 0
	for i := 0; i < 2000; i++ {
		txn := &stream.Txn{CommitLSN: uint64(1000 + 100*i), Xid: uint32(i),
			Changes: []stream.Change{{Op: stream.OpInsert, Table: forecasttest.Counters, New: []stream.Value{{Kind: 't', Data: []byte("1")}, {Kind: 't', Data: []byte("0")}, {Kind: 't', Data: []byte("tenant-9")}}}}}
		r, h, routed := f.Region(txn)
		if !routed || h != int(forecast.HashString(7, "tenant-9")%3) {
			t.Fatalf("column route: routed %v home %d", routed, h)
		}
		if r == h {
			home++
		}
	}
	if home < 1500 || home > 1700 {
		t.Errorf("home share: %d of 2000 at home", home)
	}
}

func TestParseRoute(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want forecast.RouteRule
		err  string
	}{
		{"hash", forecast.RouteRule{Kind: forecast.RouteHash}, ""},
		{"", forecast.RouteRule{Kind: forecast.RouteHash}, ""},
		{"column:tenant_id", forecast.RouteRule{Kind: forecast.RouteColumn, Column: "tenant_id"}, ""},
		{"app.orders.region=eu:1, orders.region=us:r2", forecast.RouteRule{Kind: forecast.RouteMap, Entries: []forecast.RouteEntry{
			{Table: "app.orders", Column: "region", Value: "eu", Region: 1}, {Table: "orders", Column: "region", Value: "us", Region: 2}}}, ""},
		{"orders.region=eu:3", forecast.RouteRule{}, "want 1 to 2"},
		{"column:", forecast.RouteRule{}, "want column:COLUMN"},
		{"orders=eu:1", forecast.RouteRule{}, "want hash"},
		{"orders.region=eu", forecast.RouteRule{}, "want hash"},
	} {
		got, err := forecast.ParseRoute(tc.in, 2)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: err %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%q (-want +got):\n%s", tc.in, d)
		}
	}
}

// A trace cut short keeps its whole transactions and says so.
func TestForecastTruncatedTrace(t *testing.T) {
	b := forecasttest.Alternating(t, 4, time.Millisecond)
	if err := b.W.Flush(); err != nil {
		t.Fatal(err)
	}
	data := b.Buf.Bytes()
	for cut := len(data) - 1; cut > len(data)-40; cut-- {
		r, err := stream.NewReader(bytes.NewReader(data[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := forecast.Run(r, forecast.Options{Regions: 2, Lag: time.Hour, Route: forecasttest.MapRoute(t), HomeShare: 1})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if rep.Capture.Txns != 3 || rep.Capture.Complete || len(rep.Warnings) == 0 {
			t.Errorf("cut at %d: %d txns, complete %v, warnings %v", cut, rep.Capture.Txns, rep.Capture.Complete, rep.Warnings)
		}
	}
	if _, err := stream.NewReader(strings.NewReader("not a trace")); err == nil {
		t.Error("garbage accepted")
	}
}

func TestForecastBadOptions(t *testing.T) {
	for _, o := range []forecast.Options{{Regions: 0}, {Regions: 65}, {Regions: 2, Lag: -1}, {Regions: 2, HomeShare: 2}} {
		b := forecasttest.NewTrace(t)
		b.W.Close(stream.Footer{})
		r, _ := stream.NewReader(bytes.NewReader(b.Buf.Bytes()))
		if _, err := forecast.Run(r, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// The row cap bounds memory and says so.
func TestForecastRowCap(t *testing.T) {
	b := forecasttest.NewTrace(t, forecasttest.Counters)
	for i := 0; i < 50; i++ {
		b.Txn(time.Duration(i)*time.Millisecond, forecasttest.Chg{Op: stream.OpInsert, Rel: 1, New: forecasttest.Vals(fmt.Sprint(i), "0", "x")})
	}
	rep := b.Forecast(time.Second, forecast.Options{Regions: 2, Lag: time.Second, MaxRows: 10})
	if rep.Tables[0].Rows != 10 || rep.Tables[0].Writes != 50 || !strings.Contains(strings.Join(rep.Warnings, " "), "row cap") {
		t.Errorf("rows %d writes %d warnings %v", rep.Tables[0].Rows, rep.Tables[0].Writes, rep.Warnings)
	}
}

// The JSON is what recommend --forecast reads.
func TestForecastJSONReadBack(t *testing.T) {
	rep := forecasttest.Alternating(t, 10, 10*time.Millisecond).Forecast(10*time.Second,
		forecast.Options{Regions: 2, Lag: time.Hour, Route: forecasttest.MapRoute(t), HomeShare: 1})
	in := forecasttest.WriteRead(t, rep)
	if in.SchemaVersion != forecast.SchemaVersion || in.LagMs != 3.6e6 || in.Regions != 2 || len(in.Tables) != 1 || len(in.HotRows) != 1 {
		t.Fatalf("read back %+v", in)
	}
	if in.Tables[0].Table != "public.counters" || in.Tables[0].ConflictsPerDay != rep.Tables[0].ConflictsPerDay ||
		in.TotalConflictsPerDay != rep.TotalConflictsPerDay || in.HotRows[0].Key != "id=1" || in.HotRows[0].PConflict != rep.HotRows[0].PConflict {
		t.Errorf("read back %+v, wrote %+v", in, rep)
	}
}

// A row owned by one home (route column:id, home share 0.9, 2 regions)
// written 10 times in 10 s: λ = 1/s, λ' = 0.9/s, shares 0.9/0.1, W = 100
// ms: λ·P(conflict) = 0.9(1 − e^(−0.018)) + 0.1(1 − e^(−0.162)) per second,
// whatever region each write drew. The writes are 10 ms apart, so the
// replay finds more: its conflicting applies set the table's number, and
// the other points scale by the same factor, never above a remote change
// per write and node.
func TestForecastHomeShareExpected(t *testing.T) {
	route, err := forecast.ParseRoute("column:id", 2)
	if err != nil {
		t.Fatal(err)
	}
	rep := forecasttest.Alternating(t, 10, 10*time.Millisecond).Forecast(10*time.Second,
		forecast.Options{Regions: 2, Lag: 100 * time.Millisecond, Route: route, HomeShare: 0.9, Seed: 3})
	p := 0.9*(1-math.Exp(-0.018)) + 0.1*(1-math.Exp(-0.162))
	forecasttest.Near(t, "expected/day", rep.ExpectedPerDay, 86400*p, 1e-6)
	forecasttest.Near(t, "p conflict", rep.HotRows[0].PConflict, p, 1e-12)
	measured := float64(rep.Totals.ConflictingApplies) / 10 * 86400
	if measured <= rep.ExpectedPerDay {
		t.Fatalf("the replay (%v/day) should find more than the model (%v/day)", measured, rep.ExpectedPerDay)
	}
	forecasttest.Near(t, "conflicts/day", rep.TotalConflictsPerDay, measured, 1e-6)
	// Against N, one home (share 0.9) and N − 1 others (0.1/(N − 1) each):
	// a write from home conflicts at each other node k with
	// 1 − e^(−Wλ'(0.1 + 0.1/(N−1))); one from another region at home with
	// 1 − e^(−Wλ'(1 − s + 0.9)) and at the N − 2 others with 1 − e^(−Wλ').
	burst := measured / rep.ExpectedPerDay
	for _, pt := range rep.CurveRegions {
		n := float64(pt.Regions)
		s, wl := 0.1/(n-1), 0.1*0.9
		model := 0.9*(n-1)*(1-math.Exp(-wl*(0.1+s))) + (n-1)*s*((1-math.Exp(-wl*(1-s+0.9)))+(n-2)*(1-math.Exp(-wl)))
		forecasttest.Near(t, fmt.Sprintf("N=%d", pt.Regions), pt.ConflictsPerDay, math.Min(burst*86400*model, 86400*(n-1)), 1e-6)
	}
}

// Rows inserted once and never touched again, with keys that cannot
// collide (no key at all; uuids), forecast no conflict: not per table,
// not in the headline, not on any curve, and no hot row. (The old model
// gave every row written once W·(1/D)²·(1−Σs²), which adds up over many
// rows: `make demo` showed ~99,000/day for its audit trail, measured 0.)
func TestForecastInsertOnlyCountsNothing(t *testing.T) {
	rep := forecasttest.InsertOnly(t, 500).Forecast(10*time.Second, forecast.Options{Regions: 3, Lag: 200 * time.Millisecond, Route: forecast.RouteRule{Kind: forecast.RouteHash}, Seed: 5})
	if len(rep.Tables) != 2 {
		t.Fatalf("tables %+v", rep.Tables)
	}
	for _, tab := range rep.Tables {
		if tab.ConflictsPerDay != 0 || tab.ExpectedPerDay != 0 || tab.MeasuredPerDay != 0 || tab.KeyCollisionsPerDay != 0 ||
			tab.OriginDiffers != 0 || tab.Concurrent != 0 || tab.CurveLag != nil || tab.CurveRegions != nil {
			t.Errorf("%s: %+v", tab.Table, tab)
		}
	}
	if rep.TotalConflictsPerDay != 0 || rep.ExpectedPerDay != 0 || len(rep.HotRows) != 0 {
		t.Errorf("total %v, expected %v, hot rows %+v", rep.TotalConflictsPerDay, rep.ExpectedPerDay, rep.HotRows)
	}
	for _, p := range append(append([]forecast.Point(nil), rep.CurveLag...), rep.CurveRegions...) {
		if p.ConflictsPerDay != 0 {
			t.Errorf("curve point %+v", p)
		}
	}
	// The audit trail's two equal rows are two rows, not one written twice.
	for _, tab := range rep.Tables {
		if tab.Table == "public.audit_log" && (tab.Rows != 502 || tab.Writes != 502) {
			t.Errorf("audit_log: %d rows, %d writes, want 502 and 502", tab.Rows, tab.Writes)
		}
	}
}

// Inserts whose keys come from each region's own copy of a sequence
// collide whatever W: region 1 inserts 3 rows and region 2 inserts 2, so
// values 1 and 2 are handed out twice and each node logs an insert
// conflict for each: 4 in 10 s = 34,560/day. They are key collisions, a
// number of their own: the conflicts/day, the headline and the curves
// stay 0. With per-node offsets (bootstrap's default) they are 0 too.
func TestForecastSequenceKeysCount(t *testing.T) {
	build := func() *forecasttest.TraceBuilder {
		b := forecasttest.NewTrace(t, forecasttest.Orders)
		for i, w := range []string{"a", "b", "a", "b", "a"} {
			b.Txn(time.Duration(i)*time.Second, forecasttest.Chg{Op: stream.OpInsert, Rel: 2, New: forecasttest.Vals(fmt.Sprint(i+1), w)})
		}
		return b
	}
	o := forecast.Options{Regions: 2, Lag: 100 * time.Millisecond, Route: forecasttest.MapRoute(t), HomeShare: 1}
	rep := build().Forecast(10*time.Second, o)
	tab := rep.Tables[0]
	forecasttest.Near(t, "key collisions/day", tab.KeyCollisionsPerDay, 34560, 1e-9)
	forecasttest.Near(t, "report key collisions/day", rep.KeyCollisionsPerDay, 34560, 1e-9)
	if tab.ConflictsPerDay != 0 || rep.TotalConflictsPerDay != 0 || tab.ExpectedPerDay != 0 || tab.CurveLag != nil || tab.CurveRegions != nil {
		t.Errorf("key collisions counted as conflicts: table %+v, total %v", tab, rep.TotalConflictsPerDay)
	}
	for _, p := range append(append([]forecast.Point(nil), rep.CurveLag...), rep.CurveRegions...) {
		if p.ConflictsPerDay != 0 {
			t.Errorf("curve point %+v", p)
		}
	}
	if rep.Sequences != forecast.SequencesShared || !strings.Contains(strings.Join(rep.Warnings, "\n"), "key collisions if sequences are shared: 34560/day, not counted in the conflicts/day") {
		t.Errorf("sequences %q, notes %v", rep.Sequences, rep.Warnings)
	}
	var txt bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Expected conflicts/day: 0 conflicting applies", "Key collisions if sequences are shared: 34560/day", "0 with per-node offsets, which bootstrap sets"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, txt.String())
		}
	}

	o.Sequences = forecast.SequencesOffsets
	rep = build().Forecast(10*time.Second, o)
	tab = rep.Tables[0]
	if tab.KeyCollisionsPerDay != 0 || rep.KeyCollisionsPerDay != 0 || tab.SeqCollisions != 0 || tab.SeqInsertConflicts != 0 || rep.Sequences != forecast.SequencesOffsets {
		t.Errorf("offsets: %+v, %v/day", tab, rep.KeyCollisionsPerDay)
	}
	if !strings.Contains(strings.Join(rep.Warnings, "\n"), "with shared sequences the nodes would log 34560 key collisions/day") {
		t.Errorf("offsets notes %v", rep.Warnings)
	}
	txt.Reset()
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(txt.String(), "Key collisions: 0/day: per-node sequence offsets") {
		t.Errorf("offsets text:\n%s", txt.String())
	}
}
