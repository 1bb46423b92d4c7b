// Package stream captures the committed changes of a live database from
// its logical change stream (pgoutput over a temporary replication slot)
// and keeps them in a trace: a compact, append-only file that the conflict
// forecast (in assess) replays offline as often as it likes.
//
// A trace holds, per committed transaction, its commit time, commit LSN,
// replication origin and size, and per change the table, the operation and
// the column values of the tuples the server sent (long values are cut and
// hashed, see MaxValueBytes). It never holds more than one transaction in
// memory while it is written, and the reader holds one transaction at a
// time.
//
// It imports inspect, pgx and pglogrepl; never the other readers, the
// rules, assess or replicate.
package stream

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"time"
)

// FormatVersion is the version of the trace file format.
const FormatVersion = 1

// magic opens every trace file.
var magic = [8]byte{'A', 'A', 'D', 'V', 'T', 'R', 'C', FormatVersion}

// MaxValueBytes is the longest column value kept whole in a trace. Longer
// values keep their first bytes followed by a hash of the whole value, so
// equal values still compare equal.
const MaxValueBytes = 64

// Record types of the trace file. Each record is a type byte, a uvarint
// payload length and the payload, so readers can skip types they do not
// know.
const (
	recMeta     = 'M' // JSON Meta
	recTable    = 'R' // relation
	recBegin    = 'B' // transaction start
	recOrigin   = 'O' // replication origin of the open transaction
	recChange   = 'C' // one row change
	recTruncate = 'T' // truncate of tables
	recCommit   = 'E' // transaction end
	recFooter   = 'F' // JSON Footer
)

// Op is the kind of a change.
type Op byte

// Change operations.
const (
	OpInsert   Op = 'I'
	OpUpdate   Op = 'U'
	OpDelete   Op = 'D'
	OpTruncate Op = 'T'
)

func (o Op) String() string {
	switch o {
	case OpInsert:
		return "insert"
	case OpUpdate:
		return "update"
	case OpDelete:
		return "delete"
	case OpTruncate:
		return "truncate"
	}
	return fmt.Sprintf("op(%d)", byte(o))
}

// Value kinds, as pgoutput sends them, plus 'h' for a cut and hashed value.
const (
	KindNull      = 'n'
	KindUnchanged = 'u' // unchanged TOAST value: not sent
	KindText      = 't'
	KindHashed    = 'h'
)

// Value is one column value of a tuple.
type Value struct {
	Kind byte
	Data []byte
}

// Present reports whether the value was sent (NULL counts as sent).
func (v Value) Present() bool { return v.Kind != KindUnchanged }

// Equal compares two values as the server sent them.
func (v Value) Equal(w Value) bool {
	return v.Kind == w.Kind && string(v.Data) == string(w.Data)
}

// Meta describes a capture; it opens the trace.
type Meta struct {
	Format        int       `json:"format"`
	Source        string    `json:"source"` // host:port/db, never a password
	ServerVersion int       `json:"server_version,omitempty"`
	Publication   string    `json:"publication"`
	Slot          string    `json:"slot"`
	Started       time.Time `json:"started"`
	Tool          string    `json:"tool,omitempty"`
}

// Footer closes a complete trace. A trace without one was cut short (the
// capturing process died); readers still use every whole transaction.
type Footer struct {
	Ended   time.Time `json:"ended"`
	Reason  string    `json:"reason"` // duration, interrupted, change cap, end LSN
	Txns    int64     `json:"txns"`
	Changes int64     `json:"changes"`
	// Notes are things the reader of the forecast should know (a cap was
	// reached, a table had no key).
	Notes []string `json:"notes,omitempty"`
	// Incomplete says why the capture does not cover its whole window
	// (its publication or slot went away, the stream ended early or did
	// not reach the window's end); empty when it does.
	Incomplete string `json:"incomplete,omitempty"`
}

