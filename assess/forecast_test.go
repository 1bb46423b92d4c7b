package assess

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/stream"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
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
		want ForecastCounts
	}{
		{time.Hour, ForecastCounts{Writes: 10, OriginDiffers: 10, ConflictingApplies: 10, Concurrent: 25, LostIncrements: 5, LostDelta: 5}},
		{0, ForecastCounts{Writes: 10, OriginDiffers: 9}},
		// W = 15 ms covers one neighbour only: each write after the first is
		// concurrent with its predecessor (9 pairs). Each region builds on
		// its own previous write only (the other's arrives 5 ms too late
		// and loses on time stamps): b's chain of 5 wins, 5 lost. Every
		// write arrives 15 ms later at a node that wrote 10 ms after it:
		// 10 conflicting applies.
		{15 * time.Millisecond, ForecastCounts{Writes: 10, OriginDiffers: 10, ConflictingApplies: 10, Concurrent: 9, LostIncrements: 5, LostDelta: 5}},
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
	if d := cmp.Diff(ForecastCounts{Writes: 2, OriginDiffers: 2, ConflictingApplies: 2, Concurrent: 1}, rep.Totals); d != "" {
		t.Errorf("insert/insert (-want +got):\n%s", d)
	}

	b = fcNewTrace(t, fcCounters)
	b.txn(0, fcChg{op: stream.OpDelete, rel: 1, oldKind: 'K', old: fcVals("7", "NULL", "a")})
	b.txn(time.Millisecond, fcChg{op: stream.OpDelete, rel: 1, oldKind: 'K', old: fcVals("7", "NULL", "b")})
	rep = b.forecast(time.Second, ForecastOptions{Regions: 2, Lag: 50 * time.Millisecond, Route: fcMapRoute(t), HomeShare: 1})
	if d := cmp.Diff(ForecastCounts{Writes: 2, OriginDiffers: 2, ConflictingApplies: 2, Concurrent: 1}, rep.Totals); d != "" {
		t.Errorf("delete/delete (-want +got):\n%s", d)
	}
}

