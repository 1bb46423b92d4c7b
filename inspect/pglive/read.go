package pglive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// Evidence names this reader adds to inspect's own (inspect.Evidence*).
const (
	// EvidenceHiddenStatements: some pg_stat_statements entries belong to
	// other roles and their text is hidden; the rest were read.
	EvidenceHiddenStatements = "pg_stat_statements_other_roles"
	// EvidenceHiddenSettings: settings only superusers and
	// pg_read_all_settings may see (shared_preload_libraries, ...).
	EvidenceHiddenSettings = inspect.EvidenceHiddenSettings
	// EvidenceViewDefinitions: the queries of views.
	EvidenceViewDefinitions = "view_definitions"
	// EvidenceFunctionBodies: SQL-standard (BEGIN ATOMIC) function bodies.
	EvidenceFunctionBodies = "function_bodies"
	// EvidencePublications: pg_publication.
	EvidencePublications = "publications"
)

// MinServerVersion is the oldest server_version_num the reader accepts.
const MinServerVersion = 130000

// reader holds the state of one read. The maps and relArg are written
// before any part runs and only read after; the model is built by the
// parts' apply functions, on the reader's goroutine.
type reader struct {
	lane    *lane // the first
	o       Options
	log     *slog.Logger
	queries atomic.Int64
	// owned: the first lane's connection is Read's, which closes it
	// after the read, and with it the transaction.
	owned bool
	// second, when set, opens the second lane (see lanes.go); seconds
	// counts whether it ran a query.
	second  *pgx.ConnConfig
	seconds atomic.Int32

	version int
	facts   dbFacts
	db      *inspect.Database
	rels    map[uint32]*inspect.Table
	// relTuples is pg_class.reltuples of each relation.
	relTuples map[uint32]int64
	// oids are those of rels, in the order read; relArg lists them, the
	// $1 of the queries of their parts.
	oids   []uint32
	relArg string
	// attNames names the columns of each relation by number.
	attNames map[uint32][]string
	funcs    map[uint32]*inspect.Function
}

// dbFacts is the row of databaseQuery.
type dbFacts struct {
	Name            string `db:"name"`
	Encoding        string `db:"encoding"`
	Collate         string `db:"collate"`
	Ctype           string `db:"ctype"`
	LocaleProvider  string `db:"locale_provider"`
	Role            string `db:"role"`
	Superuser       bool   `db:"superuser"`
	ReadAllSettings bool   `db:"read_all_settings"`
	// StatFile: the role may run pg_stat_file and pg_relation_filepath (toastFileQuery).
	StatFile    bool       `db:"stat_file"`
	CollectedAt time.Time  `db:"collected_at"`
	StatsReset  *time.Time `db:"stats_reset"`
	PgssVersion string     `db:"pgss_version"`
	PgssSchema  string     `db:"pgss_schema"`
}