// Column of a traced table.
type Column struct {
	Name    string `json:"name"`
	TypeOID uint32 `json:"type_oid"`
	// Key marks the columns of the row identity used by the trace: the
	// primary key when the catalog had one, else the replica identity.
	Key bool `json:"key,omitempty"`
	// Sequence marks a single-column unique key fed by a sequence or an
	// identity: each region of a mesh would hand out the same values.
	Sequence bool `json:"sequence,omitempty"`
}

// Numeric reports whether the column's type is a number (integers,
// numeric, floating point, money).
func (c Column) Numeric() bool {
	switch c.TypeOID {
	case 20, 21, 23, 700, 701, 1700, 790:
		return true
	}
	return false
}

// Table is a relation as the trace knows it.
type Table struct {
	ID     uint32 `json:"id"` // relation OID on the source
	Schema string `json:"schema"`
	Name   string `json:"name"`
	// ReplicaIdentity is pgoutput's byte: 'd' default, 'f' full, 'i'
	// index, 'n' nothing.
	ReplicaIdentity byte     `json:"replica_identity"`
	Columns         []Column `json:"columns"`
}

// QualifiedName is schema.name.
func (t *Table) QualifiedName() string { return t.Schema + "." + t.Name }

// Column returns the index of the named column, or -1.
func (t *Table) Column(name string) int {
	for i, c := range t.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// Change is one row change of a transaction.
type Change struct {
	Op    Op
	Table *Table
	// OldKind is 'K' (key columns only), 'O' (the whole old row, replica
	// identity full) or 0 (no old tuple sent).
	OldKind byte
	Old     []Value
	// New is the new row of an insert or update; nil for a delete.
	New []Value
	// Tables lists the truncated tables of a truncate.
	Tables []*Table
}

// Txn is one committed transaction.
type Txn struct {
	Seq        int64 // position in the trace, from 1
	Xid        uint32
	CommitTime time.Time
	CommitLSN  uint64
	EndLSN     uint64
	Origin     string // replication origin name; "" for local writes
	Changes    []Change
}

// Writer appends a trace to a stream. It is not safe for concurrent use.
type Writer struct {
	w       *bufio.Writer
	buf     []byte
	err     error
	txns    int64
	changes int64
	bytes   int64
}

// NewWriter writes the file header and meta to w.
func NewWriter(w io.Writer, m Meta) (*Writer, error) {
	tw := &Writer{w: bufio.NewWriterSize(w, 1<<20)}
	if _, err := tw.w.Write(magic[:]); err != nil {
		return nil, fmt.Errorf("write trace: %w", err)
	}
	m.Format = FormatVersion
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("write trace: %w", err)
	}
	tw.record(recMeta, b)
	return tw, tw.err
}

func (tw *Writer) record(typ byte, payload []byte) {
	if tw.err != nil {
		return
	}
	var hdr [1 + binary.MaxVarintLen64]byte
	hdr[0] = typ
	n := binary.PutUvarint(hdr[1:], uint64(len(payload)))
	if _, err := tw.w.Write(hdr[:1+n]); err != nil {
		tw.err = fmt.Errorf("write trace: %w", err)
		return
	}
	if _, err := tw.w.Write(payload); err != nil {
		tw.err = fmt.Errorf("write trace: %w", err)
	}
	tw.bytes += int64(1 + n + len(payload))
}

// Bytes is the size written so far.
func (tw *Writer) Bytes() int64 { return tw.bytes + int64(len(magic)) }

// Table records a relation (again when its definition changes).
func (tw *Writer) Table(t *Table) error {
	b, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	tw.record(recTable, b)
	return tw.err
}

// Begin opens a transaction.
func (tw *Writer) Begin(xid uint32, commitTime time.Time, finalLSN uint64) error {
	b := tw.buf[:0]
	b = binary.AppendUvarint(b, uint64(xid))
	b = binary.AppendVarint(b, commitTime.UnixMicro())
	b = binary.AppendUvarint(b, finalLSN)
	tw.buf = b
	tw.record(recBegin, b)
	return tw.err
}

