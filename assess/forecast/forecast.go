// Package forecast owns the conflict forecast: it replays a change-stream
// trace (inspect/stream) as if it had run on a multi-primary mesh, counts
// what would conflict, writes its report (text, markdown, JSON) and reads
// that JSON back for recommend and report. It imports only the model
// (inspect) and the change stream; never assess, the rules, the decision,
// replicate or templates.
package forecast

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stream"
)

// SchemaVersion is the schema_version of the forecast JSON.
// Version 2 gave each table's schema and name apart (table is the quoted
// qualified name), per-table curves, and counted only what can conflict.
// Version 3 counts conflicting applies (at most one per remote change a
// node applies) instead of pairs of writes, and reports key collisions of
// sequence-fed keys apart from conflicts/day, under the sequence strategy
// it names. ReadReport still reads versions 1 and 2.
const SchemaVersion = 3

// Sequence strategies the forecast models for sequence-fed keys.
const (
	// SequencesShared: each node hands out values from its own copy of
	// the sequence, from the same start (what a mesh does unless told).
	SequencesShared = "shared"
	// SequencesOffsets: each node's sequences step by the node count from
	// a distinct start (bootstrap's default), or hand out disjoint ranges:
	// no two nodes hand out the same value.
	SequencesOffsets = "offsets"
)

// DefaultMaxRows bounds the rows a forecast tracks one by one.
const DefaultMaxRows = 2_000_000

// Route kinds.
const (
	RouteHash   = "hash"   // every transaction to a region by a seeded hash
	RouteColumn = "column" // by the value of an owner column (its home region)
	RouteMap    = "map"    // table.column=value:region entries
)

// RouteEntry sends transactions that write value in table.column to a
// region (1-based).
type RouteEntry struct {
	Table  string `json:"table"` // name or schema.name
	Column string `json:"column"`
	Value  string `json:"value"`
	Region int    `json:"region"`
}

// RouteRule says in which region each transaction of the trace would have
// run.
type RouteRule struct {
	Kind    string       `json:"kind"`
	Column  string       `json:"column,omitempty"`
	Entries []RouteEntry `json:"entries,omitempty"`
}

func (r RouteRule) String() string {
	switch r.Kind {
	case RouteColumn:
		return "column:" + r.Column
	case RouteMap:
		var parts []string
		for _, e := range r.Entries {
			parts = append(parts, fmt.Sprintf("%s.%s=%s:%d", e.Table, e.Column, e.Value, e.Region))
		}
		return strings.Join(parts, ",")
	}
	return RouteHash
}

// ParseRoute reads --route: "hash", "column:COL", or
// "table.column=value:region,..." with regions 1..n (or r1..rn).
func ParseRoute(s string, regions int) (RouteRule, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || s == RouteHash:
		return RouteRule{Kind: RouteHash}, nil
	case strings.HasPrefix(s, "column:"):
		col := strings.TrimSpace(strings.TrimPrefix(s, "column:"))
		if col == "" {
			return RouteRule{}, fmt.Errorf("--route %q: want column:COLUMN", s)
		}
		return RouteRule{Kind: RouteColumn, Column: col}, nil
	}
	r := RouteRule{Kind: RouteMap}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lhs, rhs, ok := strings.Cut(part, "=")
		dot := strings.LastIndexByte(lhs, '.')
		colon := strings.LastIndexByte(rhs, ':')
		if !ok || dot <= 0 || dot == len(lhs)-1 || colon < 0 {
			return RouteRule{}, fmt.Errorf("--route %q: want hash, column:COLUMN, or table.column=value:region,... (got %q)", s, part)
		}
		reg := strings.TrimPrefix(strings.TrimSpace(rhs[colon+1:]), "r")
		n, err := strconv.Atoi(reg)
		if err != nil || n < 1 || n > regions {
			return RouteRule{}, fmt.Errorf("--route %q: region %q: want 1 to %d", s, rhs[colon+1:], regions)
		}
		r.Entries = append(r.Entries, RouteEntry{Table: lhs[:dot], Column: lhs[dot+1:], Value: rhs[:colon], Region: n})
	}
	return r, nil
}

// Options drive a replay.
type Options struct {
	Regions int           // N ≥ 1
	Lag     time.Duration // W
	Route   RouteRule
	// HomeShare is the share of a routed transaction's writes made in its
	// home region (column and map routes); the rest goes to the other
	// regions evenly.
	HomeShare float64
	Seed      uint64
	MaxRows   int // 0: DefaultMaxRows
	Top       int // hot rows to list; 0: 10
	// Sequences is how the nodes' sequences hand out values:
	// SequencesShared ("" too) or SequencesOffsets.
	Sequences string
}

// Counts are exact counts from replaying the trace.
type Counts struct {
	// Writes counts row writes (one per transaction and row).
	Writes int64 `json:"writes"`
	// OriginDiffers counts remote changes that find the local row last
	// written by another origin (or missing, or already there for an
	// insert): what pglogical (and PostgreSQL 18) log as conflicts.
	OriginDiffers int64 `json:"origin_differs"`
	// ConflictingApplies counts the remote changes among OriginDiffers
	// that find the row holding a write their sender had not seen (made
	// by another region less than W before the change): true conflicts,
	// which last-update-wins resolves silently, at most one per remote
	// change a node applies. The rest of OriginDiffers are changes onto a
	// row another region wrote last and the sender had seen: logged, but
	// nothing is lost.
	ConflictingApplies int64 `json:"conflicting_applies"`
	// Concurrent counts pairs of writes to one row from different regions
	// less than W apart (Σ 2W·λᵢ·λⱼ estimates it). A pair is not a
	// conflict a mesh logs: k writes from one region and k from another
	// inside one window make k² pairs but at most 2k conflicting applies.
	Concurrent int64 `json:"concurrent"`
	// LostIncrements counts changes of numeric columns that the converged
	// row no longer contains; LostDelta is their sum.
	LostIncrements int64   `json:"lost_increments"`
	LostDelta      float64 `json:"lost_delta"`
	// SeqCollisions counts inserts whose sequence-fed key another region's
	// own sequence would also have handed out; SeqInsertConflicts is how
	// many insert conflicts the receiving nodes would log for them.
	SeqCollisions      int64 `json:"seq_collisions"`
	SeqInsertConflicts int64 `json:"seq_insert_conflicts"`
}