// collect runs one query of the transaction and maps its rows by column name.
func collect[T any](ctx context.Context, l *lane, name, sql string, args ...any) ([]T, error) {
	start := time.Now()
	l.count()
	rows, err := l.conn.Query(ctx, mark(sql), append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	out, err := scanRows[T](rows)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	l.log.Debug("query", "name", name, "rows", len(out), "duration", time.Since(start), "first_connection", l.first)
	return out, nil
}

// scanRows scans each row into a T, columns matched to T's fields by their
// db tags, every column to a field and every field to a column. The match
// is made once per query: pgx.RowToStructByName makes it for every row,
// which was a third of the reader's time on 10,000 tables.
func scanRows[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	var out []T
	var fields []int // T's field for each column, from the first row on
	var dest []any
	for rows.Next() {
		if fields == nil {
			var err error
			if fields, err = structFields(reflect.TypeFor[T](), rows.FieldDescriptions()); err != nil {
				return nil, err
			}
			dest = make([]any, len(fields))
		}
		var zero T
		out = append(out, zero)
		v := reflect.ValueOf(&out[len(out)-1]).Elem()
		for i, f := range fields {
			dest[i] = v.Field(f).Addr().Interface()
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
	}
	return out, rows.Err()
}

// structFields matches columns to the fields of typ by their db tags.
func structFields(typ reflect.Type, cols []pgconn.FieldDescription) ([]int, error) {
	byTag := map[string]int{}
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("db"); tag != "" {
			byTag[tag] = i
		}
	}
	fields := make([]int, len(cols))
	for i, c := range cols {
		f, ok := byTag[c.Name]
		if !ok {
			return nil, fmt.Errorf("column %q has no field in %s", c.Name, typ)
		}
		fields[i] = f
		delete(byTag, c.Name)
	}
	if len(byTag) > 0 {
		return nil, fmt.Errorf("%s: fields without a column: %v", typ, slices.Sorted(maps.Keys(byTag)))
	}
	return fields, nil
}

// guardedError is a server error in an optional query: it becomes a
// Skipped entry, not a failure.
type guardedError struct{ pe *pgconn.PgError }

func (e *guardedError) Error() string { return e.pe.Message }

// guarded runs an optional query inside a savepoint, so that a server error
// (permission denied, lock timeout, a missing library) does not abort the
// transaction. Such an error comes back as a *guardedError; any other error
// (the connection, the context) is fatal.
func guarded[T any](ctx context.Context, l *lane, name, sql string, args ...any) ([]T, error) {
	if err := l.exec(ctx, savepointSQL); err != nil {
		return nil, fmt.Errorf("read %s: savepoint: %w", name, err)
	}
	out, err := collect[T](ctx, l, name, sql, args...)
	if err != nil {
		pe := pgError(err)
		if pe == nil || ctx.Err() != nil {
			return nil, err
		}
		if rerr := l.exec(ctx, undoSQL); rerr != nil {
			return nil, fmt.Errorf("read %s: %w (and rolling back: %w)", name, err, rerr)
		}
		l.log.Debug("optional query failed", "name", name, "sqlstate", pe.Code, "error", pe.Message)
		return nil, &guardedError{pe}
	}
	if err := l.exec(ctx, releaseSQL); err != nil {
		return nil, fmt.Errorf("read %s: release savepoint: %w", name, err)
	}
	return out, nil
}

// query is a part of one query: run reads the rows on a lane, apply adds
// them to the model.
func query[T any](name string, where placement, run func(context.Context, *lane) ([]T, error), apply func([]T, error) error) *part {
	var rows []T
	return &part{name: name, where: where,
		fetch: func(ctx context.Context, l *lane) (err error) {
			rows, err = run(ctx, l)
			return err
		},
		apply: func(err error) error { return apply(rows, err) },
	}
}

// skip records evidence that could not be read.
func (r *reader) skip(evidence, reason, fix string) {
	r.log.Info("evidence skipped", "evidence", evidence, "reason", reason)
	r.db.Skipped = append(r.db.Skipped, inspect.Skipped{Evidence: evidence, Reason: reason, Fix: fix})
}

// skipErr records an optional query that failed. fallback is the fix for
// a permission error whose message names no object.
func (r *reader) skipErr(evidence, what string, err error, fallback string) error {
	var ge *guardedError
	if !errors.As(err, &ge) {
		return err
	}
	reason := fmt.Sprintf("reading %s failed: %s (SQLSTATE %s)", what, ge.pe.Message, ge.pe.Code)
	fix := ""
	switch ge.pe.Code {
	case "42501": // insufficient_privilege
		fix = r.grantFor(ge.pe.Message, fallback)
	case "55P03": // lock_not_available
		fix = "retry when the lock is released (a long ALTER TABLE, VACUUM FULL or REINDEX), or allow a longer lock timeout"
	case "57014": // query_canceled
		fix = "retry with a longer statement timeout"
	}
	r.skip(evidence, reason, fix)
	return nil
}

// deniedObject reads the object of "permission denied for view x".
var deniedObject = regexp.MustCompile(`^permission denied for (table|view|function|schema|sequence) (\S+)$`)

// grantFor turns a permission error into the GRANT that fixes it: the
// objects aadvisor reads live in pg_catalog, or in the schema of
// pg_stat_statements.
func (r *reader) grantFor(msg, fallback string) string {
	m := deniedObject.FindStringSubmatch(msg)
	if m == nil {
		return fallback
	}
	schema := "pg_catalog"
	if strings.HasPrefix(m[2], "pg_stat_statements") && r.facts.PgssSchema != "" {
		schema = r.facts.PgssSchema
	}
	switch m[1] {
	case "function":
		if fallback != "" {
			return fallback // it names the argument types
		}
		return r.grant(fmt.Sprintf("GRANT EXECUTE ON FUNCTION %s", inspect.QuoteQualified(schema, m[2])))
	case "schema":
		return r.grant(fmt.Sprintf("GRANT USAGE ON SCHEMA %s", inspect.QuoteIdent(m[2])))
	default:
		return r.grant(fmt.Sprintf("GRANT SELECT ON %s", inspect.QuoteQualified(schema, m[2])))
	}
}

// setupRow is what setupQuery returns besides setting the transaction up.
type setupRow struct {
	Version  int
	Started  string
	Snapshot string
}

// setup sets the transaction's limits (setupQuery); with export it also
// exports the snapshot for a second lane.
func (l *lane) setup(ctx context.Context, o Options, export bool, s *setupRow) error {
	l.count()
	sql := setupQuery
	dest := []any{nil, nil, nil, nil, nil, nil, nil, &s.Version, &s.Started}
	if export {
		sql += exportSnapshot
		dest = append(dest, &s.Snapshot)
	}
	err := l.conn.QueryRow(ctx, mark(sql), pgx.QueryExecModeExec, millis(o.StatementTimeout), millis(o.LockTimeout), o.AppName).
		Scan(dest...)
	if err != nil {
		return fmt.Errorf("set up transaction: %w", err)
	}
	return nil
}

func (r *reader) read(ctx context.Context) (*inspect.Database, error) {
	l := r.lane
	if s := l.conn.PgConn().TxStatus(); s != 'I' {
		return nil, fmt.Errorf("read database: the connection is inside a transaction (status %q); pglive runs its own", s)
	}
	if err := l.exec(ctx, beginQuery); err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	if !r.owned {
		defer func() {
			_ = l.exec(context.WithoutCancel(ctx), rollbackQuery) // read only: nothing to keep
		}()
	}
	r.db = &inspect.Database{LargeObjects: -1}

	var set setupRow
	if err := l.setup(ctx, r.o, r.second != nil, &set); err != nil {
		return nil, err
	}
	r.version = set.Version
	if r.version < MinServerVersion {
		return nil, fmt.Errorf("server version %d is not supported: aadvisor needs PostgreSQL %d or later", r.version, MinServerVersion/10000)
	}
	r.db.ServerVersion = r.version

	// The order in which the lanes take the parts: the first lane starts
	// with the queries that print the expressions of every relation, the
	// second with the heaviest of the others; the parts that keep locks
	// come last, to keep them for the shortest time. Most parts' queries
	// take the relations the first lane reads before.
	parts := map[string]*part{}
	var order []*part
	columns, generated := r.columnsParts()
	toast1, toast2 := r.toastParts()
	expr1, expr2 := r.expressionParts()
	for _, p := range []*part{
		expr1, expr2, generated,
		r.tableStatsPart(), r.rolesPart(), r.statementsPart(), r.sequencesPart(), columns, toast1, toast2,
		r.functionsPart(), r.triggersPart(), r.rulesPart(), r.settingsPart(), r.eventTriggersPart(), r.extensionsPart(),
		r.largeObjectsPart(), r.databasesPart(), r.publicationsPart(), r.subscriptionsPart(), r.slotsPart(),
		r.viewDefsPart(), r.functionBodiesPart(),
	} {
		parts[p.name] = p
		order = append(order, p)
	}
	s := newSchedule(order)
	lctx, stop := context.WithCancel(ctx)
	var lanes sync.WaitGroup
	defer func() {
		stop()
		lanes.Wait()
	}()
	// The second lane connects while the first reads the database and its
	// relations, and starts once the database is read.
	dbRead := make(chan struct{})
	if r.second != nil {
		lanes.Add(1)
		go func() {
			defer lanes.Done()
			sl, err := r.openSecond(lctx, r.second, set.Snapshot, set.Started)
			if err != nil {
				if lctx.Err() == nil {
					r.log.Debug("second connection not used", "error", err)
				}
				return
			}
			defer sl.close(ctx)
			select {
			case <-dbRead:
				if s.work(lctx, sl) {
					r.seconds.Store(1)
				}
				if secondDone != nil {
					secondDone(sl.conn)
				}
			case <-lctx.Done():
			}
		}()
	}
	if err := r.readDatabase(ctx); err != nil {
		return nil, err
	}
	close(dbRead)
	if err := r.readTables(ctx); err != nil {
		return nil, err
	}
	s.relationsRead()
	lanes.Add(1)
	go func() {
		defer lanes.Done()
		s.work(lctx, l)
	}()
	// The parts' rows join the model in this order, whatever lane ran them.
	for _, name := range []string{
		"columns", "generated columns", "indexes and constraints 1", "indexes and constraints 2", "triggers", "rules", "sequences", "functions", "event triggers", "extensions", "roles",
		// Optional evidence: each may become a Skipped entry.
		"view definitions", "function bodies", "TOAST sizes 1", "TOAST sizes 2", "table statistics", "settings", "large objects",
		"databases", "publications", "subscriptions", "replication slots", "pg_stat_statements",
	} {
		p := parts[name]
		if err := s.wait(ctx, p); err != nil {
			return nil, err
		}
		if err := p.apply(p.err); err != nil {
			return nil, err
		}
	}
	r.finishWorkload()
	stmt.AnalyzeTriggerFunctions(r.db)
	stmt.AnalyzeExpressions(r.db)
	return r.db, nil
}

func (r *reader) readDatabase(ctx context.Context) error {
	rows, err := collect[dbFacts](ctx, r.lane, "database", databaseQuery(r.version))
	if err != nil {
		return err
	}
	if len(rows) != 1 {
		return fmt.Errorf("read database: current database not found in pg_database")
	}
	f := rows[0]
	r.facts = f
	r.db.Name = f.Name
	r.db.Encoding, r.db.Collate, r.db.Ctype = f.Encoding, f.Collate, f.Ctype
	r.db.LocaleProvider = localeProviders[f.LocaleProvider]
	r.db.Workload.CollectedAt = f.CollectedAt.UTC()
	return nil
}

type tableRow struct {
	OID            uint32   `db:"oid"`
	Schema         string   `db:"schema"`
	Name           string   `db:"name"`
	Kind           string   `db:"kind"`
	Persistence    string   `db:"persistence"`
	ReplIdent      string   `db:"replident"`
	Owner          string   `db:"owner"`
	PartitionOf    string   `db:"partition_of"`
	PartitionKey   string   `db:"partition_key"`
	Inherits       []string `db:"inherits"`
	Options        []string `db:"options"`
	ReplIdentIndex string   `db:"replident_index"`
	RowSecurity    bool     `db:"row_security"`
	ForceRowSec    bool     `db:"force_row_security"`
	RelTuples      int64    `db:"reltuples"`
	Policies       []string `db:"policies"`
}

func (r *reader) readTables(ctx context.Context) error {
	rows, err := collect[tableRow](ctx, r.lane, "tables", tablesQuery)
	if err != nil {
		return err
	}
	r.rels = make(map[uint32]*inspect.Table, len(rows))
	r.relTuples = make(map[uint32]int64, len(rows))
	oids := make([]uint32, 0, len(rows))
	for _, t := range rows {
		oids = append(oids, t.OID)
		tab := &inspect.Table{
			Schema: t.Schema, Name: t.Name, Kind: relKindNames[t.Kind], Persistence: persistences[t.Persistence],
			ReplicaIdentity: replicaIdentities[t.ReplIdent], Owner: t.Owner, PartitionOf: t.PartitionOf,
			PartitionKey: t.PartitionKey, Inherits: nonEmpty(t.Inherits), Options: nonEmpty(t.Options), ToastBytes: -1,
			RowSecurity: t.RowSecurity, ForceRowSecurity: t.ForceRowSec, Policies: nonEmpty(t.Policies),
		}
		if tab.ReplicaIdentity == inspect.IdentityIndex {
			tab.ReplicaIdentityIndex = t.ReplIdentIndex
		}
		r.rels[t.OID] = tab
		r.relTuples[t.OID] = t.RelTuples
		r.db.Tables = append(r.db.Tables, tab)
	}
	r.oids, r.relArg = oids, oidArray(oids)
	return nil
}

// oidArray is an oid[] literal: {16385,16390}.
func oidArray(oids []uint32) string {
	b := make([]byte, 0, 2+len(oids)*7)
	b = append(b, '{')
	for i, o := range oids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendUint(b, uint64(o), 10)
	}
	return string(append(b, '}'))
}