// Origin names the replication origin of the open transaction.
func (tw *Writer) Origin(name string) error {
	tw.record(recOrigin, []byte(name))
	return tw.err
}

// TupleSource is a tuple as the capture has it: Len columns, each with a
// kind and data. It lets the capture write pglogrepl tuples without
// converting them first.
type TupleSource interface {
	Len() int
	At(i int) (kind byte, data []byte)
}

// Values is a TupleSource over a slice.
type Values []Value

func (v Values) Len() int                { return len(v) }
func (v Values) At(i int) (byte, []byte) { return v[i].Kind, v[i].Data }
func appendTuple(b []byte, t TupleSource) []byte {
	if t == nil {
		return binary.AppendUvarint(b, 0)
	}
	n := t.Len()
	b = binary.AppendUvarint(b, uint64(n)+1)
	for i := 0; i < n; i++ {
		kind, data := t.At(i)
		if kind == 'b' { // binary format is never requested; keep it as text
			kind = KindText
		}
		if (kind == KindText || kind == KindHashed) && len(data) > MaxValueBytes {
			h := fnv.New64a()
			h.Write(data)
			b = append(b, KindHashed)
			keep := data[:MaxValueBytes-16]
			b = binary.AppendUvarint(b, uint64(len(keep)+16))
			b = append(b, keep...)
			b = fmt.Appendf(b, "%016x", h.Sum64())
			continue
		}
		b = append(b, kind)
		if kind == KindText || kind == KindHashed {
			b = binary.AppendUvarint(b, uint64(len(data)))
			b = append(b, data...)
		}
	}
	return b
}

// Change records one row change of the open transaction. old may be nil.
func (tw *Writer) Change(op Op, relID uint32, oldKind byte, old, new TupleSource) error {
	b := tw.buf[:0]
	b = append(b, byte(op), oldKind)
	b = binary.AppendUvarint(b, uint64(relID))
	b = appendTuple(b, old)
	b = appendTuple(b, new)
	tw.buf = b
	tw.record(recChange, b)
	tw.changes++
	return tw.err
}

// Truncate records a TRUNCATE of the given relations.
func (tw *Writer) Truncate(relIDs []uint32) error {
	b := tw.buf[:0]
	b = binary.AppendUvarint(b, uint64(len(relIDs)))
	for _, id := range relIDs {
		b = binary.AppendUvarint(b, uint64(id))
	}
	tw.buf = b
	tw.record(recTruncate, b)
	tw.changes++
	return tw.err
}

// Commit closes the open transaction.
func (tw *Writer) Commit(commitLSN, endLSN uint64, commitTime time.Time) error {
	b := tw.buf[:0]
	b = binary.AppendUvarint(b, commitLSN)
	b = binary.AppendUvarint(b, endLSN)
	b = binary.AppendVarint(b, commitTime.UnixMicro())
	tw.buf = b
	tw.record(recCommit, b)
	tw.txns++
	return tw.err
}

// Close writes the footer and flushes. The underlying stream stays open.
func (tw *Writer) Close(f Footer) error {
	f.Txns, f.Changes = tw.txns, tw.changes
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("write trace: %w", err)
	}
	tw.record(recFooter, b)
	return tw.Flush()
}

// Flush writes buffered records out.
func (tw *Writer) Flush() error {
	if tw.err != nil {
		return tw.err
	}
	if err := tw.w.Flush(); err != nil {
		tw.err = fmt.Errorf("write trace: %w", err)
	}
	return tw.err
}

// ErrNotTrace means the input is not a trace file.
var ErrNotTrace = errors.New("not an aadvisor trace file")

// Reader reads a trace one transaction at a time.
type Reader struct {
	r      *bufio.Reader
	meta   Meta
	footer *Footer
	tables map[uint32]*Table
	// order lists tables in the order they first appeared.
	order    []*Table
	seq      int64
	payload  []byte
	cut      bool
	maxTxn   int
	txn      Txn
	inTxn    bool
	lastTime time.Time
}