func (c *Counts) add(o Counts) {
	c.Writes += o.Writes
	c.OriginDiffers += o.OriginDiffers
	c.ConflictingApplies += o.ConflictingApplies
	c.Concurrent += o.Concurrent
	c.LostIncrements += o.LostIncrements
	c.LostDelta += o.LostDelta
	c.SeqCollisions += o.SeqCollisions
	c.SeqInsertConflicts += o.SeqInsertConflicts
}

// ForecastCounter is one numeric column that changed by updates.
type Counter struct {
	Column     string  `json:"column"`
	Changes    int64   `json:"changes"`
	Lost       int64   `json:"lost"`
	LostDelta  float64 `json:"lost_delta"`
	TotalDelta float64 `json:"total_delta"`
}

// Table is one table's forecast.
type Table struct {
	// Schema and Name name the table; Table is the two quoted as SQL
	// (inspect.QuoteQualified), as the assessment names it.
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Table  string `json:"table"`
	Counts
	Rows         int64   `json:"rows"`
	Changes      int64   `json:"changes"`
	WritesPerSec float64 `json:"writes_per_sec"`
	// ConflictsPerDay is the table's forecast at the chosen W and N (see
	// fcModel): the conflicts a mesh would log for writes to one row from
	// two regions within W, as conflicting applies (at most one per remote
	// change a node applies), the larger of MeasuredPerDay
	// (ConflictingApplies scaled to a day) and ExpectedPerDay (the Poisson
	// model of docs/observe.md on the per-row rates of rows written more
	// than once). It never exceeds the table's writes × (N − 1).
	ConflictsPerDay float64 `json:"conflicts_per_day"`
	MeasuredPerDay  float64 `json:"measured_conflicts_per_day"`
	ExpectedPerDay  float64 `json:"expected_conflicts_per_day"`
	// KeyCollisionsPerDay is the insert conflicts the nodes would log
	// because two nodes handed out the same sequence-fed key
	// (SeqInsertConflicts scaled to a day), under the report's sequence
	// strategy: 0 with per-node offsets. Not part of ConflictsPerDay.
	KeyCollisionsPerDay float64 `json:"key_collisions_per_day"`
	// CurveLag and CurveRegions are ConflictsPerDay at other W (at the
	// chosen N) and other N (at the chosen W); both hold the chosen point.
	// Empty when the table cannot conflict.
	CurveLag     []Point `json:"curve_vs_lag,omitempty"`
	CurveRegions []Point `json:"curve_vs_regions,omitempty"`
	// ChangedColumns counts, per column, the updates that changed it.
	// When ChangedExact is false the table's updates carried no old row
	// (replica identity default): the columns sent are counted, i.e. all
	// but unchanged TOAST values.
	ChangedColumns map[string]int64 `json:"changed_columns,omitempty"`
	ChangedExact   bool             `json:"changed_exact"`
	Counters       []Counter        `json:"counter_columns,omitempty"`
	SequenceKey    string           `json:"sequence_key,omitempty"`
	InsertsPerRgn  []int64          `json:"inserts_per_region,omitempty"`
	ReplicaIdent   string           `json:"replica_identity,omitempty"`
	counters       map[int]*Counter
}

// HotRow is one of the most written rows (written more than once).
type HotRow struct {
	Schema string `json:"schema"`
	Name   string `json:"name"`
	Table  string `json:"table"` // quoted schema.name
	// Key is the row's key as column=value pairs (rowKey).
	Key          string  `json:"key"`
	Writes       int64   `json:"writes"`
	WritesPerSec float64 `json:"writes_per_sec"`
	// PConflict is P(a write on this row conflicts) ≈ Σ sᵢ(1 − e^(−2Wλ'(1−sᵢ))),
	// λ' the rate of the row's other writes.
	PConflict float64 `json:"p_conflict"`
	// ConflictsPerDay is the row's conflicting applies per day, as its
	// table's: the larger of the replay's and the model's; at most its
	// writes × (N − 1).
	ConflictsPerDay    float64 `json:"conflicts_per_day"`
	ConflictingApplies int64   `json:"conflicting_applies"`
	Concurrent         int64   `json:"concurrent"`
	OriginDiffers      int64   `json:"origin_differs"`
	LostIncrements     int64   `json:"lost_increments"`
}

// Point is a point of an analytic curve.
type Point struct {
	LagMs           float64 `json:"lag_ms"`
	Regions         int     `json:"regions"`
	ConflictsPerDay float64 `json:"conflicts_per_day"`
}

// Capture describes the trace the forecast replayed.
type Capture struct {
	Source    string    `json:"source"`
	Started   time.Time `json:"started"`
	Ended     time.Time `json:"ended"`
	DurationS float64   `json:"duration_s"`
	Txns      int64     `json:"txns"`
	Changes   int64     `json:"changes"`
	// MeanTxnChanges and MaxTxnChanges describe transaction sizes.
	MeanTxnChanges float64          `json:"mean_txn_changes"`
	MaxTxnChanges  int64            `json:"max_txn_changes"`
	Complete       bool             `json:"complete"`
	Reason         string           `json:"reason,omitempty"`
	Origins        map[string]int64 `json:"origins,omitempty"`
}

