package replicate

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// nodeFacts is what the prechecks read from one node.
type nodeFacts struct {
	VersionNum  int
	Version     string
	Superuser   bool
	Replication bool
	CanCreate   bool
	Encoding    string
	Collate     string
	Ctype       string
	InRecovery  bool
	Database    string
	Skew        time.Duration // server clock minus local clock
	RTT         time.Duration
	Settings    map[string]setting

	PglogicalAvailable bool
	PglogicalInstalled bool

	Tables    map[string]*tableFacts // by schema.name, all user tables
	Scope     []string               // tables in scope, sorted
	Sequences []seqFacts             // sequences feeding columns of tables in scope

	Publications  map[string][]string // aadv_ publications and their tables
	Subscriptions map[string]bool     // aadv_ subscriptions (native)
	UserTables    int                 // user tables in the database
	OtherSubs     int                 // subscriptions not made by bootstrap

	PglNode string          // pglogical local node name, if any
	PglSubs map[string]bool // aadv_ pglogical subscriptions
	PglSets map[string]bool // aadv_ pglogical replication sets
}

type setting struct{ Value, Context string }

func (f *nodeFacts) major() int { return f.VersionNum / 10000 }

func (f *nodeFacts) setting(name string) string { return f.Settings[name].Value }

func (f *nodeFacts) settingInt(name string) int {
	v, _ := strconv.Atoi(f.setting(name))
	return v
}

type tableFacts struct {
	Schema, Name string
	Kind         string
	Identity     string // d, n, f, i
	Columns      []string
	PK           []string
	IdentCols    []string
	Uniques      int // unique indexes besides the primary key
	Exclusions   int // exclusion constraints
	HasRows      bool
	Foreign      int64 // partitioned: rows whose owner this node does not own
}

func (t *tableFacts) key() string { return t.Schema + "." + t.Name }

func (t *tableFacts) hasColumn(c string) bool {
	for _, col := range t.Columns {
		if name, _, _ := strings.Cut(col, " "); name == c {
			return true
		}
	}
	return false
}

type seqFacts struct {
	Schema, Name       string
	TableSchema, Table string
	Column             string
	Increment, Last    int64
	Start              int64
	ColumnMax          int64
}

func (s seqFacts) key() string { return s.Schema + "." + s.Name }