// attNumbers reads the column numbers of an int2vector ("1 3") or int2[]
// ("{1,3}") as the server prints them; "" is none.
func attNumbers(s string) []int {
	var out []int
	n, in, neg := 0, false, false
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			n, in = n*10+int(s[i]-'0'), true
			continue
		}
		if i < len(s) && s[i] == '-' {
			neg = true
			continue
		}
		if in {
			if neg {
				n = -n
			}
			out = append(out, n)
		}
		n, in, neg = 0, false, false
	}
	return out
}

// systemColumns name the negative column numbers (a CHECK on tableoid).
var systemColumns = map[int]string{-1: "ctid", -2: "xmin", -3: "cmin", -4: "xmax", -5: "cmax", -6: "tableoid"}

// attName names column num of relation rel, from the columns read.
func (r *reader) attName(rel uint32, num int) string {
	if num < 0 {
		return systemColumns[num]
	}
	if names := r.attNames[rel]; num < len(names) {
		return names[num]
	}
	return ""
}

// attNamesOf names columns by number; nil for none.
func (r *reader) attNamesOf(rel uint32, nums []int) []string {
	if len(nums) == 0 {
		return nil
	}
	out := make([]string, len(nums))
	for i, n := range nums {
		out[i] = r.attName(rel, n)
	}
	return out
}

type columnRow struct {
	RelID     uint32 `db:"relid"`
	Num       int16  `db:"num"`
	Name      string `db:"name"`
	Type      string `db:"type"`
	NotNull   bool   `db:"not_null"`
	Expr      string `db:"expr"`
	Identity  string `db:"identity"`
	Generated string `db:"generated"`
	Storage   string `db:"storage"`
}

// columnsParts read the columns, on either lane, and then the
// expressions of generated columns, on the first lane: printing them opens
// their relations.
func (r *reader) columnsParts() (columns, generated *part) {
	var cols []columnRow
	var gen []generatedRow
	columns = (&part{name: "columns", where: anyLane,
		fetch: func(ctx context.Context, l *lane) (err error) {
			cols, err = collect[columnRow](ctx, l, "columns", columnsQuery, r.relArg)
			return err
		},
		apply: func(err error) error { return r.applyColumns(cols, err) },
	}).onRelations()
	generated = (&part{name: "generated columns", where: firstLane, after: []*part{columns},
		fetch: func(ctx context.Context, l *lane) (err error) {
			var rels []uint32
			for _, c := range cols {
				if c.Generated != "" && (len(rels) == 0 || rels[len(rels)-1] != c.RelID) {
					rels = append(rels, c.RelID)
				}
			}
			gen = nil
			if len(rels) > 0 {
				gen, err = collect[generatedRow](ctx, l, "generated columns", generatedQuery, oidArray(rels))
			}
			return err
		},
		apply: func(err error) error { return r.applyGenerated(gen, err) },
	}).onRelations()
	return columns, generated
}