// MaxTxnChanges bounds the changes of one transaction held in memory by a
// Reader.
const MaxTxnChanges = 5_000_000

// NewReader checks the header and reads the meta record.
func NewReader(r io.Reader) (*Reader, error) {
	tr := &Reader{r: bufio.NewReaderSize(r, 1<<20), tables: map[uint32]*Table{}, maxTxn: MaxTxnChanges}
	var m [8]byte
	if _, err := io.ReadFull(tr.r, m[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrNotTrace
		}
		return nil, fmt.Errorf("read trace: %w", err)
	}
	if string(m[:7]) != string(magic[:7]) {
		return nil, ErrNotTrace
	}
	if m[7] != FormatVersion {
		return nil, fmt.Errorf("read trace: format version %d not supported (want %d)", m[7], FormatVersion)
	}
	typ, p, err := tr.next()
	if err != nil {
		return nil, err
	}
	if typ != recMeta {
		return nil, fmt.Errorf("read trace: %w: no meta record", ErrNotTrace)
	}
	if err := json.Unmarshal(p, &tr.meta); err != nil {
		return nil, fmt.Errorf("read trace: meta: %w", err)
	}
	return tr, nil
}

// Meta returns the capture's description.
func (tr *Reader) Meta() Meta { return tr.meta }

// Footer returns the footer once Next has returned io.EOF; nil when the
// trace was cut short.
func (tr *Reader) Footer() *Footer { return tr.footer }

// Truncated reports whether the trace misses part of its capture window:
// it ended in the middle of a record or without a footer (the capture was
// killed), or its footer says the capture was incomplete.
func (tr *Reader) Truncated() bool { return tr.cut || tr.footer == nil || tr.footer.Incomplete != "" }

// Tables lists the tables seen so far, in order of appearance.
func (tr *Reader) Tables() []*Table { return tr.order }

func (tr *Reader) next() (byte, []byte, error) {
	typ, err := tr.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil, io.EOF
		}
		return 0, nil, fmt.Errorf("read trace: %w", err)
	}
	n, err := binary.ReadUvarint(tr.r)
	if err != nil {
		tr.cut = true
		return 0, nil, io.EOF
	}
	if n > 1<<30 {
		return 0, nil, fmt.Errorf("read trace: record of %d bytes: corrupt file", n)
	}
	if cap(tr.payload) < int(n) {
		tr.payload = make([]byte, n)
	}
	p := tr.payload[:n]
	if _, err := io.ReadFull(tr.r, p); err != nil {
		tr.cut = true
		return 0, nil, io.EOF
	}
	return typ, p, nil
}

// decoder reads fields from a record payload, remembering the first error.
type decoder struct {
	p   []byte
	bad bool
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.p)
	if n <= 0 {
		d.bad = true
		d.p = nil
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.p)
	if n <= 0 {
		d.bad = true
		d.p = nil
		return 0
	}
	d.p = d.p[n:]
	return v
}

func (d *decoder) byte() byte {
	if len(d.p) == 0 {
		d.bad = true
		return 0
	}
	b := d.p[0]
	d.p = d.p[1:]
	return b
}

func (d *decoder) bytes(n uint64) []byte {
	if uint64(len(d.p)) < n {
		d.bad = true
		d.p = nil
		return nil
	}
	b := make([]byte, n)
	copy(b, d.p[:n])
	d.p = d.p[n:]
	return b
}

func (d *decoder) tuple() []Value {
	n := d.uvarint()
	if n == 0 || d.bad {
		return nil
	}
	n--
	if n > math.MaxUint16 {
		d.bad = true
		return nil
	}
	vals := make([]Value, n)
	for i := range vals {
		k := d.byte()
		vals[i].Kind = k
		switch k {
		case KindText, KindHashed:
			vals[i].Data = d.bytes(d.uvarint())
		case KindNull, KindUnchanged:
		default:
			d.bad = true
		}
		if d.bad {
			return nil
		}
	}
	return vals
}