// gatherFacts reads one node. It only reads.
func gatherFacts(ctx context.Context, conn *pgx.Conn, t Topology, owns []string) (*nodeFacts, error) {
	f := &nodeFacts{Settings: map[string]setting{}, Tables: map[string]*tableFacts{},
		Publications: map[string][]string{}, Subscriptions: map[string]bool{},
		PglSubs: map[string]bool{}, PglSets: map[string]bool{}}
	before := time.Now()
	var serverNow time.Time
	if err := conn.QueryRow(ctx, qNodeInfo).Scan(&f.VersionNum, &f.Version, &f.Superuser, &f.Replication, &f.CanCreate,
		&f.Encoding, &f.Collate, &f.Ctype, &f.InRecovery, &serverNow, &f.Database); err != nil {
		return nil, fmt.Errorf("read node info: %w", err)
	}
	f.RTT = time.Since(before)
	f.Skew = serverNow.Sub(before.Add(f.RTT / 2))
	// The clock: keep the sample with the shortest round trip.
	for range 3 {
		before := time.Now()
		if err := conn.QueryRow(ctx, `SELECT pg_catalog.clock_timestamp()`).Scan(&serverNow); err != nil {
			return nil, fmt.Errorf("read clock: %w", err)
		}
		if rtt := time.Since(before); rtt < f.RTT {
			f.RTT = rtt
			f.Skew = serverNow.Sub(before.Add(rtt / 2))
		}
	}
	rows, err := conn.Query(ctx, qSettings)
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	for rows.Next() {
		var name string
		var s setting
		if err := rows.Scan(&name, &s.Value, &s.Context); err != nil {
			return nil, fmt.Errorf("read settings: %w", err)
		}
		f.Settings[name] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	var name, def, inst string
	switch err := conn.QueryRow(ctx, qExtensions).Scan(&name, &def, &inst); err {
	case nil:
		f.PglogicalAvailable, f.PglogicalInstalled = true, inst != ""
	case pgx.ErrNoRows:
	default:
		return nil, fmt.Errorf("read extensions: %w", err)
	}
	rows, err = conn.Query(ctx, qTables)
	if err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	for rows.Next() {
		tf := &tableFacts{}
		if err := rows.Scan(&tf.Schema, &tf.Name, &tf.Kind, &tf.Identity, &tf.Columns, &tf.PK, &tf.IdentCols, &tf.Uniques, &tf.Exclusions); err != nil {
			return nil, fmt.Errorf("read tables: %w", err)
		}
		f.Tables[tf.key()] = tf
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read tables: %w", err)
	}
	f.UserTables = len(f.Tables)
	f.Scope = inScope(f.Tables, t)
	if f.InRecovery {
		return f, nil // a standby: no data queries needed
	}
	if err := readRows(ctx, conn, f, t, owns); err != nil {
		return nil, err
	}
	if err := readSequences(ctx, conn, f); err != nil {
		return nil, err
	}
	rows, err = conn.Query(ctx, qPublications)
	if err != nil {
		return nil, fmt.Errorf("read publications: %w", err)
	}
	for rows.Next() {
		var pub string
		var tabs []string
		if err := rows.Scan(&pub, &tabs); err != nil {
			return nil, fmt.Errorf("read publications: %w", err)
		}
		f.Publications[pub] = tabs
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read publications: %w", err)
	}
	subs, err := collectStrings(ctx, conn, qSubscriptions)
	if err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	for _, s := range subs {
		f.Subscriptions[s] = true
	}
	if err := conn.QueryRow(ctx, qOtherSubs).Scan(&f.OtherSubs); err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	if f.PglogicalInstalled {
		if err := readPglogical(ctx, conn, f); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func collectStrings(ctx context.Context, conn *pgx.Conn, sql string, args ...any) ([]string, error) {
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// inScope resolves the plan's table patterns (schema.table, schema.*, *)
// against a node's tables; no patterns means every user table. Tables whose
// write mode is local stay out: they are node-local data.
func inScope(tables map[string]*tableFacts, t Topology) []string {
	excluded := t.ExcludedTables()
	var out []string
	for k, tf := range tables {
		if excluded[k] {
			continue
		}
		if len(t.Tables) == 0 {
			out = append(out, k)
			continue
		}
		for _, p := range t.Tables {
			if p == "*" || p == k || p == tf.Schema+".*" {
				out = append(out, k)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// readRows learns, in one query, which tables in scope hold rows and, for
// a partitioned topology, how many rows belong to owners this node does
// not own.
func readRows(ctx context.Context, conn *pgx.Conn, f *nodeFacts, t Topology, owns []string) error {
	if len(f.Scope) == 0 {
		return nil
	}
	var parts []string
	var args []any
	for i, k := range f.Scope {
		tf := f.Tables[k]
		q := qualified(tf.Schema, tf.Name)
		foreign := "0::bigint"
		if (t.Kind == TopologyPartitioned || t.Kind == TopologyHubSpoke && !t.listedShared(k)) && t.OwnerColumn != "" && tf.hasColumn(t.OwnerColumn) && owns != nil {
			c := ident(t.OwnerColumn)
			foreign = fmt.Sprintf("(SELECT count(*) FROM %s WHERE %s IS NULL OR NOT (%s::text = ANY($1::text[])))", q, c, c)
		}
		parts = append(parts, fmt.Sprintf("SELECT %d, EXISTS (SELECT 1 FROM %s), %s", i, q, foreign))
	}
	if strings.Contains(strings.Join(parts, ""), "$1") {
		args = append(args, owns)
	}
	rows, err := conn.Query(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return fmt.Errorf("read row counts: %w", err)
	}
	for rows.Next() {
		var i int
		var has bool
		var foreign int64
		if err := rows.Scan(&i, &has, &foreign); err != nil {
			return fmt.Errorf("read row counts: %w", err)
		}
		tf := f.Tables[f.Scope[i]]
		tf.HasRows, tf.Foreign = has, foreign
	}
	return rows.Err()
}

func readSequences(ctx context.Context, conn *pgx.Conn, f *nodeFacts) error {
	rows, err := conn.Query(ctx, qSequences)
	if err != nil {
		return fmt.Errorf("read sequences: %w", err)
	}
	scope := map[string]bool{}
	for _, k := range f.Scope {
		scope[k] = true
	}
	for rows.Next() {
		var s seqFacts
		if err := rows.Scan(&s.Schema, &s.Name, &s.TableSchema, &s.Table, &s.Column, &s.Increment, &s.Last, &s.Start); err != nil {
			return fmt.Errorf("read sequences: %w", err)
		}
		if scope[s.TableSchema+"."+s.Table] {
			f.Sequences = append(f.Sequences, s)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read sequences: %w", err)
	}
	if len(f.Sequences) == 0 {
		return nil
	}
	var parts []string
	for i, s := range f.Sequences {
		parts = append(parts, fmt.Sprintf("SELECT %d, coalesce((SELECT max(%s) FROM %s), 0)::bigint", i, ident(s.Column), qualified(s.TableSchema, s.Table)))
	}
	rows, err = conn.Query(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return fmt.Errorf("read key maxima: %w", err)
	}
	for rows.Next() {
		var i int
		var m int64
		if err := rows.Scan(&i, &m); err != nil {
			return fmt.Errorf("read key maxima: %w", err)
		}
		f.Sequences[i].ColumnMax = m
	}
	return rows.Err()
}

func readPglogical(ctx context.Context, conn *pgx.Conn, f *nodeFacts) error {
	names, err := collectStrings(ctx, conn, qPglLocalNode)
	if err != nil {
		return fmt.Errorf("read pglogical node: %w", err)
	}
	if len(names) > 0 {
		f.PglNode = names[0]
	}
	subs, err := collectStrings(ctx, conn, qPglSubs)
	if err != nil {
		return fmt.Errorf("read pglogical subscriptions: %w", err)
	}
	for _, s := range subs {
		f.PglSubs[s] = true
	}
	sets, err := collectStrings(ctx, conn, qPglSets)
	if err != nil {
		return fmt.Errorf("read pglogical replication sets: %w", err)
	}
	for _, s := range sets {
		f.PglSets[s] = true
	}
	return nil
}