func (r *reader) applyColumns(rows []columnRow, err error) error {
	if err != nil {
		return err
	}
	r.attNames = make(map[uint32][]string, len(r.rels))
	for _, c := range rows {
		t := r.rels[c.RelID]
		if t == nil {
			continue
		}
		names := r.attNames[c.RelID]
		for len(names) <= int(c.Num) {
			names = append(names, "")
		}
		names[c.Num] = c.Name
		r.attNames[c.RelID] = names
		t.Columns = append(t.Columns, &inspect.Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull, Default: c.Expr,
			Identity: identities[c.Identity], Generated: generations[c.Generated], Storage: storages[c.Storage]})
	}
	return nil
}

type generatedRow struct {
	RelID uint32 `db:"relid"`
	Num   int16  `db:"num"`
	Expr  string `db:"expr"`
}

func (r *reader) applyGenerated(rows []generatedRow, err error) error {
	if err != nil {
		return err
	}
	for _, g := range rows {
		t, name := r.rels[g.RelID], r.attName(g.RelID, int(g.Num))
		if t == nil {
			continue
		}
		if c := t.Column(name); c != nil && c.Generated != "" {
			c.GeneratedExpr = g.Expr
		}
	}
	return nil
}

type indexRow struct {
	RelID      uint32   `db:"relid"`
	Name       string   `db:"name"`
	Unique     bool     `db:"is_unique"`
	Primary    bool     `db:"is_primary"`
	Valid      bool     `db:"valid"`
	ReplIdent  bool     `db:"replident"`
	Method     string   `db:"method"`
	Predicate  string   `db:"predicate"`
	Expression bool     `db:"expression"`
	Constraint string   `db:"constraint_name"`
	Deferrable bool     `db:"deferrable"`
	KeyCount   int16    `db:"key_count"`
	Keys       string   `db:"keys"`
	KeyExprs   []string `db:"key_exprs"`
}

// half is the $1 of a query of the first or the second half of the
// relations read.
func (r *reader) half(i int) string {
	n := len(r.oids) / 2
	if i == 0 {
		return oidArray(r.oids[:n])
	}
	return oidArray(r.oids[n:])
}

// expressionParts read the indexes and constraints of each half of the
// relations, indexes first: printing their expressions (partial index
// predicates, expression keys, CHECK constraints) builds the server's
// cache entry of each relation, which the constraints query then finds
// built on the same connection. The two halves run at once on two lanes;
// the second half's apply adds both.
func (r *reader) expressionParts() (first, second *part) {
	var indexes [2][]indexRow
	var cons [2][]constraintRow
	var refs [2][]referencedRow
	half := func(i int) *part {
		return (&part{name: fmt.Sprintf("indexes and constraints %d", i+1), where: anyLane,
			fetch: func(ctx context.Context, l *lane) (err error) {
				arg := r.half(i)
				if indexes[i], err = collect[indexRow](ctx, l, "indexes", indexesQuery, arg); err != nil {
					return err
				}
				if cons[i], err = collect[constraintRow](ctx, l, "constraints", constraintsQuery, arg); err != nil {
					return err
				}
				refs[i], err = r.outside(ctx, l, "referenced relations", len(cons[i]), func(j int) uint32 { return cons[i][j].RefRelID })
				return err
			},
		}).onRelations()
	}
	first, second = half(0), half(1)
	first.apply = func(err error) error { return err }
	second.apply = func(err error) error {
		if err != nil {
			return err
		}
		for i := range 2 {
			if err := r.applyIndexes(indexes[i], nil); err != nil {
				return err
			}
		}
		for i := range 2 {
			if err := r.applyConstraints(cons[i], refs[i], nil); err != nil {
				return err
			}
		}
		return nil
	}
	return first, second
}

func (r *reader) applyIndexes(rows []indexRow, err error) error {
	if err != nil {
		return err
	}
	for _, x := range rows {
		t := r.rels[x.RelID]
		if t == nil {
			continue
		}
		// Key columns by name; an expression key (number 0) by its text.
		keys := attNumbers(x.Keys)
		keys = keys[:min(len(keys), int(x.KeyCount))]
		cols := make([]string, len(keys))
		exprs := x.KeyExprs
		for i, k := range keys {
			if k != 0 {
				cols[i] = r.attName(x.RelID, k)
			} else if len(exprs) > 0 {
				cols[i], exprs = exprs[0], exprs[1:]
			}
		}
		t.Indexes = append(t.Indexes, &inspect.Index{Name: x.Name, Columns: cols, Unique: x.Unique, Primary: x.Primary,
			Predicate: x.Predicate, Expression: x.Expression, Deferrable: x.Deferrable, Valid: x.Valid, Method: x.Method,
			ReplicaIdentity: x.ReplIdent, Constraint: x.Constraint})
	}
	return nil
}

type constraintRow struct {
	RelID      uint32 `db:"relid"`
	Name       string `db:"name"`
	Type       string `db:"type"`
	Keys       string `db:"keys"`
	Deferrable bool   `db:"deferrable"`
	Deferred   bool   `db:"deferred"`
	Expression string `db:"expression"`
	RefRelID   uint32 `db:"ref_relid"`
	RefKeys    string `db:"ref_keys"`
	OnDelete   string `db:"on_delete"`
	OnUpdate   string `db:"on_update"`
}

type referencedRow struct {
	RelID   uint32 `db:"relid"`
	Name    string `db:"name"`
	Num     int16  `db:"num"`
	AttName string `db:"attname"`
}

// withOutside is a part whose rows refer to relations by oid (rel; 0 for
// none), with the names of those outside the read (see outside).
func withOutside[T any](r *reader, name string, where placement, outsideName string, rel func(T) uint32,
	run func(context.Context, *lane) ([]T, error), apply func([]T, []referencedRow, error) error) *part {
	var rows []T
	var refs []referencedRow
	return (&part{name: name, where: where,
		fetch: func(ctx context.Context, l *lane) (err error) {
			if rows, err = run(ctx, l); err != nil {
				return err
			}
			refs, err = r.outside(ctx, l, outsideName, len(rows), func(i int) uint32 { return rel(rows[i]) })
			return err
		},
		apply: func(err error) error { return apply(rows, refs, err) },
	}).onRelations()
}

// outside names the relations outside the read (an extension's table)
// among rel(0) ... rel(n-1), and their columns, by one more query when
// there are any; 0 is none.
func (r *reader) outside(ctx context.Context, l *lane, name string, n int, rel func(int) uint32) ([]referencedRow, error) {
	var oids []uint32
	seen := map[uint32]bool{}
	for i := range n {
		if o := rel(i); o != 0 && r.rels[o] == nil && !seen[o] {
			seen[o] = true
			oids = append(oids, o)
		}
	}
	if len(oids) == 0 {
		return nil, nil
	}
	return collect[referencedRow](ctx, l, name, referencedQuery, oidArray(oids))
}

