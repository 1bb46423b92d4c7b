package replicate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/bits"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// ErrTableNotFound is what Verify returns (wrapped, with the name) for a
// table asked for by name that no node has: bad input, not a failure.
var ErrTableNotFound = errors.New("not found on any node")

// VerifySchemaVersion is the version of the JSON shape of VerifyReport.
const VerifySchemaVersion = 1

// Row difference kinds, per node.
const (
	DiffMissing   = "missing"   // the node lacks a row the others (the majority) have
	DiffExtra     = "extra"     // the node has a row the others (the majority) lack
	DiffDifferent = "different" // the node's row differs from the majority's
)

// VerifyOptions tune a table diff.
type VerifyOptions struct {
	// Tables to compare: schema.table, schema.* or *. Empty: the plan's
	// tables, or every table with a primary key.
	Tables []string
	// Buckets per table for the first pass (a power of two); 0 picks one
	// from the table size (about 256 rows a bucket).
	Buckets int
	// MaxRows bounds the differing rows kept per table (for the report
	// and the repair script); counts stay exact. Default 10000.
	MaxRows int
	// Recheck, when positive, waits this long after the diff and reads the
	// differing rows again on fresh snapshots; rows that agree by then
	// were in flight and are dropped from the report.
	Recheck time.Duration
	// Source names the node whose version wins a tie (default: the first
	// node of the plan).
	Source string
	Log    *slog.Logger

	// expand rewrites the list of tables after the catalogs are read
	// (hub-and-spoke: the row sets each pair of nodes must share).
	expand func([]TableVerify) []TableVerify
}

// VerifyReport is the result of a table diff across the mesh.
type VerifyReport struct {
	SchemaVersion int           `json:"schema_version"`
	Time          time.Time     `json:"time"`
	Database      string        `json:"database,omitempty"`
	Nodes         []string      `json:"nodes"`
	Tables        []TableVerify `json:"tables"`
	// Differences counts differing rows over all tables.
	Differences int `json:"differences"`
	// InFlight counts rows that differed and agreed when read again.
	InFlight int      `json:"in_flight"`
	Notes    []string `json:"notes,omitempty"`
	Seconds  float64  `json:"seconds"`
	Queries  int64    `json:"queries"`

	sysIDs map[string]string
}

// TableVerify is one table's diff.
type TableVerify struct {
	Table string `json:"table"`
	// Scope says which rows were compared where, when not the whole table
	// on every node (hub-and-spoke).
	Scope   string           `json:"scope,omitempty"`
	Key     []string         `json:"key,omitempty"`
	Skipped string           `json:"skipped,omitempty"`
	Rows    map[string]int64 `json:"rows,omitempty"` // row count per node
	Hash    string           `json:"hash,omitempty"` // record (type hash functions) or text
	Buckets int              `json:"buckets,omitempty"`
	// MismatchedBuckets is how many buckets differed.
	MismatchedBuckets int `json:"mismatched_buckets"`
	// Passes counts the queries per node that read the table: 1 when the
	// whole-table digests agree; then buckets, the rows of mismatched
	// buckets, and the differing rows in full.
	Passes       int         `json:"passes"`
	PerNode      []NodeDiff  `json:"per_node"`
	Differences  int         `json:"differences"`
	Diffs        []RowDiff   `json:"diffs"`
	Truncated    bool        `json:"truncated,omitempty"`
	InFlight     int         `json:"in_flight,omitempty"`
	Seconds      float64     `json:"seconds"`
	cols         []verifyCol // all columns, in the order values are kept
	byKey        map[string]*RowDiff
	schema, name string
	// filters restrict the rows compared, per node (a boolean over the
	// table's columns; see from); authority names the node whose version
	// always wins (hub-and-spoke: the writer of those rows).
	filters   map[string]string
	authority string
}

// NodeDiff counts one node's differences in a table.
type NodeDiff struct {
	Node      string `json:"node"`
	Missing   int    `json:"missing"`
	Extra     int    `json:"extra"`
	Different int    `json:"different"`
}

// RowDiff is one row (by primary key) that is not the same everywhere.
type RowDiff struct {
	Key []string `json:"key"` // primary key values, as text
	// Nodes maps each node that disagrees with the majority to its kind
	// of difference.
	Nodes map[string]string `json:"nodes"`
	// Columns lists the columns whose values differ (for different rows).
	Columns []string `json:"columns,omitempty"`

	values map[string][]*string // node -> column values (nil row: absent)
	want   []*string            // the majority version (nil: absent)
}