// Next returns the next committed transaction, or io.EOF at the end. A
// transaction cut short by the end of the file is dropped. The returned
// Txn is reused by the following call.
func (tr *Reader) Next() (*Txn, error) {
	for {
		typ, p, err := tr.next()
		if err != nil {
			return nil, err
		}
		d := decoder{p: p}
		switch typ {
		case recTable:
			var t Table
			if err := json.Unmarshal(p, &t); err != nil {
				return nil, fmt.Errorf("read trace: table record: %w", err)
			}
			if old, ok := tr.tables[t.ID]; ok {
				*old = t // keep pointers held by earlier changes valid for the new shape
				continue
			}
			nt := t
			tr.tables[t.ID] = &nt
			tr.order = append(tr.order, &nt)
		case recBegin:
			tr.txn.Changes = tr.txn.Changes[:0]
			tr.txn.Xid = uint32(d.uvarint())
			tr.txn.CommitTime = time.UnixMicro(d.varint()).UTC()
			tr.txn.CommitLSN = d.uvarint()
			tr.txn.Origin = ""
			tr.inTxn = true
		case recOrigin:
			tr.txn.Origin = string(p)
		case recChange:
			if !tr.inTxn {
				return nil, fmt.Errorf("read trace: change outside a transaction: corrupt file")
			}
			var c Change
			c.Op = Op(d.byte())
			c.OldKind = d.byte()
			id := uint32(d.uvarint())
			c.Old = d.tuple()
			c.New = d.tuple()
			if d.bad {
				return nil, fmt.Errorf("read trace: change record: corrupt file")
			}
			c.Table = tr.tables[id]
			if c.Table == nil {
				return nil, fmt.Errorf("read trace: change to unknown relation %d: corrupt file", id)
			}
			if len(tr.txn.Changes) >= tr.maxTxn {
				return nil, fmt.Errorf("read trace: transaction %d has more than %d changes: too large to replay", tr.txn.Xid, tr.maxTxn)
			}
			tr.txn.Changes = append(tr.txn.Changes, c)
		case recTruncate:
			n := d.uvarint()
			c := Change{Op: OpTruncate}
			for i := uint64(0); i < n && !d.bad; i++ {
				if t := tr.tables[uint32(d.uvarint())]; t != nil {
					c.Tables = append(c.Tables, t)
				}
			}
			if d.bad {
				return nil, fmt.Errorf("read trace: truncate record: corrupt file")
			}
			tr.txn.Changes = append(tr.txn.Changes, c)
		case recCommit:
			if !tr.inTxn {
				return nil, fmt.Errorf("read trace: commit outside a transaction: corrupt file")
			}
			tr.txn.CommitLSN = d.uvarint()
			tr.txn.EndLSN = d.uvarint()
			tr.txn.CommitTime = time.UnixMicro(d.varint()).UTC()
			if d.bad {
				return nil, fmt.Errorf("read trace: commit record: corrupt file")
			}
			tr.inTxn = false
			tr.seq++
			tr.txn.Seq = tr.seq
			if tr.txn.CommitTime.Before(tr.lastTime) {
				// Commit order is LSN order; clocks may step back. Keep
				// time monotonic so replay stays well defined.
				tr.txn.CommitTime = tr.lastTime
			}
			tr.lastTime = tr.txn.CommitTime
			return &tr.txn, nil
		case recFooter:
			var f Footer
			if err := json.Unmarshal(p, &f); err != nil {
				return nil, fmt.Errorf("read trace: footer: %w", err)
			}
			tr.footer = &f
		case recMeta:
			return nil, fmt.Errorf("read trace: second meta record: corrupt file")
		default:
			// A newer writer's record: skip it.
		}
	}
}