func (r *reader) applyConstraints(rows []constraintRow, refs []referencedRow, err error) error {
	if err != nil {
		return err
	}
	refNames := map[uint32]string{}
	for _, ref := range refs {
		refNames[ref.RelID] = ref.Name
		names := r.attNames[ref.RelID]
		for len(names) <= int(ref.Num) {
			names = append(names, "")
		}
		names[ref.Num] = ref.AttName
		r.attNames[ref.RelID] = names
	}
	for _, c := range rows {
		t := r.rels[c.RelID]
		if t == nil {
			continue
		}
		con := &inspect.Constraint{Name: c.Name, Type: constraintTypes[c.Type], Columns: r.attNamesOf(c.RelID, attNumbers(c.Keys)),
			Deferrable: c.Deferrable, InitiallyDeferred: c.Deferred, Expression: c.Expression}
		if con.Type == inspect.ForeignKey {
			if ref := r.rels[c.RefRelID]; ref != nil {
				con.RefTable = ref.Schema + "." + ref.Name
			} else {
				con.RefTable = refNames[c.RefRelID]
			}
			con.RefColumns = r.attNamesOf(c.RefRelID, attNumbers(c.RefKeys))
			con.OnDelete, con.OnUpdate = fkActions[c.OnDelete], fkActions[c.OnUpdate]
		}
		t.Constraints = append(t.Constraints, con)
	}
	return nil
}

type triggerRow struct {
	RelID      uint32 `db:"relid"`
	Name       string `db:"name"`
	Enabled    string `db:"enabled"`
	Type       int    `db:"type"`
	Function   string `db:"function"`
	Constraint bool   `db:"is_constraint"`
}

func (r *reader) triggersPart() *part {
	return query("triggers", anyLane, func(ctx context.Context, l *lane) ([]triggerRow, error) {
		return collect[triggerRow](ctx, l, "triggers", triggersQuery, r.relArg)
	}, r.applyTriggers).onRelations()
}

func (r *reader) applyTriggers(rows []triggerRow, err error) error {
	if err != nil {
		return err
	}
	for _, tg := range rows {
		t := r.rels[tg.RelID]
		if t == nil {
			continue
		}
		timing, level, events := decodeTgtype(tg.Type)
		t.Triggers = append(t.Triggers, &inspect.Trigger{Name: tg.Name, Enabled: firingModes[tg.Enabled], Timing: timing,
			Level: level, Events: events, Function: tg.Function, Constraint: tg.Constraint})
	}
	return nil
}

type ruleRow struct {
	RelID   uint32 `db:"relid"`
	Name    string `db:"name"`
	Event   string `db:"event"`
	Instead bool   `db:"instead"`
}

func (r *reader) rulesPart() *part {
	return query("rules", anyLane, func(ctx context.Context, l *lane) ([]ruleRow, error) {
		return collect[ruleRow](ctx, l, "rules", rulesQuery, r.relArg)
	}, r.applyRules).onRelations()
}

func (r *reader) applyRules(rows []ruleRow, err error) error {
	if err != nil {
		return err
	}
	for _, ru := range rows {
		if t := r.rels[ru.RelID]; t != nil {
			t.Rules = append(t.Rules, &inspect.Rule{Name: ru.Name, Event: ruleEvents[ru.Event], Instead: ru.Instead})
		}
	}
	return nil
}

type sequenceRow struct {
	Schema      string `db:"schema"`
	Name        string `db:"name"`
	Type        string `db:"type"`
	Start       int64  `db:"start"`
	Increment   int64  `db:"increment"`
	Min         int64  `db:"min"`
	Max         int64  `db:"max"`
	Cache       int64  `db:"cache"`
	Cycle       bool   `db:"cycle"`
	Persistence string `db:"persistence"`
	OwnerRelID  uint32 `db:"owner_relid"`
	OwnerNum    int32  `db:"owner_num"`
}

// sequencesPart reads the sequences with the column that owns each, by
// relation and number: the reader names it from the columns read.
func (r *reader) sequencesPart() *part {
	return withOutside(r, "sequences", anyLane, "sequence owners", func(s sequenceRow) uint32 { return s.OwnerRelID },
		func(ctx context.Context, l *lane) ([]sequenceRow, error) {
			return collect[sequenceRow](ctx, l, "sequences", sequencesQuery)
		}, r.applySequences)
}

func (r *reader) applySequences(rows []sequenceRow, refs []referencedRow, err error) error {
	if err != nil {
		return err
	}
	outside := map[[2]uint32]string{}
	for _, ref := range refs {
		outside[[2]uint32{ref.RelID, uint32(ref.Num)}] = ref.Name + "." + ref.AttName
	}
	for i, s := range rows {
		if i > 0 && s.Schema == rows[i-1].Schema && s.Name == rows[i-1].Name {
			continue // a second owner: the first one stands
		}
		var owner string
		if t := r.rels[s.OwnerRelID]; t != nil {
			owner = t.Schema + "." + t.Name + "." + r.attName(s.OwnerRelID, int(s.OwnerNum))
		} else if s.OwnerRelID != 0 {
			owner = outside[[2]uint32{s.OwnerRelID, uint32(s.OwnerNum)}]
		}
		r.db.Sequences = append(r.db.Sequences, &inspect.Sequence{Schema: s.Schema, Name: s.Name, Type: s.Type,
			Start: s.Start, Increment: s.Increment, Min: s.Min, Max: s.Max, Cache: s.Cache, Cycle: s.Cycle,
			Persistence: persistences[s.Persistence], OwnedBy: owner})
	}
	return nil
}

type functionRow struct {
	OID        uint32   `db:"oid"`
	Schema     string   `db:"schema"`
	Name       string   `db:"name"`
	Args       string   `db:"args"`
	Language   string   `db:"language"`
	Volatility string   `db:"volatility"`
	Config     []string `db:"config"`
	Body       string   `db:"body"`
}

func (r *reader) functionsPart() *part {
	return query("functions", anyLane, func(ctx context.Context, l *lane) ([]functionRow, error) {
		return collect[functionRow](ctx, l, "functions", functionsQuery)
	}, r.applyFunctions)
}

func (r *reader) applyFunctions(rows []functionRow, err error) error {
	if err != nil {
		return err
	}
	r.funcs = make(map[uint32]*inspect.Function, len(rows))
	for _, f := range rows {
		fn := &inspect.Function{Schema: f.Schema, Name: f.Name, Args: f.Args, Language: f.Language,
			Volatility: volatilities[f.Volatility], Config: nonEmpty(f.Config), Body: f.Body}
		r.funcs[f.OID] = fn
		r.db.Functions = append(r.db.Functions, fn)
	}
	return nil
}

type eventTriggerRow struct {
	Name     string `db:"name"`
	Event    string `db:"event"`
	Enabled  string `db:"enabled"`
	Function string `db:"function"`
}