type verifyCol struct {
	name, typ            string
	generated, identityA bool
	key                  int // position in the primary key, -1 if not
}

// verifyTable is a table as one node's catalog describes it.
type verifyTable struct {
	schema, name string
	tuples       int64
	cols         []verifyCol
	key          []string
}

// Verify queries. Each runs once per node (catalog) or once per node per
// table (passes). vfqTables is built with inspect's list of system
// schemas, so it is a variable.
var (
	// vfqTables: user tables with their columns and primary key.
	vfqTables = `SELECT n.nspname::text, c.relname::text,
  greatest(c.reltuples, pg_catalog.pg_relation_size(c.oid) / 100)::bigint, -- rows, or a guess from the size before ANALYZE
  array_agg(a.attname::text ORDER BY a.attnum),
  array_agg(pg_catalog.format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum),
  array_agg(a.attgenerated <> '' ORDER BY a.attnum),
  array_agg(a.attidentity = 'a' ORDER BY a.attnum),
  coalesce((SELECT array_agg(ka.attname::text ORDER BY k.ord)
     FROM pg_catalog.pg_index i
     CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_catalog.pg_attribute ka ON ka.attrelid = i.indrelid AND ka.attnum = k.attnum
     WHERE i.indrelid = c.oid AND i.indisprimary), '{}')
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
  AND ` + inspect.UserSchemaSQL("n.nspname") + `
GROUP BY n.nspname, c.relname, c.reltuples, c.oid
ORDER BY 1, 2`

	// vfqSysID: the cluster's identity, to guard repair sections.
	vfqSysID = `SELECT system_identifier::text FROM pg_catalog.pg_control_system()`
)

type verifyNode struct {
	name string
	conn *pgx.Conn
}

type verifier struct {
	plan    *Plan
	opts    VerifyOptions
	nodes   []verifyNode
	source  int
	queries atomic.Int64
	log     *slog.Logger
}

