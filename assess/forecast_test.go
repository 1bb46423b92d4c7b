package assess

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/google/go-cmp/cmp"
)

var fcT0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// fcTraceBuilder writes a synthetic trace.
type fcTraceBuilder struct {
	t   *testing.T
	buf bytes.Buffer
	w   *stream.Writer
	lsn uint64
	xid uint32
}

func fcNewTrace(t *testing.T, tables ...*stream.Table) *fcTraceBuilder {
	t.Helper()
	b := &fcTraceBuilder{t: t, lsn: 1000, xid: 700}
	w, err := stream.NewWriter(&b.buf, stream.Meta{Source: "test:5432/db", Started: fcT0})
	if err != nil {
		t.Fatal(err)
	}
	b.w = w
	for _, tab := range tables {
		if err := w.Table(tab); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func fcVals(s ...string) stream.Values {
	out := make(stream.Values, len(s))
	for i, x := range s {
		switch x {
		case "NULL":
			out[i] = stream.Value{Kind: stream.KindNull}
		default:
			out[i] = stream.Value{Kind: stream.KindText, Data: []byte(x)}
		}
	}
	return out
}

type fcChg struct {
	op       stream.Op
	rel      uint32
	oldKind  byte
	old, new stream.Values
}

// txn writes one transaction committed at fcT0+at.
func (b *fcTraceBuilder) txn(at time.Duration, changes ...fcChg) {
	b.t.Helper()
	b.xid++
	b.lsn += 100
	ct := fcT0.Add(at)
	if err := b.w.Begin(b.xid, ct, b.lsn); err != nil {
		b.t.Fatal(err)
	}
	for _, c := range changes {
		var old, nw stream.TupleSource
		if c.old != nil {
			old = c.old
		}
		if c.new != nil {
			nw = c.new
		}
		if err := b.w.Change(c.op, c.rel, c.oldKind, old, nw); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := b.w.Commit(b.lsn, b.lsn+10, ct); err != nil {
		b.t.Fatal(err)
	}
}

func (b *fcTraceBuilder) forecast(end time.Duration, o ForecastOptions) *ForecastReport {
	b.t.Helper()
	if err := b.w.Close(stream.Footer{Ended: fcT0.Add(end), Reason: "duration"}); err != nil {
		b.t.Fatal(err)
	}
	r, err := stream.NewReader(bytes.NewReader(b.buf.Bytes()))
	if err != nil {
		b.t.Fatal(err)
	}
	rep, err := Forecast(r, o)
	if err != nil {
		b.t.Fatal(err)
	}
	return rep
}

var fcCounters = &stream.Table{ID: 1, Schema: "public", Name: "counters", ReplicaIdentity: 'f', Columns: []stream.Column{
	{Name: "id", TypeOID: 20, Key: true}, {Name: "n", TypeOID: 20}, {Name: "writer", TypeOID: 25}}}

var fcOrders = &stream.Table{ID: 2, Schema: "public", Name: "orders", ReplicaIdentity: 'd', Columns: []stream.Column{
	{Name: "id", TypeOID: 20, Key: true, Sequence: true}, {Name: "writer", TypeOID: 25}}}

// alternating writes k increments of one counter row, alternating writers
// a and b, spacing apart; the row exists before the trace (replica
// identity full, so every update carries the old row).
func fcAlternating(t *testing.T, k int, spacing time.Duration) *fcTraceBuilder {
	b := fcNewTrace(t, fcCounters)
	for i := 0; i < k; i++ {
		w := []string{"a", "b"}[i%2]
		b.txn(time.Second+time.Duration(i)*spacing, fcChg{op: stream.OpUpdate, rel: 1, oldKind: 'O',
			old: fcVals("1", fmt.Sprint(i), []string{"b", "a"}[i%2]), new: fcVals("1", fmt.Sprint(i+1), w)})
	}
	return b
}

func fcMapRoute(t *testing.T) RouteRule {
	r, err := ParseRoute("counters.writer=a:1,counters.writer=b:2,orders.writer=a:1,orders.writer=b:r2", 2)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Hand-worked: K = 10 updates alternating a, b, 10 ms apart.
//
// W = 1 h (longer than the whole run): no node sees the other's writes
// until the end. Node a delivers b's 5 writes onto a row a wrote last: 5
// origin-differs events (b's last, newer, wins); node b likewise gets a's 5
// (all older than its own last): 5. Concurrent pairs: every a–b pair, 5×5 =
// 25. The converged row is b's last version, built on b's own 5 increments:
// 5 increments lost, Δ 5.
//
// W = 0: each write is seen before the next. a's first write lands on the
// pre-trace row (origin unknown, not counted); each later write lands on a
// row the other region wrote last: 9 origin-differs events, no concurrent
// pair, nothing lost.
func TestForecastAlternatingCounter(t *testing.T) {
	for _, tc := range []struct {
		lag  time.Duration
		want ForecastCounts
	}{
		{time.Hour, ForecastCounts{Writes: 10, OriginDiffers: 10, Concurrent: 25, LostIncrements: 5, LostDelta: 5}},
		{0, ForecastCounts{Writes: 10, OriginDiffers: 9}},
		// W = 15 ms covers one neighbour only: each write after the first is
		// concurrent with its predecessor (9 pairs). Each region builds on
		// its own previous write only (the other's arrives 5 ms too late
		// and loses on time stamps): b's chain of 5 wins, 5 lost.
		{15 * time.Millisecond, ForecastCounts{Writes: 10, OriginDiffers: 10, Concurrent: 9, LostIncrements: 5, LostDelta: 5}},
	} {
		t.Run(tc.lag.String(), func(t *testing.T) {
			rep := fcAlternating(t, 10, 10*time.Millisecond).forecast(10*time.Second,
				ForecastOptions{Regions: 2, Lag: tc.lag, Route: fcMapRoute(t), HomeShare: 1})
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
	b := fcNewTrace(t, fcCounters)
	for i := 0; i < 6; i++ {
		b.txn(time.Duration(i)*time.Millisecond, fcChg{op: stream.OpUpdate, rel: 1, oldKind: 'O',
			old: fcVals("1", fmt.Sprint(i), "a"), new: fcVals("1", fmt.Sprint(i+1), "a")})
	}
	rep := b.forecast(time.Second, ForecastOptions{Regions: 3, Lag: time.Hour, Route: fcMapRoute(t), HomeShare: 1})
	if d := cmp.Diff(ForecastCounts{Writes: 6}, rep.Totals); d != "" {
		t.Errorf("totals (-want +got):\n%s", d)
	}
}

// Region 1 inserts 3 orders and region 2 inserts 2, each with its own
// sequence starting at the same value: values 1 and 2 are handed out twice
// (5 − 3 = 2 collisions) and each receiving node logs an insert conflict
// per clash: 2·min(3, 2) = 4.
func TestForecastSequenceCollisions(t *testing.T) {
	b := fcNewTrace(t, fcOrders)
	for i, w := range []string{"a", "b", "a", "b", "a"} {
		b.txn(time.Duration(i)*time.Second, fcChg{op: stream.OpInsert, rel: 2, new: fcVals(fmt.Sprint(i+1), w)})
	}
	rep := b.forecast(10*time.Second, ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: fcMapRoute(t), HomeShare: 1})
	tab := rep.Tables[0]
	if tab.SeqCollisions != 2 || tab.SeqInsertConflicts != 4 || tab.SequenceKey != "id" || !cmp.Equal(tab.InsertsPerRgn, []int64{3, 2}) {
		t.Errorf("table %+v", tab)
	}
	if tab.Concurrent != 0 || tab.OriginDiffers != 0 {
		t.Errorf("distinct keys conflicted: %+v", tab.ForecastCounts)
	}
}

// Inserts of one key from two regions within W collide; a delete that
// arrives after the row is gone is logged.
func TestForecastInsertDelete(t *testing.T) {
	b := fcNewTrace(t, fcCounters)
	b.txn(0, fcChg{op: stream.OpInsert, rel: 1, new: fcVals("7", "0", "a")})
	b.txn(time.Millisecond, fcChg{op: stream.OpInsert, rel: 1, new: fcVals("7", "0", "b")})
	rep := b.forecast(time.Second, ForecastOptions{Regions: 2, Lag: 50 * time.Millisecond, Route: fcMapRoute(t), HomeShare: 1})
	// Each node already has its own insert when the other's arrives.
	if d := cmp.Diff(ForecastCounts{Writes: 2, OriginDiffers: 2, Concurrent: 1}, rep.Totals); d != "" {
		t.Errorf("insert/insert (-want +got):\n%s", d)
	}

	b = fcNewTrace(t, fcCounters)
	b.txn(0, fcChg{op: stream.OpDelete, rel: 1, oldKind: 'K', old: fcVals("7", "NULL", "a")})
	b.txn(time.Millisecond, fcChg{op: stream.OpDelete, rel: 1, oldKind: 'K', old: fcVals("7", "NULL", "b")})
	rep = b.forecast(time.Second, ForecastOptions{Regions: 2, Lag: 50 * time.Millisecond, Route: fcMapRoute(t), HomeShare: 1})
	if d := cmp.Diff(ForecastCounts{Writes: 2, OriginDiffers: 2, Concurrent: 1}, rep.Totals); d != "" {
		t.Errorf("delete/delete (-want +got):\n%s", d)
	}
}

func fcNear(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// The formulas of decision.md §4.4b, by hand.
func TestForecastFormulas(t *testing.T) {
	// A counter row taking 1% of 1000 writes/s, W = 100 ms, 2 regions:
	// 2W·λA·λB = 2·0.1·5·5 = 5 conflicts/s.
	fcNear(t, "hot row", RowConflictRate(0.1, 10, []float64{0.5, 0.5}), 5, 1e-12)
	// Home routing, off-home share f = 0.05: 2W·f(1−f)·λ² = 2·0.1·0.0475·100.
	fcNear(t, "home routed", RowConflictRate(0.1, 10, []float64{0.95, 0.05}), 0.95, 1e-12)
	fcNear(t, "home Σs²", 1-homeSumSquares(2, 1, 0.95), 2*0.95*0.05, 1e-12)
	// N equal regions: 1 − Σs² = (N−1)/N.
	fcNear(t, "uniform 4", 1-homeSumSquares(4, 0, 0.95), 0.75, 1e-12)
	// Uniform keys, N regions: W·T²·(N−1)/(N·D) for T = 1000/s, D = 10M,
	// W = 100 ms, N = 2: 0.005/s ≈ 432 per day.
	d := 10e6
	perKey := RowConflictRate(0.1, 1000/d, []float64{0.5, 0.5}) * d * 86400
	fcNear(t, "uniform keys per day", perKey, 432, 1e-6)
	// P(a write conflicts) with λ_other = 5/s, W = 100 ms: 1 − e^(−1).
	fcNear(t, "p conflict", RowPConflict(0.1, 10, []float64{0.5, 0.5}), 1-math.Exp(-1), 1e-12)
	fcNear(t, "p one region", RowPConflict(0.1, 10, []float64{1}), 0, 0)
}

// Expected conflicts/day from a trace: row 1 written 100 times and row 2
// 10 times over 100 s, hash routing over 2 regions, W = 100 ms:
// λ = 1/s and 0.1/s, W·Σλ²·(1 − ½) = 0.1·1.01·0.5 = 0.0505/s = 4363.2/day.
// The curve is linear in W and grows with N as (N−1)/N.
func TestForecastExpectedCurve(t *testing.T) {
	b := fcNewTrace(t, fcCounters)
	for i := 0; i < 100; i++ {
		b.txn(time.Duration(i)*time.Second, fcChg{op: stream.OpUpdate, rel: 1, new: fcVals("1", fmt.Sprint(i), "x")})
		if i%10 == 0 {
			b.txn(time.Duration(i)*time.Second+time.Millisecond, fcChg{op: stream.OpUpdate, rel: 1, new: fcVals("2", fmt.Sprint(i), "x")})
		}
	}
	rep := b.forecast(100*time.Second, ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: RouteRule{Kind: RouteHash}})
	fcNear(t, "expected/day", rep.ExpectedPerDay, 4363.2, 1e-6)
	if rep.TotalConflictsPerDay < rep.ExpectedPerDay || rep.Tables[0].ConflictsPerDay != rep.TotalConflictsPerDay {
		t.Errorf("total %v expected %v", rep.TotalConflictsPerDay, rep.ExpectedPerDay)
	}
	for _, p := range rep.CurveLag {
		fcNear(t, fmt.Sprintf("curve W=%v", p.LagMs), p.ConflictsPerDay, 4363.2*p.LagMs/100, 1e-6)
	}
	for _, p := range rep.CurveRegions {
		fcNear(t, fmt.Sprintf("curve N=%d", p.Regions), p.ConflictsPerDay, 4363.2*2*float64(p.Regions-1)/float64(p.Regions), 1e-6)
	}
	// Row 2's writes are 1 s + 1 ms after row 1's, far apart: measured 0
	// for row 2; row 1's writes are 1 s apart, W = 100 ms: 0 too.
	if rep.Totals.Concurrent != 0 || rep.MeasuredPerDay != 0 {
		t.Errorf("measured %v", rep.Totals)
	}
	// The text and markdown renderings carry the numbers.
	var txt, md bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"4363", "public.counters", "id=1"} {
		if !strings.Contains(txt.String(), s) || !strings.Contains(md.String(), s) {
			t.Errorf("rendering lacks %q:\n%s\n%s", s, txt.String(), md.String())
		}
	}
}

// Hash routing is deterministic for a seed and spreads transactions evenly.
func TestForecastHashRouting(t *testing.T) {
	build := func() *fcTraceBuilder {
		b := fcNewTrace(t, fcCounters)
		for i := 0; i < 2000; i++ {
			b.txn(time.Duration(i)*time.Millisecond, fcChg{op: stream.OpInsert, rel: 1, new: fcVals(fmt.Sprint(i), "0", "x")})
		}
		return b
	}
	o := ForecastOptions{Regions: 2, Lag: 10 * time.Millisecond, Route: RouteRule{Kind: RouteHash}, Seed: 42}
	a1 := build().forecast(2*time.Second, o)
	a2 := build().forecast(2*time.Second, o)
	if d := cmp.Diff(a1, a2, cmp.AllowUnexported(ForecastTable{})); d != "" {
		t.Errorf("same seed, different forecasts:\n%s", d)
	}
	// Count the regions directly.
	f := &forecaster{o: ForecastOptions{Regions: 2, Route: RouteRule{Kind: RouteHash}, Seed: 42}}
	n := 0
	for i := 0; i < 2000; i++ {
		r, home, routed := f.region(&stream.Txn{CommitLSN: uint64(1000 + 100*i), Xid: uint32(i)})
		if routed || home != r {
			t.Fatal("hash route reported routed")
		}
		n += r
	}
	if n < 900 || n > 1100 {
		t.Errorf("region 2 got %d of 2000 transactions", n)
	}
	// Home share 0.8 keeps about 80% of routed transactions at home.
	f = &forecaster{o: ForecastOptions{Regions: 3, Route: RouteRule{Kind: RouteColumn, Column: "writer"}, HomeShare: 0.8, Seed: 7}}
	home := 0
	for i := 0; i < 2000; i++ {
		txn := &stream.Txn{CommitLSN: uint64(1000 + 100*i), Xid: uint32(i),
			Changes: []stream.Change{{Op: stream.OpInsert, Table: fcCounters, New: []stream.Value{{Kind: 't', Data: []byte("1")}, {Kind: 't', Data: []byte("0")}, {Kind: 't', Data: []byte("tenant-9")}}}}}
		r, h, routed := f.region(txn)
		if !routed || h != int(hashString(7, "tenant-9")%3) {
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
		want RouteRule
		err  string
	}{
		{"hash", RouteRule{Kind: RouteHash}, ""},
		{"", RouteRule{Kind: RouteHash}, ""},
		{"column:tenant_id", RouteRule{Kind: RouteColumn, Column: "tenant_id"}, ""},
		{"app.orders.region=eu:1, orders.region=us:r2", RouteRule{Kind: RouteMap, Entries: []RouteEntry{
			{Table: "app.orders", Column: "region", Value: "eu", Region: 1}, {Table: "orders", Column: "region", Value: "us", Region: 2}}}, ""},
		{"orders.region=eu:3", RouteRule{}, "want 1 to 2"},
		{"column:", RouteRule{}, "want column:COLUMN"},
		{"orders=eu:1", RouteRule{}, "want hash"},
		{"orders.region=eu", RouteRule{}, "want hash"},
	} {
		got, err := ParseRoute(tc.in, 2)
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
	b := fcAlternating(t, 4, time.Millisecond)
	if err := b.w.Flush(); err != nil {
		t.Fatal(err)
	}
	data := b.buf.Bytes()
	for cut := len(data) - 1; cut > len(data)-40; cut-- {
		r, err := stream.NewReader(bytes.NewReader(data[:cut]))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Forecast(r, ForecastOptions{Regions: 2, Lag: time.Hour, Route: fcMapRoute(t), HomeShare: 1})
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
	for _, o := range []ForecastOptions{{Regions: 0}, {Regions: 65}, {Regions: 2, Lag: -1}, {Regions: 2, HomeShare: 2}} {
		b := fcNewTrace(t)
		b.w.Close(stream.Footer{})
		r, _ := stream.NewReader(bytes.NewReader(b.buf.Bytes()))
		if _, err := Forecast(r, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// The row cap bounds memory and says so.
func TestForecastRowCap(t *testing.T) {
	b := fcNewTrace(t, fcCounters)
	for i := 0; i < 50; i++ {
		b.txn(time.Duration(i)*time.Millisecond, fcChg{op: stream.OpInsert, rel: 1, new: fcVals(fmt.Sprint(i), "0", "x")})
	}
	rep := b.forecast(time.Second, ForecastOptions{Regions: 2, Lag: time.Second, MaxRows: 10})
	if rep.Tables[0].Rows != 10 || rep.Tables[0].Writes != 50 || !strings.Contains(strings.Join(rep.Warnings, " "), "row cap") {
		t.Errorf("rows %d writes %d warnings %v", rep.Tables[0].Rows, rep.Tables[0].Writes, rep.Warnings)
	}
}

// The JSON is what recommend --forecast reads.
func TestForecastJSONReadBack(t *testing.T) {
	rep := fcAlternating(t, 10, 10*time.Millisecond).forecast(10*time.Second,
		ForecastOptions{Regions: 2, Lag: time.Hour, Route: fcMapRoute(t), HomeShare: 1})
	path := t.TempDir() + "/forecast.json"
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	in, err := ReadForecast(path)
	if err != nil {
		t.Fatal(err)
	}
	if in.SchemaVersion != 1 || in.LagMs != 3.6e6 || in.Regions != 2 || len(in.Tables) != 1 || len(in.HotRows) != 1 {
		t.Fatalf("read back %+v", in)
	}
	if in.Tables[0].Table != "public.counters" || in.Tables[0].ConflictsPerDay != rep.Tables[0].ConflictsPerDay ||
		in.TotalConflictsPerDay != rep.TotalConflictsPerDay || in.HotRows[0].Key != "id=1" || in.HotRows[0].PConflict != rep.HotRows[0].PConflict {
		t.Errorf("read back %+v, wrote %+v", in, rep)
	}
}

// A row owned by one home (route column:id, home share 0.9, 2 regions)
// written 10 times in 10 s: λ = 1/s, shares 0.9/0.1, W = 100 ms:
// W·λ²·(1 − 0.81 − 0.01) = 0.018/s = 1555.2/day, whatever region each
// write drew; P(conflict) = 0.9(1 − e^(−0.02)) + 0.1(1 − e^(−0.18)).
func TestForecastHomeShareExpected(t *testing.T) {
	route, err := ParseRoute("column:id", 2)
	if err != nil {
		t.Fatal(err)
	}
	rep := fcAlternating(t, 10, 10*time.Millisecond).forecast(10*time.Second,
		ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: route, HomeShare: 0.9, Seed: 3})
	fcNear(t, "expected/day", rep.ExpectedPerDay, 1555.2, 1e-6)
	fcNear(t, "p conflict", rep.HotRows[0].PConflict, 0.9*(1-math.Exp(-0.02))+0.1*(1-math.Exp(-0.18)), 1e-12)
	// The N curve for one home: 1 − h² − (1−h)²/(N−1), relative to N = 2.
	for _, p := range rep.CurveRegions {
		n := float64(p.Regions)
		want := 1555.2 * (1 - 0.81 - 0.01/(n-1)) / 0.18
		fcNear(t, fmt.Sprintf("N=%d", p.Regions), p.ConflictsPerDay, want, 1e-6)
	}
}