func (r *reader) eventTriggersPart() *part {
	return query("event triggers", anyLane, func(ctx context.Context, l *lane) ([]eventTriggerRow, error) {
		return collect[eventTriggerRow](ctx, l, "event triggers", eventTriggersQuery)
	}, r.applyEventTriggers)
}

func (r *reader) applyEventTriggers(rows []eventTriggerRow, err error) error {
	if err != nil {
		return err
	}
	for _, e := range rows {
		r.db.EventTriggers = append(r.db.EventTriggers, &inspect.EventTrigger{Name: e.Name, Event: e.Event,
			Enabled: firingModes[e.Enabled], Function: e.Function})
	}
	return nil
}

type extensionRow struct {
	Name    string `db:"name"`
	Version string `db:"version"`
	Schema  string `db:"schema"`
}

func (r *reader) extensionsPart() *part {
	return query("extensions", anyLane, func(ctx context.Context, l *lane) ([]extensionRow, error) {
		return collect[extensionRow](ctx, l, "extensions", extensionsQuery)
	}, r.applyExtensions)
}

func (r *reader) applyExtensions(rows []extensionRow, err error) error {
	if err != nil {
		return err
	}
	for _, e := range rows {
		r.db.Extensions = append(r.db.Extensions, inspect.Extension{Name: e.Name, Version: e.Version, Schema: e.Schema})
	}
	return nil
}

type nameRow struct {
	Name string `db:"name"`
}

type roleRow struct {
	Name      string `db:"name"`
	BypassRLS bool   `db:"bypass_rls"`
}

func (r *reader) rolesPart() *part {
	return query("roles", anyLane, func(ctx context.Context, l *lane) ([]roleRow, error) {
		return collect[roleRow](ctx, l, "roles", rolesQuery)
	}, r.applyRoles)
}

func (r *reader) applyRoles(rows []roleRow, err error) error {
	if err != nil {
		return err
	}
	for _, n := range rows {
		r.db.Roles = append(r.db.Roles, n.Name)
		if n.BypassRLS {
			r.db.BypassRLS = append(r.db.BypassRLS, n.Name)
		}
	}
	return nil
}

func (r *reader) grant(what string) string {
	return fmt.Sprintf("%s TO %s", what, inspect.QuoteIdent(r.facts.Role))
}

type viewDefRow struct {
	RelID      uint32 `db:"relid"`
	Definition string `db:"definition"`
}

func (r *reader) viewDefsPart() *part {
	return query("view definitions", firstLane, func(ctx context.Context, l *lane) ([]viewDefRow, error) {
		return guarded[viewDefRow](ctx, l, "view definitions", viewDefsQuery, r.relArg)
	}, r.applyViewDefs).onRelations()
}

func (r *reader) applyViewDefs(rows []viewDefRow, err error) error {
	if err != nil {
		return r.skipErr(EvidenceViewDefinitions, "view definitions", err, "connect as the owner of the views")
	}
	for _, v := range rows {
		if t := r.rels[v.RelID]; t != nil {
			t.Definition = v.Definition
		}
	}
	return nil
}

type bodyRow struct {
	OID  uint32 `db:"oid"`
	Body string `db:"body"`
}

func (r *reader) functionBodiesPart() *part {
	return query("function bodies", firstLane, func(ctx context.Context, l *lane) ([]bodyRow, error) {
		if r.version < 140000 {
			return nil, nil // no SQL-standard bodies before 14
		}
		return guarded[bodyRow](ctx, l, "function bodies", functionBodiesQuery)
	}, r.applyFunctionBodies)
}

func (r *reader) applyFunctionBodies(rows []bodyRow, err error) error {
	if err != nil {
		return r.skipErr(EvidenceFunctionBodies, "SQL-standard function bodies", err, "connect as the owner of the functions")
	}
	for _, b := range rows {
		if f := r.funcs[b.OID]; f != nil && f.Body == "" {
			f.Body = b.Body
		}
	}
	return nil
}

type toastRow struct {
	RelID uint32 `db:"relid"`
	Bytes int64  `db:"bytes"`
}

// toastParts read the sizes of the TOAST relations in two halves, which
// two lanes read at once (pg_relation_size opens each TOAST relation,
// toastFileQuery measures their files);
// the second half's apply adds both, or the skip when either failed.
func (r *reader) toastParts() (first, second *part) {
	var rows [2][]toastRow
	half := func(i int) *part {
		return (&part{name: fmt.Sprintf("TOAST sizes %d", i+1), where: anyLane,
			fetch: func(ctx context.Context, l *lane) (err error) {
				sql := toastQuery
				if r.facts.StatFile {
					sql = toastFileQuery
				}
				rows[i], err = guarded[toastRow](ctx, l, "TOAST sizes", sql, r.half(i))
				return err
			},
		}).onRelations()
	}
	first, second = half(0), half(1)
	first.apply = func(err error) error {
		var ge *guardedError
		if err != nil && !errors.As(err, &ge) {
			return err
		}
		return nil
	}
	second.apply = func(err error) error {
		for _, err := range []error{first.err, err} {
			if err != nil {
				return r.skipErr(inspect.EvidenceToast, "TOAST sizes", err, r.grant("GRANT EXECUTE ON FUNCTION pg_catalog.pg_relation_size(regclass)"))
			}
		}
		for _, half := range rows {
			for _, s := range half {
				if t := r.rels[s.RelID]; t != nil {
					t.ToastBytes = s.Bytes
				}
			}
		}
		return nil
	}
	return first, second
}

type statsRow struct {
	RelID   uint32 `db:"relid"`
	SeqScan int64  `db:"seq_scan"`
	IdxScan int64  `db:"idx_scan"`
	Ins     int64  `db:"n_tup_ins"`
	Upd     int64  `db:"n_tup_upd"`
	Del     int64  `db:"n_tup_del"`
	HotUpd  int64  `db:"n_tup_hot_upd"`
	Live    int64  `db:"n_live_tup"`
	Dead    int64  `db:"n_dead_tup"`
}

func (r *reader) tableStatsPart() *part {
	var rows []statsRow
	var created []createdRow
	return &part{name: "table statistics", where: anyLane,
		fetch: func(ctx context.Context, l *lane) (err error) {
			if rows, err = guarded[statsRow](ctx, l, "table statistics", tableStatsQuery); err != nil {
				return err
			}
			created, err = r.readStatsWindow(ctx, l)
			return err
		},
		apply: func(err error) error { return r.applyTableStats(rows, created, err) },
	}
}