// Verify compares tables across every node of the plan without moving
// whole tables: each node hashes its rows into buckets of primary-key
// hashes (one pass over the table, computed on the server), only the
// buckets that differ are listed row by row (primary key and row hash),
// and only the rows that differ are read in full. Each node reads from
// one REPEATABLE READ snapshot, but the snapshots of different nodes are
// not synchronised: on a live mesh, rows still in flight show as
// differences; VerifyOptions.Recheck reads them again to tell.
func Verify(ctx context.Context, p *Plan, o VerifyOptions) (*VerifyReport, error) {
	if p.Topology.Kind == TopologyHubSpoke && o.expand == nil {
		return verifyHub(ctx, p, o)
	}
	start := time.Now()
	if o.MaxRows <= 0 {
		o.MaxRows = 10000
	}
	if o.Buckets < 0 || (o.Buckets > 0 && bits.OnesCount(uint(o.Buckets)) != 1) {
		return nil, fmt.Errorf("verify: buckets %d: want a power of two", o.Buckets)
	}
	v := &verifier{plan: p, opts: o, log: o.Log}
	if v.log == nil {
		v.log = slog.New(slog.DiscardHandler)
	}
	for i, n := range p.Topology.Nodes {
		if n.Name == o.Source {
			v.source = i
		}
	}
	if o.Source != "" && p.Topology.Nodes[v.source].Name != o.Source {
		return nil, fmt.Errorf("verify: --source %s is not a node of the plan", o.Source)
	}
	rep := &VerifyReport{SchemaVersion: VerifySchemaVersion, Time: start.UTC(), Database: p.Topology.Database,
		Tables: []TableVerify{}, sysIDs: map[string]string{}}
	if err := v.connect(ctx, rep); err != nil {
		v.close()
		return nil, err
	}
	defer v.close()
	for _, n := range v.nodes {
		rep.Nodes = append(rep.Nodes, n.name)
	}
	v.log.Debug("verify connected", "nodes", len(v.nodes), "seconds", time.Since(start).Seconds())
	tables, err := v.tables(ctx, rep)
	if err != nil {
		return nil, err
	}
	if o.expand != nil {
		tables = o.expand(tables)
	}
	if err := v.linkNotes(ctx, rep); err != nil {
		return nil, err
	}
	v.log.Debug("verify read catalogs", "tables", len(tables), "seconds", time.Since(start).Seconds())
	// Bucket numbers have no statistics: the planner expects a group per
	// row and would sort the whole table instead of hashing a few thousand
	// groups. Nodes are read in parallel already: no parallel workers on
	// top. (Set after the catalog query, whose plans need sorts.)
	err = v.each(func(_ int, n verifyNode) error {
		v.queries.Add(1)
		_, err := n.conn.Exec(ctx, "SET LOCAL enable_sort = off; SET LOCAL max_parallel_workers_per_gather = 0")
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	for i := range tables {
		t := &tables[i]
		if t.Skipped != "" {
			continue
		}
		ts := time.Now()
		if err := v.table(ctx, t); err != nil {
			return nil, fmt.Errorf("verify %s: %w", t.Table, err)
		}
		t.Seconds = time.Since(ts).Seconds()
		v.log.Info("table verified", "table", t.Table, "differences", t.Differences, "mismatched_buckets", t.MismatchedBuckets, "seconds", t.Seconds)
	}
	for _, n := range v.nodes {
		n.conn.Exec(ctx, "COMMIT")
	}
	if o.Recheck > 0 && anyDiff(tables) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(o.Recheck):
		}
		for i := range tables {
			if tables[i].Differences > 0 && !tables[i].Truncated {
				if err := v.recheck(ctx, &tables[i]); err != nil {
					return nil, fmt.Errorf("verify %s: recheck: %w", tables[i].Table, err)
				}
			}
		}
	}
	for _, t := range tables {
		rep.Differences += t.Differences
		rep.InFlight += t.InFlight
	}
	rep.Tables = tables
	if o.Recheck <= 0 {
		rep.Notes = append(rep.Notes, "each node was read from its own REPEATABLE READ snapshot; on a live mesh, rows changed in the last moments may still be in flight and show as differences: run again, or use --recheck")
	}
	rep.Seconds = time.Since(start).Seconds()
	rep.Queries = v.queries.Load()
	return rep, nil
}

// linkNotes says which of the plan's native links into each node are not
// streaming: the changes they hold arrive later, so a difference may be
// one of them, and a repair made now can be undone when the link resumes
// (found repairing a site whose links were disabled: enabling them undid
// the repair, and verify had said nothing).
func (v *verifier) linkNotes(ctx context.Context, rep *VerifyReport) error {
	if v.plan.Topology.Engine != EngineNative || v.plan.Topology.Kind == TopologyStreaming {
		return nil
	}
	var down []string
	for _, n := range v.nodes {
		v.queries.Add(1)
		rows, err := n.conn.Query(ctx, `SELECT s.subname::text, s.subenabled,
  EXISTS (SELECT 1 FROM pg_catalog.pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL AND st.pid IS NOT NULL)
FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()) AND s.subname LIKE 'aadv\_%'
ORDER BY 1`)
		if err != nil {
			return fmt.Errorf("verify: %s: list its subscriptions: %w", n.name, err)
		}
		for rows.Next() {
			var name string
			var enabled, running bool
			if err := rows.Scan(&name, &enabled, &running); err != nil {
				rows.Close()
				return fmt.Errorf("verify: %s: list its subscriptions: %w", n.name, err)
			}
			switch {
			case !enabled:
				down = append(down, name+" (disabled)")
			case !running:
				down = append(down, name+" (no apply worker)")
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("verify: %s: list its subscriptions: %w", n.name, err)
		}
	}
	if len(down) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("not streaming: %s; the changes these links hold arrive when they resume, so differences may be those changes, and a repair made now can be undone by them: repair once every link streams", strings.Join(down, ", ")))
	}
	return nil
}

func anyDiff(ts []TableVerify) bool {
	for _, t := range ts {
		if t.Differences > 0 {
			return true
		}
	}
	return false
}

