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
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/sqlfile"
)

// Evidence names this reader adds to inspect's own (inspect.Evidence*).
const (
	// EvidenceHiddenStatements: some pg_stat_statements entries belong to
	// other roles and their text is hidden; the rest were read.
	EvidenceHiddenStatements = "pg_stat_statements_other_roles"
	// EvidenceHiddenSettings: settings only superusers and
	// pg_read_all_settings may see (shared_preload_libraries, ...).
	EvidenceHiddenSettings = "superuser_settings"
	// EvidenceViewDefinitions: the queries of views.
	EvidenceViewDefinitions = "view_definitions"
	// EvidenceFunctionBodies: SQL-standard (BEGIN ATOMIC) function bodies.
	EvidenceFunctionBodies = "function_bodies"
	// EvidencePublications: pg_publication.
	EvidencePublications = "publications"
)

// MinServerVersion is the oldest server_version_num the reader accepts.
const MinServerVersion = 130000

// reader holds the state of one read.
type reader struct {
	conn    *pgx.Conn
	o       Options
	log     *slog.Logger
	queries int

	version int
	facts   dbFacts
	db      *inspect.Database
	rels    map[uint32]*inspect.Table
	// relArg lists the oids of rels, the $1 of the queries of their parts.
	relArg string
	// attNames names the columns of each relation by number.
	attNames map[uint32][]string
	funcs    map[uint32]*inspect.Function
}

// dbFacts is the row of databaseQuery.
type dbFacts struct {
	Name            string     `db:"name"`
	Encoding        string     `db:"encoding"`
	Collate         string     `db:"collate"`
	Ctype           string     `db:"ctype"`
	LocaleProvider  string     `db:"locale_provider"`
	Role            string     `db:"role"`
	Superuser       bool       `db:"superuser"`
	ReadAllSettings bool       `db:"read_all_settings"`
	CollectedAt     time.Time  `db:"collected_at"`
	StatsReset      *time.Time `db:"stats_reset"`
	PgssVersion     string     `db:"pgss_version"`
	PgssSchema      string     `db:"pgss_schema"`
}

func (r *reader) count() {
	r.queries++
	queryCount.Add(1)
}

// exec runs a statement without result rows; sql carries the marker.
func (r *reader) exec(ctx context.Context, sql string) error {
	r.count()
	_, err := r.conn.Exec(ctx, sql)
	return err
}