func (r *reader) applyTableStats(rows []statsRow, created []createdRow, err error) error {
	if err != nil {
		return r.skipErr(inspect.EvidenceTableStats, "pg_stat_user_tables", err, r.grant("GRANT SELECT ON pg_catalog.pg_stat_user_tables"))
	}
	for _, s := range rows {
		if t := r.rels[s.RelID]; t != nil {
			t.Stats = &inspect.TableStats{SeqScan: s.SeqScan, IdxScan: s.IdxScan, Inserts: s.Ins, Updates: s.Upd,
				Deletes: s.Del, HotUpdate: s.HotUpd, LiveTup: s.Live, DeadTup: s.Dead, RelTuples: r.relTuples[s.RelID]}
		}
	}
	r.db.Workload.TableStats = true
	if f := r.facts.StatsReset; f != nil {
		r.db.Workload.TableStatsSince = f.UTC()
	} else if len(created) == 1 {
		r.db.Workload.TableStatsSince = created[0].Created.UTC()
	}
	return nil
}

type createdRow struct {
	Created time.Time `db:"created"`
}

// readStatsWindow reads since when the table counters can have been
// counting when pg_stat_database has no statistics reset: the creation of
// the database (pg_stat_file needs a superuser or a grant; without it the
// window stays unknown, which the rules that need it say).
func (r *reader) readStatsWindow(ctx context.Context, l *lane) ([]createdRow, error) {
	if r.facts.StatsReset != nil {
		return nil, nil
	}
	rows, err := guarded[createdRow](ctx, l, "database creation", databaseCreatedQuery)
	var ge *guardedError
	if errors.As(err, &ge) {
		return nil, nil
	}
	return rows, err
}

type settingRow struct {
	Name    string `db:"name"`
	Value   string `db:"value"`
	Unit    string `db:"unit"`
	Context string `db:"context"`
}

func (r *reader) settingsPart() *part {
	return query("settings", anyLane, func(ctx context.Context, l *lane) ([]settingRow, error) {
		return guarded[settingRow](ctx, l, "settings", settingsQuery)
	}, r.applySettings)
}

func (r *reader) applySettings(rows []settingRow, err error) error {
	if err != nil {
		return r.skipErr(inspect.EvidenceSettings, "pg_settings", err, r.grant("GRANT SELECT ON pg_catalog.pg_settings"))
	}
	r.db.Settings = make(map[string]inspect.Setting, len(rows))
	for _, s := range rows {
		r.db.Settings[s.Name] = inspect.Setting{Name: s.Name, Value: s.Value, Unit: s.Unit, Context: s.Context}
	}
	if !r.facts.Superuser && !r.facts.ReadAllSettings {
		r.skip(EvidenceHiddenSettings,
			fmt.Sprintf("pg_settings hides the superuser-only settings (shared_preload_libraries, data_directory, ...) from role %s", r.facts.Role),
			r.grant("GRANT pg_read_all_settings"))
	}
	return nil
}

type countRow struct {
	N int64 `db:"n"`
}

func (r *reader) largeObjectsPart() *part {
	return query("large objects", anyLane, func(ctx context.Context, l *lane) ([]countRow, error) {
		return guarded[countRow](ctx, l, "large objects", largeObjectsQuery)
	}, r.applyLargeObjects)
}

func (r *reader) applyLargeObjects(rows []countRow, err error) error {
	if err != nil {
		return r.skipErr(inspect.EvidenceLargeObjects, "pg_largeobject_metadata", err,
			r.grant("GRANT SELECT ON pg_catalog.pg_largeobject_metadata"))
	}
	if len(rows) == 1 {
		r.db.LargeObjects = rows[0].N
	}
	return nil
}

func (r *reader) databasesPart() *part {
	return query("databases", anyLane, func(ctx context.Context, l *lane) ([]nameRow, error) {
		return guarded[nameRow](ctx, l, "databases", databasesQuery)
	}, r.applyDatabases)
}

func (r *reader) applyDatabases(rows []nameRow, err error) error {
	if err != nil {
		return r.skipErr(inspect.EvidenceDatabases, "pg_database", err, r.grant("GRANT SELECT ON pg_catalog.pg_database"))
	}
	for _, n := range rows {
		r.db.Databases = append(r.db.Databases, n.Name)
	}
	return nil
}

type publicationRow struct {
	Name      string `db:"name"`
	AllTables bool   `db:"all_tables"`
}

func (r *reader) publicationsPart() *part {
	return query("publications", anyLane, func(ctx context.Context, l *lane) ([]publicationRow, error) {
		return guarded[publicationRow](ctx, l, "publications", publicationsQuery)
	}, r.applyPublications)
}

func (r *reader) applyPublications(rows []publicationRow, err error) error {
	if err != nil {
		return r.skipErr(EvidencePublications, "pg_publication", err, r.grant("GRANT SELECT ON pg_catalog.pg_publication"))
	}
	for _, p := range rows {
		r.db.Publications = append(r.db.Publications, inspect.Publication{Name: p.Name, AllTables: p.AllTables})
	}
	return nil
}

type subscriptionRow struct {
	Name    string `db:"name"`
	Enabled bool   `db:"enabled"`
	Origin  string `db:"origin"`
}

func (r *reader) subscriptionsPart() *part {
	return query("subscriptions", anyLane, func(ctx context.Context, l *lane) ([]subscriptionRow, error) {
		return guarded[subscriptionRow](ctx, l, "subscriptions", subscriptionsQuery(r.version))
	}, r.applySubscriptions)
}

func (r *reader) applySubscriptions(rows []subscriptionRow, err error) error {
	if err != nil {
		return r.skipErr(inspect.EvidenceSubscription, "pg_subscription", err, r.grant("GRANT SELECT ON pg_catalog.pg_subscription"))
	}
	for _, s := range rows {
		r.db.Subscriptions = append(r.db.Subscriptions, inspect.Subscription{Name: s.Name, Enabled: s.Enabled, Origin: s.Origin})
	}
	return nil
}

type slotRow struct {
	Name      string `db:"name"`
	Type      string `db:"type"`
	Plugin    string `db:"plugin"`
	Database  string `db:"database"`
	Active    bool   `db:"active"`
	Temporary bool   `db:"temporary"`
	Retained  int64  `db:"retained"`
	WALStatus string `db:"wal_status"`
}

func (r *reader) slotsPart() *part {
	return query("replication slots", anyLane, func(ctx context.Context, l *lane) ([]slotRow, error) {
		return guarded[slotRow](ctx, l, "replication slots", slotsQuery(r.version))
	}, r.applySlots)
}

func (r *reader) applySlots(rows []slotRow, err error) error {
	if err != nil {
		return r.skipErr(inspect.EvidenceSlots, "pg_replication_slots", err, r.grant("GRANT SELECT ON pg_catalog.pg_replication_slots"))
	}
	for _, s := range rows {
		r.db.ReplicationSlots = append(r.db.ReplicationSlots, inspect.ReplicationSlot{Name: s.Name, Type: s.Type,
			Plugin: s.Plugin, Database: s.Database, Active: s.Active, Temporary: s.Temporary, RetainedBytes: s.Retained,
			WALStatus: s.WALStatus})
	}
	return nil
}