func fcNear(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// The formulas of docs/observe.md and docs/decision.md, by hand.
func TestForecastFormulas(t *testing.T) {
	// P(a write conflicts) with the other writes at 10/s, half of them
	// from the other region, W = 100 ms: 1 − e^(−2·0.1·5) = 1 − e^(−1).
	fcNear(t, "p conflict", RowPConflict(0.1, 10, []float64{0.5, 0.5}), 1-math.Exp(-1), 1e-12)
	fcNear(t, "p one region", RowPConflict(0.1, 10, []float64{1}), 0, 0)
	// Two regions: conflicting applies are λ·P(conflict). A counter row
	// at 10 writes/s split evenly, W = 100 ms: 10·(1 − e^(−1)) ≈ 6.32/s,
	// where the pair rate 2W·λA·λB is 2·0.1·5·5 = 5/s, and at W = 1 s the
	// pairs are 50/s but the applies at most 10/s.
	fcNear(t, "applies, 2 regions", RowConflictingApplies(0.1, 10, 10, []float64{0.5, 0.5}), 10*(1-math.Exp(-1)), 1e-12)
	fcNear(t, "applies, W = 1 s", RowConflictingApplies(1, 10, 10, []float64{0.5, 0.5}), 10*(1-math.Exp(-10)), 1e-12)
	fcNear(t, "applies saturate", RowConflictingApplies(100, 10, 10, []float64{0.5, 0.5}), 10, 1e-9)
	// Home routing, off-home share f = 0.05, λ = λ' = 10, W = 100 ms:
	// 10·(0.95(1 − e^(−0.1)) + 0.05(1 − e^(−1.9))).
	fcNear(t, "home routed", RowConflictingApplies(0.1, 10, 10, []float64{0.95, 0.05}),
		10*(0.95*(1-math.Exp(-0.1))+0.05*(1-math.Exp(-1.9))), 1e-12)
	// Three even regions: a write reaches 2 nodes; at each, the node's own
	// writes within ±W (λ'/3 over 2W) and the third region's within W
	// before it (λ'/3 over W): 2·(1 − e^(−W·λ'·(1 − 1/3 + 1/3))) per write.
	third := []float64{1.0 / 3, 1.0 / 3, 1.0 / 3}
	fcNear(t, "applies, 3 regions", RowConflictingApplies(0.1, 10, 10, third), 10*2*(1-math.Exp(-1)), 1e-12)
	fcNear(t, "applies, 3 regions saturate", RowConflictingApplies(1e3, 10, 10, third), 20, 1e-9)
	fcNear(t, "one region", RowConflictingApplies(0.1, 10, 10, []float64{1}), 0, 0)
	// The routing model's shares.
	fcNear(t, "home share", modelShares(2, 1, 0.95)[0], 0.95, 1e-15)
	fcNear(t, "off-home share", modelShares(2, 1, 0.95)[1], 0.05, 1e-15)
	for i, s := range modelShares(4, 0, 0.95) {
		fcNear(t, fmt.Sprintf("uniform share %d", i), s, 0.25, 1e-15)
	}
	fcNear(t, "half routed, home", modelShares(3, 0.5, 0.9)[0], 0.5*0.9+0.5/3, 1e-15)
	fcNear(t, "half routed, other", modelShares(3, 0.5, 0.9)[1], 0.5*0.05+0.5/3, 1e-15)
}

// Expected conflicts/day from a trace: row 1 written 100 times and row 2
// 10 times over 100 s, hash routing over 2 regions, W = 100 ms. A write
// conflicts when the other region wrote the row within ±W: at λ'/2 over
// 2W, so each row adds λ·(1 − e^(−W·λ')): 1·(1 − e^(−0.099)) +
// 0.1·(1 − e^(−0.009)) per second. Against W the same with W; against N
// (even shares) a write reaches N − 1 nodes, each with the same chance:
// (N − 1) times the value at N = 2.
func TestForecastExpectedCurve(t *testing.T) {
	b := fcNewTrace(t, fcCounters)
	for i := 0; i < 100; i++ {
		b.txn(time.Duration(i)*time.Second, fcChg{op: stream.OpUpdate, rel: 1, new: fcVals("1", fmt.Sprint(i), "x")})
		if i%10 == 0 {
			b.txn(time.Duration(i)*time.Second+time.Millisecond, fcChg{op: stream.OpUpdate, rel: 1, new: fcVals("2", fmt.Sprint(i), "x")})
		}
	}
	rep := b.forecast(100*time.Second, ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: RouteRule{Kind: RouteHash}})
	at := func(w float64) float64 { return 86400 * (1*(1-math.Exp(-w*0.99)) + 0.1*(1-math.Exp(-w*0.09))) }
	fcNear(t, "expected/day", rep.ExpectedPerDay, at(0.1), 1e-6)
	fcNear(t, "expected/day by hand", rep.ExpectedPerDay, 8221.24, 0.01)
	if rep.TotalConflictsPerDay < rep.ExpectedPerDay || rep.Tables[0].ConflictsPerDay != rep.TotalConflictsPerDay {
		t.Errorf("total %v expected %v", rep.TotalConflictsPerDay, rep.ExpectedPerDay)
	}
	for _, p := range rep.CurveLag {
		fcNear(t, fmt.Sprintf("curve W=%v", p.LagMs), p.ConflictsPerDay, at(p.LagMs/1000), 1e-6)
	}
	for _, p := range rep.CurveRegions {
		fcNear(t, fmt.Sprintf("curve N=%d", p.Regions), p.ConflictsPerDay, at(0.1)*float64(p.Regions-1), 1e-6)
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
	fcNear(t, "row 1/day", rep.HotRows[0].ConflictsPerDay, 86400*(1-math.Exp(-0.099)), 1e-6)
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
	if d := cmp.Diff(a1, a2, cmp.AllowUnexported(ForecastTable{}, ForecastReport{})); d != "" {
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
	in := fcWriteRead(t, rep)
	if in.SchemaVersion != ForecastSchemaVersion || in.LagMs != 3.6e6 || in.Regions != 2 || len(in.Tables) != 1 || len(in.HotRows) != 1 {
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
	route, err := ParseRoute("column:id", 2)
	if err != nil {
		t.Fatal(err)
	}
	rep := fcAlternating(t, 10, 10*time.Millisecond).forecast(10*time.Second,
		ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: route, HomeShare: 0.9, Seed: 3})
	p := 0.9*(1-math.Exp(-0.018)) + 0.1*(1-math.Exp(-0.162))
	fcNear(t, "expected/day", rep.ExpectedPerDay, 86400*p, 1e-6)
	fcNear(t, "p conflict", rep.HotRows[0].PConflict, p, 1e-12)
	measured := float64(rep.Totals.ConflictingApplies) / 10 * 86400
	if measured <= rep.ExpectedPerDay {
		t.Fatalf("the replay (%v/day) should find more than the model (%v/day)", measured, rep.ExpectedPerDay)
	}
	fcNear(t, "conflicts/day", rep.TotalConflictsPerDay, measured, 1e-6)
	// Against N, one home (share 0.9) and N − 1 others (0.1/(N − 1) each):
	// a write from home conflicts at each other node k with
	// 1 − e^(−Wλ'(0.1 + 0.1/(N−1))); one from another region at home with
	// 1 − e^(−Wλ'(1 − s + 0.9)) and at the N − 2 others with 1 − e^(−Wλ').
	burst := measured / rep.ExpectedPerDay
	for _, pt := range rep.CurveRegions {
		n := float64(pt.Regions)
		s, wl := 0.1/(n-1), 0.1*0.9
		model := 0.9*(n-1)*(1-math.Exp(-wl*(0.1+s))) + (n-1)*s*((1-math.Exp(-wl*(1-s+0.9)))+(n-2)*(1-math.Exp(-wl)))
		fcNear(t, fmt.Sprintf("N=%d", pt.Regions), pt.ConflictsPerDay, math.Min(burst*86400*model, 86400*(n-1)), 1e-6)
	}
}

var fcAudit = &stream.Table{ID: 3, Schema: "public", Name: "audit_log", ReplicaIdentity: 'd', Columns: []stream.Column{
	{Name: "at", TypeOID: 1184}, {Name: "actor", TypeOID: 25}, {Name: "action", TypeOID: 25}}}

var fcEvents = &stream.Table{ID: 4, Schema: "public", Name: "events", ReplicaIdentity: 'd', Columns: []stream.Column{
	{Name: "id", TypeOID: 2950, Key: true}, {Name: "kind", TypeOID: 25}}}

// fcInsertOnly writes n transactions 20 ms apart, each inserting one row
// into a table without a key (an audit trail) and one into a table keyed
// by a uuid; the audit trail gets the same row twice at the end.
func fcInsertOnly(t *testing.T, n int, extra ...*stream.Table) *fcTraceBuilder {
	b := fcNewTrace(t, append([]*stream.Table{fcAudit, fcEvents}, extra...)...)
	for i := 0; i < n; i++ {
		at := time.Duration(i) * 20 * time.Millisecond
		b.txn(at, fcChg{op: stream.OpInsert, rel: 3, new: fcVals(fcT0.Add(at).Format(time.RFC3339Nano), "web", "checkout")},
			fcChg{op: stream.OpInsert, rel: 4, new: fcVals(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "click")})
	}
	for i := 0; i < 2; i++ {
		b.txn(time.Duration(n)*20*time.Millisecond+time.Duration(i)*time.Millisecond,
			fcChg{op: stream.OpInsert, rel: 3, new: fcVals("2026-01-02T03:04:05Z", "cron", "tick")})
	}
	return b
}

// Rows inserted once and never touched again, with keys that cannot
// collide (no key at all; uuids), forecast no conflict: not per table,
// not in the headline, not on any curve, and no hot row. (The old model
// gave every row written once W·(1/D)²·(1−Σs²), which adds up over many
// rows: `make demo` showed ~99,000/day for its audit trail, measured 0.)
func TestForecastInsertOnlyCountsNothing(t *testing.T) {
	rep := fcInsertOnly(t, 500).forecast(10*time.Second, ForecastOptions{Regions: 3, Lag: 200 * time.Millisecond, Route: RouteRule{Kind: RouteHash}, Seed: 5})
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
	for _, p := range append(append([]ForecastPoint(nil), rep.CurveLag...), rep.CurveRegions...) {
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
	build := func() *fcTraceBuilder {
		b := fcNewTrace(t, fcOrders)
		for i, w := range []string{"a", "b", "a", "b", "a"} {
			b.txn(time.Duration(i)*time.Second, fcChg{op: stream.OpInsert, rel: 2, new: fcVals(fmt.Sprint(i+1), w)})
		}
		return b
	}
	o := ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: fcMapRoute(t), HomeShare: 1}
	rep := build().forecast(10*time.Second, o)
	tab := rep.Tables[0]
	fcNear(t, "key collisions/day", tab.KeyCollisionsPerDay, 34560, 1e-9)
	fcNear(t, "report key collisions/day", rep.KeyCollisionsPerDay, 34560, 1e-9)
	if tab.ConflictsPerDay != 0 || rep.TotalConflictsPerDay != 0 || tab.ExpectedPerDay != 0 || tab.CurveLag != nil || tab.CurveRegions != nil {
		t.Errorf("key collisions counted as conflicts: table %+v, total %v", tab, rep.TotalConflictsPerDay)
	}
	for _, p := range append(append([]ForecastPoint(nil), rep.CurveLag...), rep.CurveRegions...) {
		if p.ConflictsPerDay != 0 {
			t.Errorf("curve point %+v", p)
		}
	}
	if rep.Sequences != SequencesShared || !strings.Contains(strings.Join(rep.Warnings, "\n"), "key collisions if sequences are shared: 34560/day, not counted in the conflicts/day") {
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

	o.Sequences = SequencesOffsets
	rep = build().forecast(10*time.Second, o)
	tab = rep.Tables[0]
	if tab.KeyCollisionsPerDay != 0 || rep.KeyCollisionsPerDay != 0 || tab.SeqCollisions != 0 || tab.SeqInsertConflicts != 0 || rep.Sequences != SequencesOffsets {
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

// fcMixed is a hot counter row (hash routed), an insert-only audit trail
// and a sequence-keyed table in one trace.
func fcMixed(t *testing.T) *fcTraceBuilder {
	b := fcInsertOnly(t, 300, fcCounters, fcOrders)
	for i := 0; i < 400; i++ {
		at := time.Duration(i) * 15 * time.Millisecond
		b.txn(at+time.Millisecond, fcChg{op: stream.OpUpdate, rel: 1, oldKind: 'O',
			old: fcVals(fmt.Sprint(1+i%3), fmt.Sprint(i), "x"), new: fcVals(fmt.Sprint(1+i%3), fmt.Sprint(i+1), "x")})
		if i%4 == 0 {
			b.txn(at+2*time.Millisecond, fcChg{op: stream.OpInsert, rel: 2, new: fcVals(fmt.Sprint(i+1), "x")})
		}
	}
	return b
}

// The headline, the per-table rows and every curve are one computation:
// the total is the sum of the tables, each curve passes through its number
// at the forecast's W and N, the report's curves are the sums of the
// tables', and text, markdown, JSON and the HTML page show the same
// number. (The old report showed 85,632,957/day in the headline and
// 63,448,945/day on the regions chart for the same 2 regions.)
func TestForecastOneComputation(t *testing.T) {
	rep := fcMixed(t).forecast(10*time.Second, ForecastOptions{Regions: 2, Lag: 120 * time.Millisecond, Route: RouteRule{Kind: RouteHash}, Seed: 9})
	if rep.TotalConflictsPerDay <= 0 || rep.KeyCollisionsPerDay <= 0 {
		t.Fatalf("the mixed trace should conflict: %+v", rep)
	}
	fcCheckOneComputation(t, rep)
	for _, tab := range rep.Tables {
		fcNear(t, tab.Table+" measured/model", tab.ConflictsPerDay, math.Max(tab.MeasuredPerDay, tab.ExpectedPerDay), 1e-9*tab.ConflictsPerDay)
	}

	// Through the JSON file and the one reader.
	path := fcSave(t, rep)
	back, err := ReadForecastReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rep, back, cmp.AllowUnexported(ForecastTable{}, ForecastReport{}), cmpopts.IgnoreFields(ForecastTable{}, "counters")); d != "" {
		t.Errorf("read back (-wrote +read):\n%s", d)
	}
	in, err := ReadForecastReport(path)
	if err != nil {
		t.Fatal(err)
	}
	if in.TotalConflictsPerDay != rep.TotalConflictsPerDay {
		t.Errorf("recommend reads %v, observe wrote %v", in.TotalConflictsPerDay, rep.TotalConflictsPerDay)
	}

	// Every output shows the same number.
	total := rep.TotalConflictsPerDay
	var txt, md bytes.Buffer
	if err := back.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := back.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	key := rep.KeyCollisionsPerDay
	for _, want := range []string{"Expected conflicts/day: " + fcNum(total) + " conflicting applies,", "120 ms: " + fcNum(total) + ",", "N=2: " + fcNum(total) + ",",
		"Key collisions if sequences are shared: " + fcNum(key) + "/day"} {
		for name, out := range map[string]string{"text": txt.String(), "markdown": md.String()} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks %q:\n%s", name, want, out)
			}
		}
	}
	th := DefaultThresholds()
	h := BuildHTMLReport(HTMLInputs{Forecast: back, Thresholds: &th})
	v := h.Forecast
	if v.TotalPerDay != total || v.Total != fmtRate(total) || !strings.Contains(factsText(h), "Forecast conflicts (any node writes): "+fmtRate(total)+"/day") {
		t.Errorf("page headline %v (%s), facts %q; forecast %v", v.TotalPerDay, v.Total, factsText(h), total)
	}
	// Key collisions are a line of their own, never in the headline.
	if v.KeyPerDay != key || v.KeyLine != back.keyCollisionsLine(fmtRate) || !strings.Contains(factsText(h), "Key collisions if sequences are shared: "+fmtRate(key)+"/day") {
		t.Errorf("page key collisions %v (%q), facts %q; forecast %v", v.KeyPerDay, v.KeyLine, factsText(h), key)
	}
	if page := renderReport(t, HTMLInputs{Forecast: back}); !strings.Contains(page, "<strong>"+fmtRate(total)+" conflicts per day</strong>") ||
		!strings.Contains(page, "Key collisions if sequences are shared: "+fmtRate(key)+"/day") {
		t.Errorf("page lacks the headline %s or the key collisions %s", fmtRate(total), fmtRate(key))
	}
	sumRows := 0.0
	for _, tv := range v.Tables {
		sumRows += tv.ConflictsPerDay
	}
	fcNear(t, "page table sum", sumRows, total, 1e-9*total)
	var bar *float64
	for _, b := range v.RegionsChart.Bars {
		if b.Bold {
			bar = &b.Value
		}
	}
	if bar == nil || *bar != total {
		t.Errorf("regions chart bold bar %v, headline %v", bar, total)
	}
	var lagAt *float64
	for _, s := range v.LagChart.Series {
		if s.Name != "all tables" {
			continue
		}
		for _, p := range s.Points {
			if p.X == rep.LagMs {
				lagAt = &p.Y
			}
		}
	}
	if lagAt == nil || *lagAt != total {
		t.Errorf("lag chart at %v ms: %v, headline %v", rep.LagMs, lagAt, total)
	}
}

// fcCheckOneComputation checks that the report's numbers are the sums of
// its tables' and that every curve passes through its number.
func fcCheckOneComputation(t *testing.T, rep *ForecastReport) {
	t.Helper()
	sum, key := 0.0, 0.0
	lag, reg := map[float64]float64{}, map[int]float64{}
	for _, tab := range rep.Tables {
		sum += tab.ConflictsPerDay
		key += tab.KeyCollisionsPerDay
		if tab.ConflictsPerDay > 0 && (len(tab.CurveLag) == 0 || len(tab.CurveRegions) == 0) {
			t.Errorf("%s: %v/day without curves", tab.Table, tab.ConflictsPerDay)
		}
		for _, p := range tab.CurveLag {
			lag[p.LagMs] += p.ConflictsPerDay
			if p.LagMs == rep.LagMs && p.ConflictsPerDay != tab.ConflictsPerDay {
				t.Errorf("%s: curve at W %v, table %v", tab.Table, p.ConflictsPerDay, tab.ConflictsPerDay)
			}
		}
		for _, p := range tab.CurveRegions {
			reg[p.Regions] += p.ConflictsPerDay
			if p.Regions == rep.Regions && p.ConflictsPerDay != tab.ConflictsPerDay {
				t.Errorf("%s: curve at N %v, table %v", tab.Table, p.ConflictsPerDay, tab.ConflictsPerDay)
			}
		}
	}
	fcNear(t, "total = Σ tables", rep.TotalConflictsPerDay, sum, 1e-9*sum)
	fcNear(t, "key collisions = Σ tables", rep.KeyCollisionsPerDay, key, 1e-9*key)
	atW, atN := false, false
	for _, p := range rep.CurveLag {
		fcNear(t, fmt.Sprintf("curve W=%v = Σ tables", p.LagMs), p.ConflictsPerDay, lag[p.LagMs], 1e-9*sum)
		if p.LagMs == rep.LagMs {
			atW = true
			fcNear(t, "curve at W", p.ConflictsPerDay, rep.TotalConflictsPerDay, 1e-9*sum)
		}
	}
	for _, p := range rep.CurveRegions {
		fcNear(t, fmt.Sprintf("curve N=%d = Σ tables", p.Regions), p.ConflictsPerDay, reg[p.Regions], 1e-9*sum)
		if p.Regions == rep.Regions {
			atN = true
			fcNear(t, "curve at N", p.ConflictsPerDay, rep.TotalConflictsPerDay, 1e-9*sum)
		}
	}
	if !atW || !atN {
		t.Errorf("the curves miss the forecast's own point (W %v: %v, N %d: %v)", rep.LagMs, atW, rep.Regions, atN)
	}
}

func factsText(h *HTMLReport) string {
	var parts []string
	for _, f := range h.Headline.Facts {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return strings.Join(parts, "; ")
}

// fcSave writes the forecast's JSON to a file and returns its path.
func fcSave(t *testing.T, rep *ForecastReport) string {
	t.Helper()
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	return fcWriteFile(t, js.String())
}

// fcWriteRead writes the forecast as JSON and reads it back as recommend
// --forecast does.
func fcWriteRead(t *testing.T, rep *ForecastReport) *ForecastReport {
	t.Helper()
	in, err := ReadForecastReport(fcSave(t, rep))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// recommend --forecast reads what its thresholds assume: conflicts/day
// without key collisions (bootstrap's per-node offsets remove them; the
// assessment reports sequence-fed keys), in the same number the forecast
// shows, and hot rows by P(conflict per write).
func TestRecommendReadsForecast(t *testing.T) {
	a := loadProfile(t, "aa-any-last-resort.yaml")
	for _, kv := range [][2]string{{"conflict_policy", PolicyNever}, {"partition_key", PartitionYes}} {
		if err := a.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	plain, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}

	// Only key collisions: 0 conflicts/day, so "must never happen" does
	// not reject the design for them (the old headline held them).
	b := fcNewTrace(t, fcOrders)
	for i, w := range []string{"a", "b", "a", "b", "a"} {
		b.txn(time.Duration(i)*time.Second, fcChg{op: stream.OpInsert, rel: 2, new: fcVals(fmt.Sprint(i+1), w)})
	}
	keys := b.forecast(10*time.Second, ForecastOptions{Regions: 2, Lag: 100 * time.Millisecond, Route: fcMapRoute(t), HomeShare: 1})
	if keys.KeyCollisionsPerDay <= 0 || keys.TotalConflictsPerDay != 0 {
		t.Fatalf("key collisions %v, conflicts %v", keys.KeyCollisionsPerDay, keys.TotalConflictsPerDay)
	}
	in := fcWriteRead(t, keys)
	if in.TotalConflictsPerDay != 0 {
		t.Errorf("recommend reads %v conflicts/day from key collisions alone", in.TotalConflictsPerDay)
	}
	r, err := Recommend(a, Inputs{Forecast: in})
	if err != nil {
		t.Fatal(err)
	}
	if r.Design != plain.Design || calcText(r, "forecast_conflicts") != "" {
		t.Errorf("key collisions alone moved the design %s → %s (%q)", plain.Design, r.Design, calcText(r, "forecast_conflicts"))
	}

	// A hot counter: the number recommend prints is the forecast's
	// headline, and the hot rows make their table home-routed.
	mixed := fcMixed(t).forecast(10*time.Second, ForecastOptions{Regions: 2, Lag: 120 * time.Millisecond, Route: RouteRule{Kind: RouteHash}, Seed: 9})
	in = fcWriteRead(t, mixed)
	if in.TotalConflictsPerDay != mixed.TotalConflictsPerDay || mixed.KeyCollisionsPerDay <= 0 {
		t.Fatalf("recommend reads %v, the forecast's headline is %v (key collisions %v apart)", in.TotalConflictsPerDay, mixed.TotalConflictsPerDay, mixed.KeyCollisionsPerDay)
	}
	r, err = Recommend(a, Inputs{Forecast: in})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmtNum(round(mixed.TotalConflictsPerDay, 2)) + " conflicts/day"; !strings.Contains(calcText(r, "forecast_conflicts"), want) || r.Design != AAHome {
		t.Errorf("design %s, forecast line %q, want %q", r.Design, calcText(r, "forecast_conflicts"), want)
	}
	hot := mixed.HotRows[0]
	if hot.PConflict <= DefaultThresholds().Get("hot_row_p_conflict") {
		t.Fatalf("the mixed trace's hottest row is not hot: %+v", hot)
	}
	wantWhy := fmt.Sprintf("forecast: hot row %s, P(conflict per write) %s", hot.Key, fmtPct(hot.PConflict*100))
	found := false
	for _, tm := range r.Tables {
		found = found || tm.Table == hot.Table && tm.Mode == ModeHome && strings.HasPrefix(strings.Join(tm.Why, "\n"), wantWhy)
	}
	if !found {
		t.Errorf("tables %+v, want %s home-routed for %q", r.Tables, hot.Table, wantWhy)
	}
	if err := a.Set("conflict_policy", PolicyLWW); err != nil {
		t.Fatal(err)
	}
	r, err = Recommend(a, Inputs{Forecast: in})
	if err != nil {
		t.Fatal(err)
	}
	if want := fmtRate(mixed.TotalConflictsPerDay) + " last-writer-wins conflicts/day"; !strings.Contains(strings.Join(r.Risks, "\n"), want) {
		t.Errorf("risks %q, want %q", r.Risks, want)
	}
}

// Lost increments are said per column in words a DBA reads: how many of
// the column's changes the converged rows lack, and how far off that
// leaves them; never "Δ 5 of 10".
func TestForecastLostIncrementsInWords(t *testing.T) {
	rep := fcAlternating(t, 10, 10*time.Millisecond).forecast(10*time.Second,
		ForecastOptions{Regions: 2, Lag: time.Hour, Route: fcMapRoute(t), HomeShare: 1})
	var txt, md bytes.Buffer
	if err := rep.WriteText(&txt); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	want := "public.counters.n: 5 of its 10 changes are lost: last-update-wins keeps a version of the row built without them, so the converged rows end 5 below where all the changes would put them (together they change it by 10)."
	for name, out := range map[string]string{"text": txt.String(), "markdown": md.String()} {
		if !strings.Contains(out, want) || strings.Contains(out, "Δ") {
			t.Errorf("%s does not say the lost increments in words (want %q):\n%s", name, want, out)
		}
	}
	if v := BuildHTMLReport(HTMLInputs{Forecast: rep}).Forecast; len(v.Lost) != 1 || v.Lost[0] != want {
		t.Errorf("page lost lines %q", v.Lost)
	}
}

// An id allocator the assessment found and the forecast's lost
// increments of its counter are one fact: recommend's blocker and the
// page say how many ids two nodes handed out, where the forecast alone
// counts no key collision for them.
func TestAllocatorLostIncrementsAreDuplicateIds(t *testing.T) {
	rep := fcAlternating(t, 10, 10*time.Millisecond).forecast(10*time.Second,
		ForecastOptions{Regions: 2, Lag: time.Hour, Route: RouteRule{Kind: RouteHash}, Seed: 3})
	if rep.KeyCollisionsPerDay != 0 || rep.Tables[0].Counters[0].Lost == 0 {
		t.Fatalf("want lost increments and no key collisions: %+v", rep.Tables[0])
	}
	lost := rep.Tables[0].Counters[0].Lost
	finding := ReportFinding{Rule: "AR206", Name: "id-allocator", Severity: "error", Object: "public.counters.n", Table: "public.counters",
		Message: "public.counters.n hands out key values", Fix: "Give each node its own counter rows"}
	as := &Report{SchemaVersion: 1, Verdict: VerdictNotReady, Findings: []ReportFinding{finding},
		Tables: []TableAdvice{{Table: "public.counters", Advice: AdviceHome, Errors: 1, Columns: []string{"id", "n", "writer"}}}}
	want := fmt.Sprintf("public.counters.n hands out ids (assessment: id-allocator), and the forecast's replay (2 regions, route hash, W = 3600000 ms) lost %d of its 10 increments to last-update-wins: %d ids that two nodes both handed out in 10 s of capture (≈ %s a day)",
		lost, lost, fmtRate(float64(lost)/10*86400))
	in := fcWriteRead(t, rep)
	r := recommendProfile(t, "5.4-payments-five-nines.yaml", Inputs{Assessment: as, Forecast: in})
	var msg string
	for _, b := range r.Blockers {
		if b.Object == "public.counters.n" {
			msg = b.Message
		}
	}
	if !strings.Contains(msg, "The forecast agrees: "+want) {
		t.Errorf("%s: allocator blocker %q, want the forecast's duplicate ids %q", r.Design, msg, want)
	}
	// The page: the recommendation and the forecast section say it alike.
	report := &Report{SchemaVersion: 1, Findings: []ReportFinding{{Rule: finding.Rule, Name: finding.Name, Severity: finding.Severity,
		Object: finding.Object, Table: finding.Table, Message: finding.Message}}, Tables: as.Tables}
	h := BuildHTMLReport(HTMLInputs{Recommendation: r, Assessment: report, Forecast: rep})
	if len(h.Forecast.Allocators) != 1 || !strings.HasPrefix(h.Forecast.Allocators[0], want) {
		t.Errorf("page allocators %q, want %q", h.Forecast.Allocators, want)
	}
	if page := renderReport(t, HTMLInputs{Recommendation: r, Assessment: report, Forecast: rep}); !strings.Contains(page, "Ids handed out twice") {
		t.Errorf("page does not show the ids handed out twice")
	}
	// Under geo-partitioning by a column the counter rows carry, they do
	// not arise, and the reasons say why.
	as.Tables[0].Columns = append(as.Tables[0].Columns, "tenant_id")
	r = recommendProfile(t, "wp-geo-far-users.yaml", Inputs{Assessment: as, Forecast: in})
	var why []string
	for _, tm := range r.Tables {
		if tm.Table == "public.counters" {
			why = tm.Why
		}
	}
	if !strings.Contains(strings.Join(why, "\n"), fmt.Sprintf("the forecast's %d lost increments of n (its replay, route hash, let any node bump any row) do not arise here", lost)) {
		t.Errorf("%s: reasons of public.counters %q", r.Design, why)
	}
}