func (v *verifier) connect(ctx context.Context, rep *VerifyReport) error {
	nodes := v.plan.Topology.Nodes
	conns := make([]*pgx.Conn, len(nodes))
	ids := make([]string, len(nodes))
	errs := make([]error, len(nodes))
	var wg sync.WaitGroup
	for i, pn := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conns[i], ids[i], errs[i] = v.open(ctx, pn)
		}()
	}
	wg.Wait()
	for i, pn := range nodes {
		if conns[i] != nil {
			v.nodes = append(v.nodes, verifyNode{name: pn.Name, conn: conns[i]})
		}
		if ids[i] != "" {
			rep.sysIDs[pn.Name] = ids[i]
		}
	}
	return errors.Join(errs...)
}

// open connects to a node and starts the read-only snapshot.
func (v *verifier) open(ctx context.Context, pn PlanNode) (*pgx.Conn, string, error) {
	cfg, err := meshConnConfig(v.plan, pn)
	if err != nil {
		return nil, "", err
	}
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	// Text forms of values must not depend on session settings.
	for k, val := range map[string]string{"TimeZone": "UTC", "DateStyle": "ISO, YMD", "IntervalStyle": "postgres",
		"extra_float_digits": "3", "bytea_output": "hex", "application_name": "aadvisor verify"} {
		cfg.RuntimeParams[k] = val
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("verify: node %s: connect: %w", pn.Name, err)
	}
	var id string
	v.queries.Add(1)
	if err := conn.QueryRow(ctx, vfqSysID).Scan(&id); err != nil {
		id = "" // needs superuser or pg_monitor; the repair script then says which node
	}
	v.queries.Add(1)
	if _, err := conn.Exec(ctx, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return conn, id, fmt.Errorf("verify: node %s: begin: %w", pn.Name, err)
	}
	return conn, id, nil
}

func (v *verifier) close() {
	for _, n := range v.nodes {
		n.conn.Close(context.Background())
	}
	v.nodes = nil
}