type statementRow struct {
	QueryID *int64  `db:"queryid"`
	Query   string  `db:"query"`
	Calls   int64   `db:"calls"`
	Rows    int64   `db:"rows"`
	TotalMs float64 `db:"total_ms"`
	Entries int64   `db:"entries"`
	Groups  int64   `db:"groups"`
}

type statementsInfoRow struct {
	Dealloc    int64      `db:"dealloc"`
	StatsReset *time.Time `db:"stats_reset"`
}

// hiddenQuery is the text pg_stat_statements shows for other roles'
// statements to a role without pg_read_all_stats.
const hiddenQuery = "<insufficient privilege>"

// workload is what the pg_stat_statements part reads.
type workload struct {
	stmts                                            []*inspect.Statement
	hiddenEntries, hiddenCalls, visibleCalls, groups int64
	info                                             []statementsInfoRow
	infoErr                                          error
	// analyzed is closed when the statements are analyzed.
	analyzed chan struct{}
}

func (r *reader) statementsPart() *part {
	var w workload
	return &part{name: "pg_stat_statements", where: anyLane,
		fetch: func(ctx context.Context, l *lane) error {
			w = workload{}
			return r.fetchStatements(ctx, l, &w)
		},
		apply: func(err error) error { return r.applyStatements(&w, err) },
	}
}

// fetchStatements reads pg_stat_statements and pg_stat_statements_info,
// and starts analyzing the statements, which goes on while the lanes run
// the other queries.
func (r *reader) fetchStatements(ctx context.Context, l *lane, w *workload) error {
	f := r.facts
	if f.PgssVersion == "" {
		return nil
	}
	limit := r.o.MaxStatements
	rows, err := guarded[statementRow](ctx, l, "pg_stat_statements", statementsQuery(f.PgssSchema, f.PgssVersion), limit+1)
	if err != nil {
		return err
	}
	w.stmts = make([]*inspect.Statement, 0, len(rows))
	for _, s := range rows {
		w.groups = s.Groups
		if s.QueryID == nil || s.Query == hiddenQuery {
			w.hiddenEntries += s.Entries
			w.hiddenCalls += s.Calls
			continue
		}
		w.visibleCalls += s.Calls
		if len(w.stmts) < limit {
			w.stmts = append(w.stmts, &inspect.Statement{Query: s.Query, QueryID: *s.QueryID, Calls: s.Calls, Rows: s.Rows, TotalMs: s.TotalMs})
		}
	}
	if w.hiddenEntries > 0 {
		w.groups--
		if len(w.stmts) == 0 {
			return nil
		}
	}
	if versionAtLeast(f.PgssVersion, 1, 9) {
		w.info, err = guarded[statementsInfoRow](ctx, l, "pg_stat_statements_info", statementsInfoQuery(f.PgssSchema))
		var ge *guardedError
		if err != nil && !errors.As(err, &ge) {
			return err
		}
		w.infoErr = err
	}
	w.analyzed = make(chan struct{})
	go func(stmts []*inspect.Statement, done chan struct{}) {
		defer close(done)
		stmt.Analyze(stmts)
	}(w.stmts, w.analyzed)
	return nil
}

func (r *reader) applyStatements(w *workload, err error) error {
	f := r.facts
	if f.PgssVersion == "" {
		r.skip(inspect.EvidenceStatements, fmt.Sprintf("pg_stat_statements is not installed in database %s", f.Name),
			fmt.Sprintf("CREATE EXTENSION pg_stat_statements in database %s (the server needs pg_stat_statements in shared_preload_libraries)", inspect.QuoteIdent(f.Name)))
		return nil
	}
	if err != nil {
		var ge *guardedError
		if errors.As(err, &ge) && ge.pe.Code == "55000" { // object_not_in_prerequisite_state: library not loaded
			r.skip(inspect.EvidenceStatements, "pg_stat_statements is installed but not loaded: "+ge.pe.Message,
				"add pg_stat_statements to shared_preload_libraries and restart the server")
			return nil
		}
		return r.skipErr(inspect.EvidenceStatements, "pg_stat_statements", err,
			r.grant(fmt.Sprintf("GRANT SELECT ON %s", inspect.QuoteQualified(f.PgssSchema, "pg_stat_statements"))))
	}
	if w.groups > int64(len(w.stmts)) {
		r.log.Info("pg_stat_statements entries left out", "read", len(w.stmts), "entries", w.groups, "max_statements", r.o.MaxStatements)
	}
	fix := r.grant("GRANT pg_read_all_stats")
	switch {
	case w.hiddenEntries > 0 && len(w.stmts) == 0:
		r.skip(inspect.EvidenceStatements,
			fmt.Sprintf("the %d pg_stat_statements entries of database %s belong to other roles, and role %s may not see their text",
				w.hiddenEntries, f.Name, f.Role), fix)
		return nil
	case w.hiddenEntries > 0:
		r.skip(EvidenceHiddenStatements,
			fmt.Sprintf("%d pg_stat_statements entries (%s of the calls) belong to other roles, and role %s may not see their text",
				w.hiddenEntries, percent(w.hiddenCalls, w.hiddenCalls+w.visibleCalls), f.Role), fix)
	}
	if w.analyzed != nil {
		<-w.analyzed
	}
	r.db.Statements = w.stmts
	r.db.Workload.StatementsSource = "pg_stat_statements"
	if w.infoErr != nil {
		if err := r.skipErr("pg_stat_statements_info", "pg_stat_statements_info", w.infoErr, fix); err != nil {
			return err
		}
	} else if len(w.info) == 1 {
		r.db.Workload.Dealloc = w.info[0].Dealloc
		if w.info[0].StatsReset != nil {
			r.db.Workload.StatsReset = w.info[0].StatsReset.UTC()
		}
	}
	// With track = all, pg_stat_statements has the statements functions
	// run already, with their own counts.
	if track, _ := r.db.Setting("pg_stat_statements.track"); track != "all" {
		stmt.ExpandCalls(r.db)
	}
	return nil
}

func percent(part, whole int64) string {
	if whole == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(whole))
}

// finishWorkload settles the workload facts that depend on several
// queries: the latest statistics reset of pg_stat_database and
// pg_stat_statements bounds how old the evidence can be.
func (r *reader) finishWorkload() {
	w := &r.db.Workload
	if f := r.facts.StatsReset; f != nil && f.After(w.StatsReset) {
		w.StatsReset = f.UTC()
	}
	if v, ok := r.db.Setting("pg_stat_statements.track_utility"); ok {
		w.TrackUtility = v == "on"
	}
}

func nonEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clip(s)
}
