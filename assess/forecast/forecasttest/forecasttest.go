// Package forecasttest builds synthetic change-stream traces and checks
// forecasts for the tests of the forecast, the decision and the page. Only
// tests import it; it imports the forecast and the change stream, never
// assess.
package forecasttest

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/inspect/stream"
)

// T0 is when every synthetic trace starts.
var T0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// TraceBuilder writes a synthetic trace.
type TraceBuilder struct {
	t   *testing.T
	Buf bytes.Buffer
	W   *stream.Writer
	lsn uint64
	xid uint32
}

// NewTrace starts a trace that declares tables.
func NewTrace(t *testing.T, tables ...*stream.Table) *TraceBuilder {
	t.Helper()
	b := &TraceBuilder{t: t, lsn: 1000, xid: 700}
	w, err := stream.NewWriter(&b.Buf, stream.Meta{Source: "test:5432/db", Started: T0})
	if err != nil {
		t.Fatal(err)
	}
	b.W = w
	for _, tab := range tables {
		if err := w.Table(tab); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

// Vals is a tuple of text values; "NULL" is a null.
func Vals(s ...string) stream.Values {
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

// Chg is one change of a synthetic transaction.
type Chg struct {
	Op       stream.Op
	Rel      uint32
	OldKind  byte
	Old, New stream.Values
}

// Txn writes one transaction committed at T0+at.
func (b *TraceBuilder) Txn(at time.Duration, changes ...Chg) {
	b.t.Helper()
	b.xid++
	b.lsn += 100
	ct := T0.Add(at)
	if err := b.W.Begin(b.xid, ct, b.lsn); err != nil {
		b.t.Fatal(err)
	}
	for _, c := range changes {
		var old, nw stream.TupleSource
		if c.Old != nil {
			old = c.Old
		}
		if c.New != nil {
			nw = c.New
		}
		if err := b.W.Change(c.Op, c.Rel, c.OldKind, old, nw); err != nil {
			b.t.Fatal(err)
		}
	}
	if err := b.W.Commit(b.lsn, b.lsn+10, ct); err != nil {
		b.t.Fatal(err)
	}
}

func (b *TraceBuilder) Forecast(end time.Duration, o forecast.Options) *forecast.Report {
	b.t.Helper()
	if err := b.W.Close(stream.Footer{Ended: T0.Add(end), Reason: "duration"}); err != nil {
		b.t.Fatal(err)
	}
	r, err := stream.NewReader(bytes.NewReader(b.Buf.Bytes()))
	if err != nil {
		b.t.Fatal(err)
	}
	rep, err := forecast.Run(r, o)
	if err != nil {
		b.t.Fatal(err)
	}
	return rep
}

// Counters is a counter table (replica identity full) with a writer column.
var Counters = &stream.Table{ID: 1, Schema: "public", Name: "counters", ReplicaIdentity: 'f', Columns: []stream.Column{
	{Name: "id", TypeOID: 20, Key: true}, {Name: "n", TypeOID: 20}, {Name: "writer", TypeOID: 25}}}

// Orders is a table keyed by a sequence, with a writer column.
var Orders = &stream.Table{ID: 2, Schema: "public", Name: "orders", ReplicaIdentity: 'd', Columns: []stream.Column{
	{Name: "id", TypeOID: 20, Key: true, Sequence: true}, {Name: "writer", TypeOID: 25}}}

// Alternating writes k increments of one counter row, alternating writers
// a and b, spacing apart; the row exists before the trace (replica
// identity full, so every update carries the old row).
func Alternating(t *testing.T, k int, spacing time.Duration) *TraceBuilder {
	b := NewTrace(t, Counters)
	for i := 0; i < k; i++ {
		w := []string{"a", "b"}[i%2]
		b.Txn(time.Second+time.Duration(i)*spacing, Chg{Op: stream.OpUpdate, Rel: 1, OldKind: 'O',
			Old: Vals("1", fmt.Sprint(i), []string{"b", "a"}[i%2]), New: Vals("1", fmt.Sprint(i+1), w)})
	}
	return b
}

// MapRoute sends writer a to region 1 and b to region 2 by a map route.
func MapRoute(t *testing.T) forecast.RouteRule {
	r, err := forecast.ParseRoute("counters.writer=a:1,counters.writer=b:2,orders.writer=a:1,orders.writer=b:r2", 2)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Near fails the test when got is further than tol from want.
func Near(t *testing.T, name string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

// Mixed is a hot counter row (hash routed), an insert-only audit trail
// and a sequence-keyed table in one trace.
func Mixed(t *testing.T) *TraceBuilder {
	b := InsertOnly(t, 300, Counters, Orders)
	for i := 0; i < 400; i++ {
		at := time.Duration(i) * 15 * time.Millisecond
		b.Txn(at+time.Millisecond, Chg{Op: stream.OpUpdate, Rel: 1, OldKind: 'O',
			Old: Vals(fmt.Sprint(1+i%3), fmt.Sprint(i), "x"), New: Vals(fmt.Sprint(1+i%3), fmt.Sprint(i+1), "x")})
		if i%4 == 0 {
			b.Txn(at+2*time.Millisecond, Chg{Op: stream.OpInsert, Rel: 2, New: Vals(fmt.Sprint(i+1), "x")})
		}
	}
	return b
}

// CheckOneComputation checks that the report's numbers are the sums of
// its tables' and that every curve passes through its number.
func CheckOneComputation(t *testing.T, rep *forecast.Report) {
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
	Near(t, "total = Σ tables", rep.TotalConflictsPerDay, sum, 1e-9*sum)
	Near(t, "key collisions = Σ tables", rep.KeyCollisionsPerDay, key, 1e-9*key)
	atW, atN := false, false
	for _, p := range rep.CurveLag {
		Near(t, fmt.Sprintf("curve W=%v = Σ tables", p.LagMs), p.ConflictsPerDay, lag[p.LagMs], 1e-9*sum)
		if p.LagMs == rep.LagMs {
			atW = true
			Near(t, "curve at W", p.ConflictsPerDay, rep.TotalConflictsPerDay, 1e-9*sum)
		}
	}
	for _, p := range rep.CurveRegions {
		Near(t, fmt.Sprintf("curve N=%d = Σ tables", p.Regions), p.ConflictsPerDay, reg[p.Regions], 1e-9*sum)
		if p.Regions == rep.Regions {
			atN = true
			Near(t, "curve at N", p.ConflictsPerDay, rep.TotalConflictsPerDay, 1e-9*sum)
		}
	}
	if !atW || !atN {
		t.Errorf("the curves miss the forecast's own point (W %v: %v, N %d: %v)", rep.LagMs, atW, rep.Regions, atN)
	}
}

// Save writes the forecast's JSON to a file and returns its path.
func Save(t *testing.T, rep *forecast.Report) string {
	t.Helper()
	var js bytes.Buffer
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	return WriteFile(t, js.String())
}

// WriteRead writes the forecast as JSON and reads it back as recommend
// --forecast does.
func WriteRead(t *testing.T, rep *forecast.Report) *forecast.Report {
	t.Helper()
	in, err := forecast.ReadReport(Save(t, rep))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// WriteFile writes body to forecast.json in a temporary directory and
// returns its path.
func WriteFile(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "forecast.json")
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// Audit is an insert-only table without a key.
var Audit = &stream.Table{ID: 3, Schema: "public", Name: "audit_log", ReplicaIdentity: 'd', Columns: []stream.Column{
	{Name: "at", TypeOID: 1184}, {Name: "actor", TypeOID: 25}, {Name: "action", TypeOID: 25}}}

// Events is an insert-only table keyed by a uuid.
var Events = &stream.Table{ID: 4, Schema: "public", Name: "events", ReplicaIdentity: 'd', Columns: []stream.Column{
	{Name: "id", TypeOID: 2950, Key: true}, {Name: "kind", TypeOID: 25}}}

// InsertOnly writes n transactions 20 ms apart, each inserting one row
// into a table without a key (an audit trail) and one into a table keyed
// by a uuid; the audit trail gets the same row twice at the end.
func InsertOnly(t *testing.T, n int, extra ...*stream.Table) *TraceBuilder {
	b := NewTrace(t, append([]*stream.Table{Audit, Events}, extra...)...)
	for i := 0; i < n; i++ {
		at := time.Duration(i) * 20 * time.Millisecond
		b.Txn(at, Chg{Op: stream.OpInsert, Rel: 3, New: Vals(T0.Add(at).Format(time.RFC3339Nano), "web", "checkout")},
			Chg{Op: stream.OpInsert, Rel: 4, New: Vals(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "click")})
	}
	for i := 0; i < 2; i++ {
		b.Txn(time.Duration(n)*20*time.Millisecond+time.Duration(i)*time.Millisecond,
			Chg{Op: stream.OpInsert, Rel: 3, New: Vals("2026-01-02T03:04:05Z", "cron", "tick")})
	}
	return b
}