// collect runs one query of the transaction and maps its rows by column name.
func collect[T any](ctx context.Context, r *reader, name, sql string, args ...any) ([]T, error) {
	start := time.Now()
	r.count()
	rows, err := r.conn.Query(ctx, mark(sql), append([]any{pgx.QueryExecModeExec}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	out, err := scanRows[T](rows)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	r.log.Debug("query", "name", name, "rows", len(out), "duration", time.Since(start))
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
func guarded[T any](ctx context.Context, r *reader, name, sql string, args ...any) ([]T, error) {
	if err := r.exec(ctx, savepointSQL); err != nil {
		return nil, fmt.Errorf("read %s: savepoint: %w", name, err)
	}
	out, err := collect[T](ctx, r, name, sql, args...)
	if err != nil {
		pe := pgError(err)
		if pe == nil || ctx.Err() != nil {
			return nil, err
		}
		if rerr := r.exec(ctx, undoSQL); rerr != nil {
			return nil, fmt.Errorf("read %s: %w (and rolling back: %w)", name, err, rerr)
		}
		r.log.Debug("optional query failed", "name", name, "sqlstate", pe.Code, "error", pe.Message)
		return nil, &guardedError{pe}
	}
	if err := r.exec(ctx, releaseSQL); err != nil {
		return nil, fmt.Errorf("read %s: release savepoint: %w", name, err)
	}
	return out, nil
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

func (r *reader) read(ctx context.Context) (*inspect.Database, error) {
	if s := r.conn.PgConn().TxStatus(); s != 'I' {
		return nil, fmt.Errorf("read database: the connection is inside a transaction (status %q); pglive runs its own", s)
	}
	if err := r.exec(ctx, beginQuery); err != nil {
		return nil, fmt.Errorf("begin read-only transaction: %w", err)
	}
	defer func() {
		_ = r.exec(context.WithoutCancel(ctx), rollbackQuery) // read only: nothing to keep
	}()
	r.db = &inspect.Database{LargeObjects: -1}

	r.count()
	err := r.conn.QueryRow(ctx, mark(setupQuery), pgx.QueryExecModeExec, millis(r.o.StatementTimeout), millis(r.o.LockTimeout), r.o.AppName).
		Scan(nil, nil, nil, nil, nil, nil, &r.version)
	if err != nil {
		return nil, fmt.Errorf("set up transaction: %w", err)
	}
	if r.version < MinServerVersion {
		return nil, fmt.Errorf("server version %d is not supported: aadvisor needs PostgreSQL %d or later", r.version, MinServerVersion/10000)
	}
	r.db.ServerVersion = r.version

	steps := []func(context.Context) error{
		r.readDatabase, r.readTables, r.readColumns, r.readIndexes, r.readConstraints, r.readTriggers,
		r.readRules, r.readSequences, r.readFunctions, r.readEventTriggers, r.readExtensions, r.readRoles,
		// Optional evidence: each may become a Skipped entry.
		r.readViewDefs, r.readFunctionBodies, r.readToast, r.readTableStats, r.readSettings, r.readLargeObjects,
		r.readDatabases, r.readPublications, r.readSubscriptions, r.readSlots, r.readStatements,
	}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, err
		}
	}
	r.finishWorkload()
	sqlfile.AnalyzeTriggerFunctions(r.db)
	return r.db, nil
}

func (r *reader) readDatabase(ctx context.Context) error {
	rows, err := collect[dbFacts](ctx, r, "database", databaseQuery(r.version))
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
	Policies       []string `db:"policies"`
}

func (r *reader) readTables(ctx context.Context) error {
	rows, err := collect[tableRow](ctx, r, "tables", tablesQuery)
	if err != nil {
		return err
	}
	r.rels = make(map[uint32]*inspect.Table, len(rows))
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
		r.db.Tables = append(r.db.Tables, tab)
	}
	r.relArg = oidArray(oids)
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

func (r *reader) readColumns(ctx context.Context) error {
	rows, err := collect[columnRow](ctx, r, "columns", columnsQuery, r.relArg)
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
		col := &inspect.Column{Name: c.Name, Type: c.Type, NotNull: c.NotNull, Identity: identities[c.Identity],
			Generated: generations[c.Generated], Storage: storages[c.Storage]}
		if col.Generated != "" {
			col.GeneratedExpr = c.Expr
		} else {
			col.Default = c.Expr
		}
		t.Columns = append(t.Columns, col)
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

func (r *reader) readIndexes(ctx context.Context) error {
	rows, err := collect[indexRow](ctx, r, "indexes", indexesQuery, r.relArg)
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

func (r *reader) readConstraints(ctx context.Context) error {
	rows, err := collect[constraintRow](ctx, r, "constraints", constraintsQuery, r.relArg)
	if err != nil {
		return err
	}
	// Referenced relations outside the read (an extension's table) are
	// named by one more query, when there are any.
	var outside []uint32
	seen := map[uint32]bool{}
	for _, c := range rows {
		if c.RefRelID != 0 && r.rels[c.RefRelID] == nil && !seen[c.RefRelID] {
			seen[c.RefRelID] = true
			outside = append(outside, c.RefRelID)
		}
	}
	refNames := map[uint32]string{}
	if len(outside) > 0 {
		refs, err := collect[referencedRow](ctx, r, "referenced relations", referencedQuery, oidArray(outside))
		if err != nil {
			return err
		}
		for _, ref := range refs {
			refNames[ref.RelID] = ref.Name
			names := r.attNames[ref.RelID]
			for len(names) <= int(ref.Num) {
				names = append(names, "")
			}
			names[ref.Num] = ref.AttName
			r.attNames[ref.RelID] = names
		}
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

func (r *reader) readTriggers(ctx context.Context) error {
	rows, err := collect[triggerRow](ctx, r, "triggers", triggersQuery, r.relArg)
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

func (r *reader) readRules(ctx context.Context) error {
	rows, err := collect[ruleRow](ctx, r, "rules", rulesQuery, r.relArg)
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
	OwnedBy     string `db:"owned_by"`
}

func (r *reader) readSequences(ctx context.Context) error {
	rows, err := collect[sequenceRow](ctx, r, "sequences", sequencesQuery)
	if err != nil {
		return err
	}
	for _, s := range rows {
		r.db.Sequences = append(r.db.Sequences, &inspect.Sequence{Schema: s.Schema, Name: s.Name, Type: s.Type,
			Start: s.Start, Increment: s.Increment, Min: s.Min, Max: s.Max, Cache: s.Cache, Cycle: s.Cycle,
			Persistence: persistences[s.Persistence], OwnedBy: s.OwnedBy})
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

func (r *reader) readFunctions(ctx context.Context) error {
	rows, err := collect[functionRow](ctx, r, "functions", functionsQuery)
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

func (r *reader) readEventTriggers(ctx context.Context) error {
	rows, err := collect[eventTriggerRow](ctx, r, "event triggers", eventTriggersQuery)
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

func (r *reader) readExtensions(ctx context.Context) error {
	rows, err := collect[extensionRow](ctx, r, "extensions", extensionsQuery)
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

func (r *reader) readRoles(ctx context.Context) error {
	rows, err := collect[roleRow](ctx, r, "roles", rolesQuery)
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

func (r *reader) readViewDefs(ctx context.Context) error {
	rows, err := guarded[viewDefRow](ctx, r, "view definitions", viewDefsQuery, r.relArg)
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

func (r *reader) readFunctionBodies(ctx context.Context) error {
	if r.version < 140000 {
		return nil // no SQL-standard bodies before 14
	}
	rows, err := guarded[bodyRow](ctx, r, "function bodies", functionBodiesQuery)
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

func (r *reader) readToast(ctx context.Context) error {
	rows, err := guarded[toastRow](ctx, r, "TOAST sizes", toastQuery, r.relArg)
	if err != nil {
		return r.skipErr(inspect.EvidenceToast, "TOAST sizes", err, r.grant("GRANT EXECUTE ON FUNCTION pg_catalog.pg_relation_size(regclass)"))
	}
	for _, s := range rows {
		if t := r.rels[s.RelID]; t != nil {
			t.ToastBytes = s.Bytes
		}
	}
	return nil
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
	Tuples  int64  `db:"reltuples"`
}

func (r *reader) readTableStats(ctx context.Context) error {
	rows, err := guarded[statsRow](ctx, r, "table statistics", tableStatsQuery)
	if err != nil {
		return r.skipErr(inspect.EvidenceTableStats, "pg_stat_user_tables", err, r.grant("GRANT SELECT ON pg_catalog.pg_stat_user_tables"))
	}
	for _, s := range rows {
		if t := r.rels[s.RelID]; t != nil {
			t.Stats = &inspect.TableStats{SeqScan: s.SeqScan, IdxScan: s.IdxScan, Inserts: s.Ins, Updates: s.Upd,
				Deletes: s.Del, HotUpdate: s.HotUpd, LiveTup: s.Live, DeadTup: s.Dead, RelTuples: s.Tuples}
		}
	}
	r.db.Workload.TableStats = true
	return r.readStatsWindow(ctx)
}

type createdRow struct {
	Created time.Time `db:"created"`
}

// readStatsWindow settles since when the table counters can have been
// counting: the statistics reset of pg_stat_database, or, when they were
// never reset, the creation of the database (pg_stat_file needs a
// superuser or a grant; without it the window stays unknown, which the
// rules that need it say).
func (r *reader) readStatsWindow(ctx context.Context) error {
	if f := r.facts.StatsReset; f != nil {
		r.db.Workload.TableStatsSince = f.UTC()
		return nil
	}
	rows, err := guarded[createdRow](ctx, r, "database creation", databaseCreatedQuery)
	var ge *guardedError
	if errors.As(err, &ge) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(rows) == 1 {
		r.db.Workload.TableStatsSince = rows[0].Created.UTC()
	}
	return nil
}

type settingRow struct {
	Name    string `db:"name"`
	Value   string `db:"value"`
	Unit    string `db:"unit"`
	Context string `db:"context"`
}

func (r *reader) readSettings(ctx context.Context) error {
	rows, err := guarded[settingRow](ctx, r, "settings", settingsQuery)
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

func (r *reader) readLargeObjects(ctx context.Context) error {
	rows, err := guarded[countRow](ctx, r, "large objects", largeObjectsQuery)
	if err != nil {
		return r.skipErr(inspect.EvidenceLargeObjects, "pg_largeobject_metadata", err,
			r.grant("GRANT SELECT ON pg_catalog.pg_largeobject_metadata"))
	}
	if len(rows) == 1 {
		r.db.LargeObjects = rows[0].N
	}
	return nil
}

func (r *reader) readDatabases(ctx context.Context) error {
	rows, err := guarded[nameRow](ctx, r, "databases", databasesQuery)
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

func (r *reader) readPublications(ctx context.Context) error {
	rows, err := guarded[publicationRow](ctx, r, "publications", publicationsQuery)
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

func (r *reader) readSubscriptions(ctx context.Context) error {
	rows, err := guarded[subscriptionRow](ctx, r, "subscriptions", subscriptionsQuery(r.version))
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

func (r *reader) readSlots(ctx context.Context) error {
	rows, err := guarded[slotRow](ctx, r, "replication slots", slotsQuery(r.version))
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

func (r *reader) readStatements(ctx context.Context) error {
	f := r.facts
	if f.PgssVersion == "" {
		r.skip(inspect.EvidenceStatements, fmt.Sprintf("pg_stat_statements is not installed in database %s", f.Name),
			fmt.Sprintf("CREATE EXTENSION pg_stat_statements in database %s (the server needs pg_stat_statements in shared_preload_libraries)", inspect.QuoteIdent(f.Name)))
		return nil
	}
	limit := r.o.MaxStatements
	rows, err := guarded[statementRow](ctx, r, "pg_stat_statements", statementsQuery(f.PgssSchema, f.PgssVersion), limit+1)
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
	var hiddenEntries, hiddenCalls, visibleCalls, groups int64
	stmts := make([]*inspect.Statement, 0, len(rows))
	for _, s := range rows {
		groups = s.Groups
		if s.QueryID == nil || s.Query == hiddenQuery {
			hiddenEntries += s.Entries
			hiddenCalls += s.Calls
			continue
		}
		visibleCalls += s.Calls
		if len(stmts) < limit {
			stmts = append(stmts, &inspect.Statement{Query: s.Query, QueryID: *s.QueryID, Calls: s.Calls, Rows: s.Rows, TotalMs: s.TotalMs})
		}
	}
	if hiddenEntries > 0 {
		groups--
	}
	if groups > int64(len(stmts)) {
		r.log.Info("pg_stat_statements entries left out", "read", len(stmts), "entries", groups, "max_statements", limit)
	}
	fix := r.grant("GRANT pg_read_all_stats")
	switch {
	case hiddenEntries > 0 && len(stmts) == 0:
		r.skip(inspect.EvidenceStatements,
			fmt.Sprintf("the %d pg_stat_statements entries of database %s belong to other roles, and role %s may not see their text",
				hiddenEntries, f.Name, f.Role), fix)
		return nil
	case hiddenEntries > 0:
		r.skip(EvidenceHiddenStatements,
			fmt.Sprintf("%d pg_stat_statements entries (%s of the calls) belong to other roles, and role %s may not see their text",
				hiddenEntries, percent(hiddenCalls, hiddenCalls+visibleCalls), f.Role), fix)
	}
	r.db.Statements = stmts
	r.db.Workload.StatementsSource = "pg_stat_statements"
	if versionAtLeast(f.PgssVersion, 1, 9) {
		info, err := guarded[statementsInfoRow](ctx, r, "pg_stat_statements_info", statementsInfoQuery(f.PgssSchema))
		if err != nil {
			if err := r.skipErr("pg_stat_statements_info", "pg_stat_statements_info", err, fix); err != nil {
				return err
			}
		} else if len(info) == 1 {
			r.db.Workload.Dealloc = info[0].Dealloc
			if info[0].StatsReset != nil {
				r.db.Workload.StatsReset = info[0].StatsReset.UTC()
			}
		}
	}
	sqlfile.Analyze(r.db.Statements)
	// With track = all, pg_stat_statements has the statements functions
	// run already, with their own counts.
	if track, _ := r.db.Setting("pg_stat_statements.track"); track != "all" {
		sqlfile.ExpandCalls(r.db)
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