// Report is the output of `aadvisor observe`.
type Report struct {
	SchemaVersion int     `json:"schema_version"`
	Kind          string  `json:"kind"`
	Capture       Capture `json:"capture"`
	Regions       int     `json:"regions"`
	LagMs         float64 `json:"lag_ms"`
	Route         string  `json:"route"`
	HomeShare     float64 `json:"home_share"`
	Seed          uint64  `json:"seed"`
	// Sequences is the sequence strategy key collisions assume
	// (SequencesShared or SequencesOffsets).
	Sequences string `json:"sequences"`
	Totals    Counts `json:"totals"`
	// TotalConflictsPerDay, the other per-day sums and the curves add up
	// the tables' (Report.Sum): one computation for every output.
	// TotalConflictsPerDay is the headline: conflicting applies per day,
	// without KeyCollisionsPerDay.
	TotalConflictsPerDay float64  `json:"total_conflicts_per_day"`
	ExpectedPerDay       float64  `json:"expected_conflicts_per_day"`
	MeasuredPerDay       float64  `json:"measured_conflicts_per_day"`
	KeyCollisionsPerDay  float64  `json:"key_collisions_per_day"`
	Tables               []Table  `json:"tables"`
	HotRows              []HotRow `json:"hot_rows"`
	CurveLag             []Point  `json:"curve_vs_lag"`
	CurveRegions         []Point  `json:"curve_vs_regions"`
	Warnings             []string `json:"warnings,omitempty"`
	// oldModel is the schema version of a file read with the old model's
	// numbers (1 or 2; upgradeOld), which lack the replay's conflicting
	// applies and the hot rows' conflicts/day; 0 for this version's.
	oldModel int
}

// OldModel is the schema version of a file read with the old model's
// numbers (1 or 2), 0 for this version's.
func (r *Report) OldModel() int { return r.oldModel }

// fcVersion is a row version as one simulated node holds it.
type fcVersion struct {
	ts      int64 // commit time, µs
	origin  int8  // region that wrote it; -1 for the version before the trace
	present bool
	incl    []int64   // per counter column: increments included
	sums    []float64 // per counter column: deltas included
}

type fcPending struct {
	ts     int64
	region int8
	op     stream.Op
	txn    int64
	v      *fcVersion
}

type fcRow struct {
	tab        *fcTable
	key        string
	writes     int64
	routed     int64
	shareSum   []float64
	lastTxn    int64
	nodes      []*fcVersion
	pending    []fcPending
	last       []float64
	known      []bool
	final      *fcVersion
	incs       []int64
	deltas     []float64
	concurrent int64
	origin     int64
	conflict   int64 // conflicting applies
	lost       int64
}

type fcTable struct {
	t       *stream.Table
	out     *Table
	key     []int
	num     []int // numeric non-key columns
	seqCol  int
	rows    map[string]*fcRow
	changes int64
	untrack int64
	dups    int64 // inserts of a row a keyless table already holds
	inserts []int64
	exact   bool
	sawUpd  bool
}

type forecaster struct {
	o        Options
	w        int64 // µs
	tables   map[*stream.Table]*fcTable
	order    []*fcTable
	rows     int
	capped   bool
	warnings []string
}

// mix is splitmix64.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func hashString(seed uint64, s string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seed)
	h.Write(b[:])
	h.Write([]byte(s))
	return mix(h.Sum64())
}

// region places a transaction: the region it runs in, its home region,
// and whether a route rule (not the hash fallback) chose that home.
func (f *forecaster) region(txn *stream.Txn) (region, home int, routed bool) {
	n := uint64(f.o.Regions)
	if n <= 1 {
		return 0, 0, false
	}
	id := mix((mix(f.o.Seed) + mix(txn.CommitLSN)) ^ uint64(txn.Xid))
	home = -1
	switch f.o.Route.Kind {
	case RouteColumn:
		for i := range txn.Changes {
			if v, ok := changeValue(&txn.Changes[i], f.o.Route.Column); ok {
				home, routed = int(hashString(f.o.Seed, v)%n), true
				break
			}
		}
	case RouteMap:
	find:
		for i := range txn.Changes {
			c := &txn.Changes[i]
			if c.Table == nil {
				continue
			}
			for _, e := range f.o.Route.Entries {
				if e.Table != c.Table.Name && e.Table != c.Table.QualifiedName() {
					continue
				}
				if v, ok := changeValue(c, e.Column); ok && v == e.Value {
					home, routed = e.Region-1, true
					break find
				}
			}
		}
	}
	if !routed {
		r := int(id % n)
		return r, r, false
	}
	u := float64(mix(id^0x5851f42d4c957f2d)>>11) / (1 << 53)
	if u < f.o.HomeShare {
		return home, home, true
	}
	other := int(mix(id^0x14057b7ef767814f) % (n - 1))
	return (home + 1 + other) % int(n), home, true
}

// changeValue is the text of a column in the change's new row, else its
// old row.
func changeValue(c *stream.Change, col string) (string, bool) {
	if c.Table == nil {
		return "", false
	}
	i := c.Table.Column(col)
	if i < 0 {
		return "", false
	}
	for _, tup := range [][]stream.Value{c.New, c.Old} {
		if i < len(tup) && (tup[i].Kind == stream.KindText || tup[i].Kind == stream.KindHashed) {
			return string(tup[i].Data), true
		}
	}
	return "", false
}

func (f *forecaster) table(t *stream.Table) *fcTable {
	if ft := f.tables[t]; ft != nil {
		return ft
	}
	ft := &fcTable{t: t, rows: map[string]*fcRow{}, seqCol: -1, exact: true, inserts: make([]int64, f.o.Regions),
		out: &Table{Schema: t.Schema, Name: t.Name, Table: inspect.QuoteQualified(t.Schema, t.Name),
			ChangedColumns: map[string]int64{}, counters: map[int]*Counter{}}}
	f.refreshColumns(ft)
	switch t.ReplicaIdentity {
	case 'd':
		ft.out.ReplicaIdent = "default"
	case 'f':
		ft.out.ReplicaIdent = "full"
	case 'i':
		ft.out.ReplicaIdent = "index"
	case 'n':
		ft.out.ReplicaIdent = "nothing"
	}
	f.tables[t] = ft
	f.order = append(f.order, ft)
	return ft
}