// each runs f on every node in parallel.
func (v *verifier) each(f func(i int, n verifyNode) error) error {
	errs := make([]error, len(v.nodes))
	var wg sync.WaitGroup
	for i, n := range v.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(i, n); err != nil {
				errs[i] = fmt.Errorf("node %s: %w", n.name, err)
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (v *verifier) tables(ctx context.Context, rep *VerifyReport) ([]TableVerify, error) {
	cats := make([]map[string]verifyTable, len(v.nodes))
	err := v.each(func(i int, n verifyNode) error {
		v.queries.Add(1)
		rows, err := n.conn.Query(ctx, vfqTables)
		if err != nil {
			return fmt.Errorf("read tables: %w", err)
		}
		m := map[string]verifyTable{}
		for rows.Next() {
			var t verifyTable
			var names, types []string
			var gen, ident []bool
			if err := rows.Scan(&t.schema, &t.name, &t.tuples, &names, &types, &gen, &ident, &t.key); err != nil {
				rows.Close()
				return fmt.Errorf("read tables: %w", err)
			}
			for k := range names {
				c := verifyCol{name: names[k], typ: types[k], generated: gen[k], identityA: ident[k], key: -1}
				for j, kc := range t.key {
					if kc == c.name {
						c.key = j
					}
				}
				t.cols = append(t.cols, c)
			}
			m[t.schema+"."+t.name] = t
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read tables: %w", err)
		}
		cats[i] = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	patterns := v.opts.Tables
	if len(patterns) == 0 {
		patterns = v.plan.Topology.Tables
	}
	names := map[string]bool{}
	excluded := v.plan.Topology.ExcludedTables()
	for _, c := range cats {
		for k := range c {
			if verifyMatch(patterns, k) && !excluded[k] {
				names[k] = true
			}
		}
	}
	for _, p := range patterns {
		if !strings.ContainsRune(p, '*') && !names[verifyNormName(p)] {
			return nil, fmt.Errorf("verify: table %s: %w", p, ErrTableNotFound)
		}
	}
	keys := make([]string, 0, len(names))
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := []TableVerify{}
	for _, k := range keys {
		ref, ok := cats[v.source][k]
		tv := TableVerify{Table: k, Rows: map[string]int64{}, PerNode: []NodeDiff{}, Diffs: []RowDiff{}, byKey: map[string]*RowDiff{}}
		if !ok {
			for i := range cats {
				if t, ok2 := cats[i][k]; ok2 {
					ref, ok = t, true
					break
				}
			}
		}
		tv.schema, tv.name = ref.schema, ref.name
		tv.Key = ref.key
		tv.cols = ref.cols
		for i, c := range cats {
			t, ok := c[k]
			switch {
			case !ok:
				tv.Skipped = fmt.Sprintf("missing on node %s", v.nodes[i].name)
			case len(t.key) == 0 && tv.Skipped == "":
				tv.Skipped = fmt.Sprintf("no primary key on node %s: rows cannot be matched", v.nodes[i].name)
			case tv.Skipped == "" && !sameCols(t, ref):
				tv.Skipped = fmt.Sprintf("columns or key differ between nodes %s and %s (fix the schema first)", v.nodes[v.source].name, v.nodes[i].name)
			}
		}
		if tv.Skipped == "" {
			// Columns in name order, so that column order on disk does not matter.
			sort.SliceStable(tv.cols, func(i, j int) bool { return tv.cols[i].name < tv.cols[j].name })
			if tv.Buckets = v.opts.Buckets; tv.Buckets == 0 {
				var most int64
				for _, c := range cats {
					most = max(most, c[k].tuples)
				}
				tv.Buckets = verifyBuckets(most)
			}
		}
		out = append(out, tv)
	}
	return out, nil
}

// verifyBuckets picks a power of two near rows/256, between 1 and 65536.
func verifyBuckets(rows int64) int {
	b := 1
	for b < 65536 && int64(b)*256 < rows {
		b <<= 1
	}
	return b
}

func sameCols(a, b verifyTable) bool {
	if len(a.cols) != len(b.cols) || strings.Join(a.key, ",") != strings.Join(b.key, ",") {
		return false
	}
	m := map[string]string{}
	for _, c := range a.cols {
		m[c.name] = c.typ
	}
	for _, c := range b.cols {
		if m[c.name] != c.typ {
			return false
		}
	}
	return true
}

func verifyNormName(p string) string {
	if !strings.ContainsRune(p, '.') {
		return "public." + p
	}
	return p
}

func verifyMatch(patterns []string, name string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		if p == "*" {
			return true
		}
		if ok, _ := path.Match(verifyNormName(p), name); ok {
			return true
		}
	}
	return false
}

// filterMark stands for a node's row filter in a filtered table's queries;
// tquery puts each node's filter in its place.
const filterMark = "/*aadv_filter*/true"

// SQL fragments of a table's passes.
func (t *TableVerify) from() string {
	if t.filters != nil {
		return "(SELECT * FROM " + qualifiedName(t.schema, t.name) + " WHERE " + filterMark + ") AS aadv_t"
	}
	return qualifiedName(t.schema, t.name) + " AS aadv_t"
}

func qualifiedName(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

func colRef(c string) string { return "aadv_t." + pgx.Identifier{c}.Sanitize() }

func (t *TableVerify) keyCols() []verifyCol {
	out := make([]verifyCol, len(t.Key))
	for _, c := range t.cols {
		if c.key >= 0 {
			out[c.key] = c
		}
	}
	return out
}

func (t *TableVerify) keyHash(text bool) string {
	keys := t.keyCols()
	var parts []string
	for _, c := range keys {
		parts = append(parts, colRef(c.name))
	}
	if len(keys) == 1 && !text {
		// The common single-column keys hash without building a record.
		switch keys[0].typ {
		case "bigint", "integer", "smallint":
			return "pg_catalog.hashint8extended(" + parts[0] + "::bigint, 0)"
		case "text":
			return "pg_catalog.hashtextextended(" + parts[0] + ", 0)"
		case "uuid":
			return "pg_catalog.uuid_hash_extended(" + parts[0] + ", 0)"
		}
	}
	if text {
		return "pg_catalog.hashtextextended(ROW(" + strings.Join(parts, ", ") + ")::text, 0)"
	}
	return "pg_catalog.hash_record_extended(ROW(" + strings.Join(parts, ", ") + "), 0)"
}

// rowHash hashes the columns in name order, so that the order of
// columns on disk does not matter. (Naming the columns is also faster
// than hashing the whole-row variable, which copies each row first.)
func (t *TableVerify) rowHash(text bool) string {
	var parts []string
	for _, c := range t.cols {
		parts = append(parts, colRef(c.name))
	}
	row := "ROW(" + strings.Join(parts, ", ") + ")"
	if text {
		return "pg_catalog.hashtextextended(" + row + "::text, 0)"
	}
	return "pg_catalog.hash_record_extended(" + row + ", 0)"
}

func (t *TableVerify) keyText() string {
	var parts []string
	for _, c := range t.keyCols() {
		parts = append(parts, colRef(c.name)+"::text")
	}
	return "ARRAY[" + strings.Join(parts, ", ") + "]"
}

// digestQuery is the pass that settles a table that is the same
// everywhere: its row count and the xor of its row hashes, in the shape
// of one bucket.
func (t *TableVerify) digestQuery(text bool) string {
	return fmt.Sprintf(`SELECT 0, count(*), coalesce(pg_catalog.bit_xor(%s), 0) FROM %s`, t.rowHash(text), t.from())
}

func (t *TableVerify) bucketQuery(text bool) string {
	return fmt.Sprintf(`SELECT (h.k & %d)::int, count(*), pg_catalog.bit_xor(h.r) FROM (SELECT %s AS k, %s AS r FROM %s) h GROUP BY 1`,
		t.Buckets-1, t.keyHash(text), t.rowHash(text), t.from())
}

func (t *TableVerify) rowsQuery(text bool) string {
	return fmt.Sprintf(`SELECT %s, %s FROM %s WHERE (%s & %d)::int = ANY($1::int[])`,
		t.keyText(), t.rowHash(text), t.from(), t.keyHash(text), t.Buckets-1)
}

// fullQuery reads whole rows (as text) for a list of keys, one text[]
// parameter per key column.
func (t *TableVerify) fullQuery() string {
	var vals, keys, on []string
	for _, c := range t.cols {
		vals = append(vals, colRef(c.name)+"::text")
	}
	for i, c := range t.keyCols() {
		keys = append(keys, fmt.Sprintf("$%d::text[]", i+1))
		on = append(on, fmt.Sprintf("%s = k.c%d::%s", colRef(c.name), i+1, c.typ))
	}
	var kc []string
	for i := range t.Key {
		kc = append(kc, fmt.Sprintf("c%d", i+1))
	}
	return fmt.Sprintf(`SELECT %s, ARRAY[%s] FROM %s JOIN unnest(%s) AS k(%s) ON %s`,
		t.keyText(), strings.Join(vals, ", "), t.from(), strings.Join(keys, ", "), strings.Join(kc, ", "), strings.Join(on, " AND "))
}

type bucketSum struct {
	count int64
	xor   int64
}

func (v *verifier) query(ctx context.Context, n verifyNode, sql string, args ...any) (pgx.Rows, error) {
	v.queries.Add(1)
	return n.conn.Query(ctx, sql, args...)
}

// tquery runs one of table t's queries on node n, with the node's row
// filter when t has them.
func (v *verifier) tquery(ctx context.Context, n verifyNode, t *TableVerify, sql string, args ...any) (pgx.Rows, error) {
	if f, ok := t.filters[n.name]; ok && f != "" {
		sql = strings.ReplaceAll(sql, filterMark, "("+f+")")
	}
	return v.query(ctx, n, sql, args...)
}

// bucketPass runs a pass of per-bucket sums with a savepoint, so that a
// table whose column types have no hash function can fall back to
// hashing text. workMem (kB), when positive, sizes the hash aggregate:
// bucket numbers have no statistics, so PostgreSQL expects a group per
// row and, with a large work_mem, builds a hash table for all of them,
// which costs more than the hashing itself.
func (v *verifier) bucketPass(ctx context.Context, t *TableVerify, query string, workMem int) ([]map[int32]bucketSum, error) {
	out := make([]map[int32]bucketSum, len(v.nodes))
	err := v.each(func(i int, n verifyNode) error {
		v.queries.Add(1)
		set := "SAVEPOINT aadv_verify"
		if workMem > 0 {
			set += fmt.Sprintf("; SET LOCAL work_mem = '%dkB'", workMem)
		}
		if _, err := n.conn.Exec(ctx, set); err != nil {
			return err
		}
		rows, err := v.tquery(ctx, n, t, query)
		m := map[int32]bucketSum{}
		if err == nil {
			for rows.Next() {
				var b int32
				var s bucketSum
				if err = rows.Scan(&b, &s.count, &s.xor); err != nil {
					break
				}
				m[b] = s
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
		}
		if err != nil {
			v.queries.Add(1)
			n.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT aadv_verify")
			return err
		}
		out[i] = m
		return nil
	})
	return out, err
}

// hashedPass runs a bucket pass with the types' hash functions, or with
// hashes of the text forms when a column type has none.
func (v *verifier) hashedPass(ctx context.Context, t *TableVerify, query func(text bool) string, workMem int) ([]map[int32]bucketSum, error) {
	sums, err := v.bucketPass(ctx, t, query(t.Hash == "text"), workMem)
	var pgErr *pgconn.PgError
	if err != nil && t.Hash != "text" && errors.As(err, &pgErr) && pgErr.Code == "42883" {
		// A column type without a hash function (json, point, ...).
		t.Hash = "text"
		sums, err = v.bucketPass(ctx, t, query(true), workMem)
	}
	return sums, err
}

// mismatched lists the buckets whose sums are not the same on every node.
func mismatched(sums []map[int32]bucketSum, buckets int) []int32 {
	var bad []int32
	for b := int32(0); b < int32(buckets); b++ {
		first := sums[0][b]
		for i := 1; i < len(sums); i++ {
			if sums[i][b] != first {
				bad = append(bad, b)
				break
			}
		}
	}
	return bad
}

func (v *verifier) table(ctx context.Context, t *TableVerify) error {
	t.Hash = "record"
	// First a digest of the whole table per node: a table that is the
	// same everywhere, the common case, costs one pass without grouping.
	t.Passes = 1
	digest, err := v.hashedPass(ctx, t, t.digestQuery, 0)
	if err != nil {
		return fmt.Errorf("digest pass: %w", err)
	}
	for i, s := range digest {
		t.Rows[v.nodes[i].name] = s[0].count
	}
	if len(mismatched(digest, 1)) == 0 {
		t.finish(v)
		return nil
	}
	// Then per-bucket sums, to narrow the differences down.
	t.Passes++
	sums, err := v.hashedPass(ctx, t, t.bucketQuery, max(1024, t.Buckets/16))
	if err != nil {
		return fmt.Errorf("bucket pass: %w", err)
	}
	bad := mismatched(sums, t.Buckets)
	t.MismatchedBuckets = len(bad)
	if len(bad) == 0 {
		t.finish(v)
		return nil
	}
	// Then keys and row hashes of the mismatching buckets only.
	t.Passes++
	hashes := make([]map[string]int64, len(v.nodes))
	keyOf := map[string][]string{}
	var mu sync.Mutex
	err = v.each(func(i int, n verifyNode) error {
		rows, err := v.tquery(ctx, n, t, t.rowsQuery(t.Hash == "text"), bad)
		if err != nil {
			return err
		}
		defer rows.Close()
		m := map[string]int64{}
		for rows.Next() {
			var key []string
			var h int64
			if err := rows.Scan(&key, &h); err != nil {
				return err
			}
			k := strings.Join(key, "\x00")
			m[k] = h
			mu.Lock()
			if _, ok := keyOf[k]; !ok {
				keyOf[k] = key
			}
			mu.Unlock()
		}
		hashes[i] = m
		return rows.Err()
	})
	if err != nil {
		return fmt.Errorf("row pass: %w", err)
	}
	var diffKeys []string
	for k := range keyOf {
		h0, ok0 := hashes[0][k]
		for i := 1; i < len(hashes); i++ {
			h, ok := hashes[i][k]
			if ok != ok0 || h != h0 {
				diffKeys = append(diffKeys, k)
				break
			}
		}
	}
	sort.Strings(diffKeys)
	t.Differences = len(diffKeys)
	if len(diffKeys) > v.opts.MaxRows {
		diffKeys = diffKeys[:v.opts.MaxRows]
		t.Truncated = true
	}
	keys := make([][]string, len(diffKeys))
	for i, k := range diffKeys {
		keys[i] = keyOf[k]
	}
	if err := v.fetch(ctx, t, keys); err != nil {
		return fmt.Errorf("read differing rows: %w", err)
	}
	t.finish(v)
	return nil
}

// fetch reads the given rows in full on every node and classifies them.
func (v *verifier) fetch(ctx context.Context, t *TableVerify, keys [][]string) error {
	t.byKey = map[string]*RowDiff{}
	for _, k := range keys {
		t.byKey[strings.Join(k, "\x00")] = &RowDiff{Key: k, values: map[string][]*string{}}
	}
	if len(keys) == 0 {
		return nil
	}
	t.Passes++
	args := make([]any, len(t.Key))
	for j := range t.Key {
		col := make([]string, len(keys))
		for i, k := range keys {
			col[i] = k[j]
		}
		args[j] = col
	}
	var mu sync.Mutex
	return v.each(func(i int, n verifyNode) error {
		rows, err := v.tquery(ctx, n, t, t.fullQuery(), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var key []string
			var vals []*string
			if err := rows.Scan(&key, &vals); err != nil {
				return err
			}
			mu.Lock()
			if d := t.byKey[strings.Join(key, "\x00")]; d != nil {
				d.values[n.name] = vals
			}
			mu.Unlock()
		}
		return rows.Err()
	})
}

// finish classifies each differing row by majority and counts per node.
func (t *TableVerify) finish(v *verifier) {
	counts := map[string]*NodeDiff{}
	for _, n := range v.nodes {
		counts[n.name] = &NodeDiff{Node: n.name}
	}
	keys := make([]string, 0, len(t.byKey))
	for k := range t.byKey {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	t.Diffs = []RowDiff{}
	for _, k := range keys {
		d := t.byKey[k]
		d.Nodes = map[string]string{}
		d.Columns = nil
		// Majority version; ties go to a present row, then to the source.
		type version struct {
			vals  []*string
			votes int
			first int
		}
		var versions []*version
		find := func(vals []*string) *version {
			for _, ver := range versions {
				if sameVals(ver.vals, vals) {
					return ver
				}
			}
			return nil
		}
		for i, n := range v.nodes {
			vals := d.values[n.name]
			ver := find(vals)
			if ver == nil {
				ver = &version{vals: vals, first: i}
				versions = append(versions, ver)
			}
			ver.votes++
		}
		srcVals := d.values[v.nodes[v.source].name]
		authVals, auth := d.values[t.authority], t.authority != ""
		sort.SliceStable(versions, func(i, j int) bool {
			a, b := versions[i], versions[j]
			if auth && sameVals(a.vals, authVals) != sameVals(b.vals, authVals) {
				return sameVals(a.vals, authVals)
			}
			if a.votes != b.votes {
				return a.votes > b.votes
			}
			if (a.vals == nil) != (b.vals == nil) {
				return a.vals != nil
			}
			return sameVals(a.vals, srcVals) && !sameVals(b.vals, srcVals)
		})
		if len(versions) < 2 {
			continue // agrees everywhere (a recheck found it settled)
		}
		d.want = versions[0].vals
		cols := map[string]bool{}
		for _, n := range v.nodes {
			got := d.values[n.name]
			switch {
			case sameVals(got, d.want):
				continue
			case got == nil:
				d.Nodes[n.name] = DiffMissing
				counts[n.name].Missing++
			case d.want == nil:
				d.Nodes[n.name] = DiffExtra
				counts[n.name].Extra++
			default:
				d.Nodes[n.name] = DiffDifferent
				counts[n.name].Different++
				for ci, c := range t.cols {
					if !sameVal(got[ci], d.want[ci]) {
						cols[c.name] = true
					}
				}
			}
		}
		for c := range cols {
			d.Columns = append(d.Columns, c)
		}
		sort.Strings(d.Columns)
		t.Diffs = append(t.Diffs, *d)
	}
	if !t.Truncated {
		t.Differences = len(t.Diffs)
	}
	t.PerNode = []NodeDiff{}
	for _, n := range v.nodes {
		t.PerNode = append(t.PerNode, *counts[n.name])
	}
}

func sameVal(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

func sameVals(a, b []*string) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameVal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// recheck reads the differing rows again, each node on a fresh snapshot.
func (v *verifier) recheck(ctx context.Context, t *TableVerify) error {
	before := len(t.Diffs)
	keys := make([][]string, 0, len(t.Diffs))
	for _, d := range t.Diffs {
		keys = append(keys, d.Key)
	}
	if err := v.fetch(ctx, t, keys); err != nil {
		return err
	}
	t.finish(v)
	t.InFlight = before - len(t.Diffs)
	return nil
}