func (f *forecaster) refreshColumns(ft *fcTable) {
	ft.key, ft.num, ft.seqCol = nil, nil, -1
	for i, c := range ft.t.Columns {
		if c.Key {
			ft.key = append(ft.key, i)
		} else if c.Numeric() {
			ft.num = append(ft.num, i)
		}
		if c.Sequence {
			ft.seqCol = i
			ft.out.SequenceKey = c.Name
		}
	}
}

func rowKey(ft *fcTable, c *stream.Change) string {
	tup := c.New
	if (c.OldKind == 'K' || c.OldKind == 'O' || c.Op == stream.OpDelete) && c.Old != nil {
		tup = c.Old
	}
	cols := ft.key
	if len(cols) == 0 {
		cols = make([]int, len(ft.t.Columns))
		for i := range cols {
			cols[i] = i
		}
	}
	var b strings.Builder
	for _, i := range cols {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(inspect.QuoteIdentLine(ft.t.Columns[i].Name))
		b.WriteByte('=')
		if i < len(tup) {
			b.WriteString(keyValueText(tup[i]))
		}
	}
	return b.String()
}

// keyValueText is a key value as rowKey shows it: as is when it is plain
// (letters, digits, - _ . : + / @), NULL for a null, ? for an unchanged
// TOAST value, else a SQL literal on one line (E'a\nb'), so that a key
// reads back unambiguously.
func keyValueText(v stream.Value) string {
	switch v.Kind {
	case stream.KindText, stream.KindHashed:
	case stream.KindNull:
		return "NULL"
	default:
		return "?"
	}
	s := string(v.Data)
	plain := s != "" && !strings.EqualFold(s, "null")
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_.:+/@", r)) {
			plain = false
			break
		}
	}
	if plain {
		return s
	}
	if strings.IndexFunc(s, func(r rune) bool { return r == '\\' || !unicode.IsPrint(r) && r != ' ' }) < 0 {
		return inspect.QuoteLiteral(s)
	}
	var b strings.Builder
	b.WriteString("E'")
	for _, r := range s {
		switch {
		case r == '\'':
			b.WriteString("''")
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r != ' ' && !unicode.IsPrint(r):
			fmt.Fprintf(&b, `\U%08X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('\'')
	return b.String()
}

func (f *forecaster) newVersion(base *fcVersion, k int) *fcVersion {
	v := &fcVersion{ts: base.ts, origin: base.origin, present: base.present,
		incl: make([]int64, k), sums: make([]float64, k)}
	copy(v.incl, base.incl)
	copy(v.sums, base.sums)
	return v
}

func (f *forecaster) row(ft *fcTable, key string, op stream.Op) *fcRow {
	if r := ft.rows[key]; r != nil {
		return r
	}
	if f.rows >= f.o.MaxRows {
		if !f.capped {
			f.capped = true
			f.warnings = append(f.warnings, fmt.Sprintf("row cap reached: %d rows tracked one by one; writes to rows first seen later count in table totals only (raise --max-rows)", f.o.MaxRows))
		}
		return nil
	}
	f.rows++
	k := len(ft.num)
	r := &fcRow{tab: ft, key: key, nodes: make([]*fcVersion, f.o.Regions), shareSum: make([]float64, f.o.Regions),
		last: make([]float64, k), known: make([]bool, k), incs: make([]int64, k), deltas: make([]float64, k)}
	base := &fcVersion{ts: math.MinInt64, origin: -1, present: op != stream.OpInsert, incl: make([]int64, k), sums: make([]float64, k)}
	for i := range r.nodes {
		r.nodes[i] = base
	}
	r.final = base
	ft.rows[key] = r
	return r
}

// deliver applies a remote write to every other node, as pglogical with
// last_update_wins would, counting what it logs (origin) and, of that, the
// conflicting applies: the node's row holds a write from another region
// that the sender had not seen when it wrote (made less than W before
// it). A version from before the trace (origin −1) is neither.
func (f *forecaster) deliver(r *fcRow, p fcPending) {
	for s := range r.nodes {
		if s == int(p.region) {
			continue
		}
		st := r.nodes[s]
		logged := false
		switch p.op {
		case stream.OpInsert:
			if st.present {
				logged = true
				if p.ts > st.ts {
					r.nodes[s] = p.v
				}
			} else {
				r.nodes[s] = p.v
			}
		case stream.OpDelete:
			if !st.present {
				logged = true
			} else {
				r.nodes[s] = p.v
			}
		default:
			switch {
			case !st.present:
				logged = true
			case st.origin >= 0 && st.origin != p.region:
				logged = true
				if p.ts > st.ts {
					r.nodes[s] = p.v
				}
			default:
				r.nodes[s] = p.v
			}
		}
		if logged {
			r.origin++
			if st.origin >= 0 && st.origin != p.region && st.ts > p.ts-f.w {
				r.conflict++
			}
		}
	}
}

func (f *forecaster) flush(r *fcRow, until int64) {
	i := 0
	for ; i < len(r.pending); i++ {
		p := r.pending[i]
		if until != math.MaxInt64 && p.ts > until-f.w {
			break
		}
		f.deliver(r, p)
	}
	if i > 0 {
		r.pending = append(r.pending[:0], r.pending[i:]...)
	}
}

func parseNum(v stream.Value) (float64, bool) {
	if v.Kind != stream.KindText {
		return 0, false
	}
	x, err := strconv.ParseFloat(string(v.Data), 64)
	return x, err == nil
}

func (f *forecaster) change(txn *stream.Txn, c *stream.Change, region, home int, routed bool) {
	if c.Op == stream.OpTruncate {
		for _, t := range c.Tables {
			f.table(t).changes++
		}
		f.warnings = appendOnce(f.warnings, "the trace holds TRUNCATE: each is replicated as is and conflicts with every concurrent write to the table; not counted per row")
		return
	}
	if c.Table == nil {
		return
	}
	ft := f.table(c.Table)
	if len(ft.num) > 0 || len(ft.key) > 0 {
		// Relation records may change mid-trace (ALTER TABLE).
		if maxIdx(ft.key, ft.num) >= len(c.Table.Columns) {
			f.refreshColumns(ft)
		}
	}
	ft.changes++
	if c.Op == stream.OpUpdate {
		ft.sawUpd = true
		if c.OldKind == 'O' && len(c.Old) == len(c.New) {
			for i := range c.New {
				if c.New[i].Present() && !c.New[i].Equal(c.Old[i]) {
					ft.out.ChangedColumns[c.Table.Columns[i].Name]++
				}
			}
		} else {
			ft.exact = false
			for i := range c.New {
				if i < len(c.Table.Columns) && c.New[i].Present() {
					ft.out.ChangedColumns[c.Table.Columns[i].Name]++
				}
			}
		}
	}
	if c.Op == stream.OpInsert && ft.seqCol >= 0 && ft.seqCol < len(c.New) && c.New[ft.seqCol].Kind == stream.KindText {
		ft.inserts[region]++
	}
	key := rowKey(ft, c)
	if len(ft.key) == 0 && c.Op == stream.OpInsert {
		// Without a key nothing can collide: an insert of a row equal to
		// one the table holds adds a second row.
		if ft.rows[key] != nil {
			ft.dups++
			key += " #" + strconv.FormatInt(ft.dups, 10)
		}
	}
	r := f.row(ft, key, c.Op)
	ts := txn.CommitTime.UnixMicro()
	if r == nil {
		ft.untrack++
		return
	}
	f.flush(r, ts)
	same := r.lastTxn == txn.Seq
	if !same {
		r.lastTxn = txn.Seq
		r.writes++
		if routed {
			r.routed++
			n := len(r.shareSum)
			for i := range r.shareSum {
				if i == home {
					r.shareSum[i] += f.o.HomeShare
				} else if n > 1 {
					r.shareSum[i] += (1 - f.o.HomeShare) / float64(n-1)
				}
			}
		} else {
			for i := range r.shareSum {
				r.shareSum[i] += 1 / float64(len(r.shareSum))
			}
		}
		for _, p := range r.pending {
			if int(p.region) != region {
				r.concurrent++
			}
		}
	}
	v := f.newVersion(r.nodes[region], len(ft.num))
	v.ts, v.origin, v.present = ts, int8(region), c.Op != stream.OpDelete
	if c.Op == stream.OpUpdate && c.OldKind == 'O' {
		// Replica identity full: the old row gives the previous values even
		// for the first change of a row seen in the trace.
		for j, ci := range ft.num {
			if ci < len(c.Old) {
				if x, ok := parseNum(c.Old[ci]); ok {
					r.last[j], r.known[j] = x, true
				}
			}
		}
	}
	if c.Op != stream.OpDelete {
		for j, ci := range ft.num {
			if ci >= len(c.New) {
				continue
			}
			x, ok := parseNum(c.New[ci])
			if !ok {
				continue
			}
			if c.Op == stream.OpUpdate && r.known[j] && x != r.last[j] {
				d := x - r.last[j]
				v.incl[j]++
				v.sums[j] += d
				r.incs[j]++
				r.deltas[j] += d
			}
			r.last[j], r.known[j] = x, true
		}
	}
	r.nodes[region] = v
	r.final = v
	if same && len(r.pending) > 0 && r.pending[len(r.pending)-1].txn == txn.Seq {
		last := &r.pending[len(r.pending)-1]
		last.v = v
		if c.Op == stream.OpDelete {
			last.op = stream.OpDelete
		}
		return
	}
	r.pending = append(r.pending, fcPending{ts: ts, region: int8(region), op: c.Op, txn: txn.Seq, v: v})
}

func maxIdx(a, b []int) int {
	m := -1
	for _, x := range a {
		m = max(m, x)
	}
	for _, x := range b {
		m = max(m, x)
	}
	return m
}

func appendOnce(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// Run replays a trace as if its transactions had run in o.Regions
// regions with a replication window o.Lag, and counts per table and per
// row what a multi-primary mesh would have seen (see Counts). The
// replay is deterministic for a given trace, route and seed.
func Run(tr *stream.Reader, o Options) (*Report, error) {
	if o.Regions < 1 {
		return nil, fmt.Errorf("forecast: regions %d: want at least 1", o.Regions)
	}
	if o.Regions > 64 {
		return nil, fmt.Errorf("forecast: regions %d: want at most 64", o.Regions)
	}
	if o.Lag < 0 {
		return nil, fmt.Errorf("forecast: lag %s: want ≥ 0", o.Lag)
	}
	if o.HomeShare < 0 || o.HomeShare > 1 || math.IsNaN(o.HomeShare) {
		return nil, fmt.Errorf("forecast: home share %v: want 0 to 1", o.HomeShare)
	}
	switch o.Sequences {
	case "":
		o.Sequences = SequencesShared
	case SequencesShared, SequencesOffsets:
	default:
		return nil, fmt.Errorf("forecast: sequences %q: want %s or %s", o.Sequences, SequencesShared, SequencesOffsets)
	}
	if o.Route.Kind == "" {
		o.Route.Kind = RouteHash
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.Top <= 0 {
		o.Top = 10
	}
	f := &forecaster{o: o, w: o.Lag.Microseconds(), tables: map[*stream.Table]*fcTable{}}
	rep := &Report{SchemaVersion: SchemaVersion, Kind: "forecast", Regions: o.Regions,
		LagMs: float64(o.Lag) / float64(time.Millisecond), Route: o.Route.String(), HomeShare: o.HomeShare, Seed: o.Seed, Sequences: o.Sequences}
	meta := tr.Meta()
	rep.Capture.Source = meta.Source
	rep.Capture.Started = meta.Started
	rep.Capture.Origins = map[string]int64{}
	var first, last time.Time
	for {
		txn, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if first.IsZero() {
			first = txn.CommitTime
		}
		last = txn.CommitTime
		rep.Capture.Txns++
		rep.Capture.Changes += int64(len(txn.Changes))
		rep.Capture.MaxTxnChanges = max(rep.Capture.MaxTxnChanges, int64(len(txn.Changes)))
		origin := txn.Origin
		if origin == "" {
			origin = "local"
		}
		rep.Capture.Origins[origin]++
		region, home, routed := f.region(txn)
		for i := range txn.Changes {
			f.change(txn, &txn.Changes[i], region, home, routed)
		}
	}
	if ftr := tr.Footer(); ftr != nil {
		rep.Capture.Ended = ftr.Ended
		rep.Capture.Complete = !tr.Truncated()
		rep.Capture.Reason = ftr.Reason
		f.warnings = append(f.warnings, ftr.Notes...)
	} else {
		rep.Capture.Ended = last
		f.warnings = append(f.warnings, "the trace has no footer: the capture was cut short; every whole transaction in it was used")
	}
	dur := rep.Capture.Ended.Sub(rep.Capture.Started).Seconds()
	if rep.Capture.Started.IsZero() || dur <= 0 {
		dur = last.Sub(first).Seconds()
	}
	if dur < 1 {
		dur = 1
	}
	rep.Capture.DurationS = dur
	if rep.Capture.Txns > 0 {
		rep.Capture.MeanTxnChanges = float64(rep.Capture.Changes) / float64(rep.Capture.Txns)
	}
	f.finish(rep, dur)
	rep.Warnings = f.warnings
	return rep, nil
}

// shares are a row's expected region shares: what its writes' routes give
// each region, averaged over its writes.
func (r *fcRow) shares() []float64 {
	s := make([]float64, len(r.shareSum))
	if r.writes == 0 {
		return s
	}
	for i, x := range r.shareSum {
		s[i] = x / float64(r.writes)
	}
	return s
}

// RowPConflict is P(a write on the key conflicts) averaged over the
// regions' writes: Σ sᵢ·(1 − e^(−2W·λ'·(1−sᵢ))), the key's other writes
// arriving at λ' and from the other regions at λ'·(1−sᵢ) (docs/decision.md,
// P(conflict per write)).
func RowPConflict(w, other float64, shares []float64) float64 {
	p := 0.0
	for _, s := range shares {
		p += s * -math.Expm1(-2*w*other*(1-s))
	}
	return min(p, 1) // shares summing to 1 + ε
}

// RowConflictingApplies is the conflicts per second a mesh logs on one key
// written λ times per second, its other writes at λ', a share sᵢ of them
// in region i, window W seconds (docs/observe.md). A write made in region
// i reaches every other node k W later and conflicts there when k holds a
// write the sender had not seen: one k made less than W before or after it
// (at λ'·s_k over 2W) or one a third region j made less than W before it
// (at λ'·s_j over W):
//
//	λ · Σᵢ sᵢ · Σ_{k≠i} (1 − e^(−W·λ'·(1 − sᵢ + s_k)))
//
// Each term is a probability, so the rate never exceeds λ·(N − 1): the
// remote changes the nodes apply. For two regions it is λ·RowPConflict.
func RowConflictingApplies(w, lambda, other float64, shares []float64) float64 {
	sum := 0.0
	for i, si := range shares {
		if si == 0 {
			continue
		}
		for k, sk := range shares {
			if k != i {
				sum += si * -math.Expm1(-w*other*(1-si+sk))
			}
		}
	}
	return lambda * sum
}

// rowRates estimates a key's write rate λ and the rate λ' of its other
// writes from k writes in d seconds: λ = k/d, λ' = (k−1)/d. For a Poisson
// count E[k(k−1)] = (λd)², so λ·λ' is unbiased for λ², and a row written
// once (an insert nothing touches again) adds no conflict.
func rowRates(k int64, d float64) (lambda, other float64) {
	if k <= 0 {
		return 0, 0
	}
	return float64(k) / d, float64(k-1) / d
}

// modelShares are the expected shares over n regions of a key whose
// writes are a share rho routed to one home (home share h, the first
// region) and the rest spread evenly.
func modelShares(n int, rho, h float64) []float64 {
	s := make([]float64, n)
	if n == 1 {
		s[0] = 1
		return s
	}
	fn := float64(n)
	for i := range s {
		s[i] = rho*(1-h)/(fn-1) + (1-rho)/fn
	}
	s[0] = rho*h + (1-rho)/fn
	return s
}

// CurveLags are the windows of the conflicts-vs-lag curve, in ms.
var CurveLags = []float64{10, 25, 50, 100, 200, 500, 1000}

// CurveRegions are the region counts of the conflicts-vs-regions curve.
var CurveRegions = []int{2, 3, 4, 5, 6}

// fcGroup is the rows written more than once that the model cannot tell
// apart: the same writes, routed writes and shares.
type fcGroup struct {
	rows          float64
	lambda, other float64
	rho           float64   // share of the writes a route rule placed
	shares        []float64 // at the chosen N
}

func fcGroupKey(r *fcRow, shares []float64) string {
	b := make([]byte, 0, 24+8*len(shares))
	b = strconv.AppendInt(b, r.writes, 36)
	b = append(b, '/')
	b = strconv.AppendInt(b, r.routed, 36)
	for _, s := range shares {
		b = append(b, '/')
		b = strconv.AppendUint(b, math.Float64bits(s), 36)
	}
	return string(b)
}

// fcModel is one table's forecast as a function of the window W and the
// region count N: the single computation behind the table's
// conflicts/day, its curves and, summed (Report.Sum), the headline
// and the report's curves.
type fcModel struct {
	chosen int
	home   float64
	groups []*fcGroup
	// burst is the replay's conflicting applies over the model's at the
	// chosen W and N, when higher (bursty traffic); else 1.
	burst float64
	// multi is the write rate of the rows written more than once: no
	// table logs more conflicts than the nodes apply, multi·(N − 1).
	multi float64
	// w and measured are the chosen W and the replay's conflicting applies
	// per day there: at the chosen W and N the forecast is never below
	// the replay, not even by the rounding of burst·rate.
	w, measured float64
}

// rate is the model's conflicting applies per second at W seconds and N
// regions: at the chosen N each row's own shares, at another N its
// routing model's (one home per routed row).
func (m *fcModel) rate(w float64, n int) float64 {
	if n <= 1 {
		return 0
	}
	sum := 0.0
	for _, g := range m.groups {
		shares := g.shares
		if n != m.chosen {
			shares = modelShares(n, g.rho, m.home)
		}
		sum += g.rows * RowConflictingApplies(w, g.lambda, g.other, shares)
	}
	return sum
}

func (m *fcModel) perDay(w float64, n int) float64 {
	if n <= 1 {
		return 0
	}
	v := 86400 * min(m.burst*m.rate(w, n), m.multi*float64(n-1))
	if w == m.w && n == m.chosen {
		v = max(v, m.measured)
	}
	return v
}

func (f *forecaster) finish(rep *Report, dur float64) {
	w := float64(f.w) / 1e6
	chosen := f.o.Regions
	type hot struct {
		r         *fcRow
		p, perDay float64
	}
	var hots []hot
	var seqTables []string
	sharedKeys := 0.0 // key collisions/day were the sequences shared
	for _, ft := range f.order {
		out := ft.out
		out.ChangedExact = ft.exact || !ft.sawUpd
		out.Changes = ft.changes
		var c Counts
		keys := make([]string, 0, len(ft.rows))
		for k := range ft.rows {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := &fcModel{chosen: chosen, home: f.o.HomeShare, burst: 1}
		groups := map[string]*fcGroup{}
		for _, k := range keys {
			r := ft.rows[k]
			f.flush(r, math.MaxInt64)
			c.Writes += r.writes
			c.Concurrent += r.concurrent
			c.OriginDiffers += r.origin
			c.ConflictingApplies += r.conflict
			for j, ci := range ft.num {
				if r.incs[j] == 0 {
					continue
				}
				lost := r.incs[j] - r.final.incl[j]
				lostD := r.deltas[j] - r.final.sums[j]
				r.lost += lost
				c.LostIncrements += lost
				c.LostDelta += lostD
				fc := out.counters[ci]
				if fc == nil {
					fc = &Counter{Column: ft.t.Columns[ci].Name}
					out.counters[ci] = fc
				}
				fc.Changes += r.incs[j]
				fc.Lost += lost
				fc.LostDelta += lostD
				fc.TotalDelta += r.deltas[j]
			}
			if r.writes < 2 {
				continue // written once: nothing to conflict with
			}
			lambda, other := rowRates(r.writes, dur)
			shares := r.shares()
			m.multi += lambda
			gk := fcGroupKey(r, shares)
			g := groups[gk]
			if g == nil {
				g = &fcGroup{lambda: lambda, other: other, rho: float64(r.routed) / float64(r.writes), shares: shares}
				groups[gk] = g
				m.groups = append(m.groups, g)
			}
			g.rows++
			perDay := 86400 * max(RowConflictingApplies(w, lambda, other, shares), float64(r.conflict)/dur)
			hots = append(hots, hot{r, RowPConflict(w, other, shares), perDay})
		}
		c.Writes += ft.untrack
		if ft.seqCol >= 0 {
			// Each node hands out the first nᵣ values of its own copy of
			// the sequence: Σ nᵣ − max nᵣ inserts get a value another node
			// also handed out, and node s logs an insert conflict for each
			// of node r's inserts it already holds: Σ_{s≠r} min(nᵣ, nₛ).
			total, maxN, logged := int64(0), int64(0), int64(0)
			for s, ns := range ft.inserts {
				total += ns
				maxN = max(maxN, ns)
				for r, nr := range ft.inserts {
					if r != s {
						logged += min(ns, nr)
					}
				}
			}
			out.InsertsPerRgn = ft.inserts
			if logged > 0 {
				seqTables = append(seqTables, inspect.QuoteQualifiedLine(ft.t.Schema, ft.t.Name))
				sharedKeys += float64(logged) / dur * 86400
			}
			if f.o.Sequences != SequencesOffsets {
				c.SeqCollisions, c.SeqInsertConflicts = total-maxN, logged
			}
		}
		out.Counts = c
		out.Rows = int64(len(ft.rows))
		out.WritesPerSec = float64(c.Writes) / dur
		out.MeasuredPerDay = float64(c.ConflictingApplies) / dur * 86400
		out.ExpectedPerDay = 86400 * m.rate(w, chosen)
		if out.ExpectedPerDay > 0 && out.MeasuredPerDay > out.ExpectedPerDay {
			m.burst = out.MeasuredPerDay / out.ExpectedPerDay
		}
		m.w, m.measured = w, out.MeasuredPerDay
		out.ConflictsPerDay = m.perDay(w, chosen)
		out.KeyCollisionsPerDay = float64(c.SeqInsertConflicts) / dur * 86400
		some := false
		for _, ms := range curveLags(rep.LagMs) {
			wl := ms / 1000
			if ms == rep.LagMs {
				wl = w
			}
			p := Point{LagMs: ms, Regions: chosen, ConflictsPerDay: m.perDay(wl, chosen)}
			out.CurveLag = append(out.CurveLag, p)
			some = some || p.ConflictsPerDay > 0
		}
		for _, n := range curveNs(chosen) {
			p := Point{LagMs: rep.LagMs, Regions: n, ConflictsPerDay: m.perDay(w, n)}
			out.CurveRegions = append(out.CurveRegions, p)
			some = some || p.ConflictsPerDay > 0
		}
		if !some { // nothing in this table can conflict
			out.CurveLag, out.CurveRegions = nil, nil
		}
		idx := make([]int, 0, len(out.counters))
		for ci := range out.counters {
			idx = append(idx, ci)
		}
		sort.Ints(idx)
		for _, ci := range idx {
			out.Counters = append(out.Counters, *out.counters[ci])
		}
		if len(out.ChangedColumns) == 0 {
			out.ChangedColumns = nil
		}
		rep.Tables = append(rep.Tables, *out)
	}
	sort.SliceStable(rep.Tables, func(i, j int) bool {
		a, b := rep.Tables[i], rep.Tables[j]
		if a.ConflictsPerDay != b.ConflictsPerDay {
			return a.ConflictsPerDay > b.ConflictsPerDay
		}
		if a.KeyCollisionsPerDay != b.KeyCollisionsPerDay {
			return a.KeyCollisionsPerDay > b.KeyCollisionsPerDay
		}
		return a.Table < b.Table
	})
	rep.Sum()
	sort.SliceStable(hots, func(i, j int) bool {
		if hots[i].r.writes != hots[j].r.writes {
			return hots[i].r.writes > hots[j].r.writes
		}
		if hots[i].r.tab.out.Table != hots[j].r.tab.out.Table {
			return hots[i].r.tab.out.Table < hots[j].r.tab.out.Table
		}
		return hots[i].r.key < hots[j].r.key
	})
	for i := 0; i < len(hots) && i < f.o.Top; i++ {
		r := hots[i].r
		rep.HotRows = append(rep.HotRows, HotRow{Schema: r.tab.t.Schema, Name: r.tab.t.Name, Table: r.tab.out.Table, Key: r.key,
			Writes: r.writes, WritesPerSec: float64(r.writes) / dur, PConflict: hots[i].p, ConflictsPerDay: hots[i].perDay,
			ConflictingApplies: r.conflict, Concurrent: r.concurrent, OriginDiffers: r.origin, LostIncrements: r.lost})
	}
	if f.o.Regions == 1 {
		f.warnings = append(f.warnings, "one region: nothing can conflict; pass --regions 2 or more")
	}
	for _, t := range rep.Tables {
		if !t.ChangedExact {
			f.warnings = appendOnce(f.warnings, "tables with replica identity default send no old row on UPDATE: their changed columns are the columns sent (all but unchanged TOAST); counter deltas come from the previous version seen in the trace")
		}
	}
	if len(seqTables) > 0 {
		if f.o.Sequences == SequencesOffsets {
			f.warnings = append(f.warnings, fmt.Sprintf("sequence-fed keys (%s) do not collide: each node's sequences are assumed to step by the node count from a distinct start (per-node offsets, which bootstrap sets); with shared sequences the nodes would log %s key collisions/day",
				strings.Join(seqTables, ", "), FormatNum(sharedKeys)))
		} else {
			f.warnings = append(f.warnings, fmt.Sprintf("key collisions if sequences are shared: %s/day, not counted in the conflicts/day: inserts on two nodes that get the same key from each node's own copy of a sequence (%s); 0 with per-node sequence offsets, which bootstrap sets by default, or uuid keys",
				FormatNum(rep.KeyCollisionsPerDay), strings.Join(seqTables, ", ")))
		}
	}
}

// sum sets the report's per-day numbers, totals and curves to the sums of
// its tables': the headline, the per-table rows and every curve are one
// computation, whichever output shows them.
func (r *Report) Sum() {
	r.Totals = Counts{}
	r.TotalConflictsPerDay, r.ExpectedPerDay, r.MeasuredPerDay, r.KeyCollisionsPerDay = 0, 0, 0, 0
	byLag, byN := map[float64]float64{}, map[int]float64{}
	for _, t := range r.Tables {
		r.Totals.add(t.Counts)
		r.TotalConflictsPerDay += t.ConflictsPerDay
		r.ExpectedPerDay += t.ExpectedPerDay
		r.MeasuredPerDay += t.MeasuredPerDay
		r.KeyCollisionsPerDay += t.KeyCollisionsPerDay
		for _, p := range t.CurveLag {
			byLag[p.LagMs] += p.ConflictsPerDay
		}
		for _, p := range t.CurveRegions {
			byN[p.Regions] += p.ConflictsPerDay
		}
	}
	// The points the tables have (all the same for observe's own output;
	// a version 1 file may have fewer), else the defaults.
	lags, ns := curveLags(r.LagMs), curveNs(r.Regions)
	if len(byLag) > 0 {
		lags = lags[:0]
		for ms := range byLag {
			lags = append(lags, ms)
		}
		sort.Float64s(lags)
	}
	if len(byN) > 0 {
		ns = ns[:0]
		for n := range byN {
			ns = append(ns, n)
		}
		sort.Ints(ns)
	}
	r.CurveLag, r.CurveRegions = nil, nil
	for _, ms := range lags {
		r.CurveLag = append(r.CurveLag, Point{LagMs: ms, Regions: r.Regions, ConflictsPerDay: byLag[ms]})
	}
	for _, n := range ns {
		r.CurveRegions = append(r.CurveRegions, Point{LagMs: r.LagMs, Regions: n, ConflictsPerDay: byN[n]})
	}
}

// curveLags is CurveLags plus the chosen window, in ms, in order.
func curveLags(chosen float64) []float64 {
	out := append([]float64(nil), CurveLags...)
	for _, ms := range CurveLags {
		if ms == chosen {
			return out
		}
	}
	out = append(out, chosen)
	sort.Float64s(out)
	return out
}

// curveNs is CurveRegions plus the chosen region count, in order.
func curveNs(chosen int) []int {
	out := append([]int(nil), CurveRegions...)
	for _, n := range CurveRegions {
		if n == chosen {
			return out
		}
	}
	out = append(out, chosen)
	sort.Ints(out)
	return out
}
