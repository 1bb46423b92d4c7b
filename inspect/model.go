// Package inspect holds the model of one PostgreSQL database that every
// reader fills and every rule reads: tables, columns, keys, sequences,
// triggers, settings and the workload seen in statistics.
//
// The model is plain data with no behaviour beyond look-ups, and the few
// helpers every package shares to speak of it (quoting identifiers and
// literals, byte sizes, suggestions, the system schemas). Readers live in
// sub-packages: pglive (a running server), sqlfile (pg_dump --schema-only
// output and query files) and stream (the logical change stream); stmt is
// the statement analyser the first two share.
//
// It imports the standard library only: nothing of the module, no driver,
// no parser.
package inspect

import (
	"fmt"
	"time"
)

// Database is everything aadvisor knows about one database.
type Database struct {
	// Source says where the model came from.
	Source SourceInfo `json:"source"`
	// Name is the database name (live) or empty (offline).
	Name string `json:"name,omitempty"`
	// ServerVersion is server_version_num (e.g. 150018), or 0 when unknown.
	ServerVersion int `json:"server_version,omitempty"`
	// Encoding, Collate, Ctype and LocaleProvider describe the database
	// (pg_database); empty when unknown.
	Encoding       string `json:"encoding,omitempty"`
	Collate        string `json:"collate,omitempty"`
	Ctype          string `json:"ctype,omitempty"`
	LocaleProvider string `json:"locale_provider,omitempty"`

	Tables        []*Table        `json:"tables,omitempty"`
	Sequences     []*Sequence     `json:"sequences,omitempty"`
	Functions     []*Function     `json:"functions,omitempty"`
	EventTriggers []*EventTrigger `json:"event_triggers,omitempty"`
	Extensions    []Extension     `json:"extensions,omitempty"`

	// LargeObjects is the number of rows in pg_largeobject_metadata; -1 when
	// unknown (offline input without lo_* statements).
	LargeObjects int64 `json:"large_objects"`
	// Roles are the roles that own objects in this database.
	Roles []string `json:"roles,omitempty"`
	// BypassRLS are the roles of Roles that row-level security does not
	// bind (superusers and BYPASSRLS roles); known live only.
	BypassRLS []string `json:"bypass_rls,omitempty"`
	// Settings holds server settings by name (pg_settings), when known.
	Settings map[string]Setting `json:"settings,omitempty"`
	// Databases lists the other non-template databases of the instance.
	Databases []string `json:"databases,omitempty"`

	Publications     []Publication     `json:"publications,omitempty"`
	Subscriptions    []Subscription    `json:"subscriptions,omitempty"`
	ReplicationSlots []ReplicationSlot `json:"replication_slots,omitempty"`

	// Statements is the workload: pg_stat_statements entries, or the
	// statements of a query file.
	Statements []*Statement `json:"statements,omitempty"`
	// Workload describes how complete the workload evidence is.
	Workload WorkloadInfo `json:"workload"`

	// Skipped lists evidence the reader could not collect, with the reason
	// and the fix. Rules that depend on it report a skip, never a pass.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Errors lists input problems that did not stop the reader (a parse
	// error in one statement of a file, say); each names its place.
	Errors []InputError `json:"errors,omitempty"`
}

// SourceKind tells a live database from offline files.
type SourceKind string

const (
	SourceLive SourceKind = "live"
	SourceSQL  SourceKind = "sql"
)

// SourceInfo describes the origin of a model. Name never holds a password.
type SourceInfo struct {
	Kind  SourceKind `json:"kind"`
	Name  string     `json:"name"`            // host:port/db, or the file names
	Files []string   `json:"files,omitempty"` // offline input files
}

// Position is a place in an input file; zero for live objects.
type Position struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

// IsZero reports whether p names no place.
func (p Position) IsZero() bool { return p.File == "" && p.Line == 0 }

// Relation kinds, as pg_class.relkind.
type RelKind string

const (
	RelTable       RelKind = "table"             // r
	RelPartitioned RelKind = "partitioned table" // p
	RelForeign     RelKind = "foreign table"     // f
	RelView        RelKind = "view"              // v
	RelMatView     RelKind = "materialized view" // m
)

// Persistence of a relation or sequence, as pg_class.relpersistence.
type Persistence string

const (
	Permanent Persistence = "permanent" // p
	Unlogged  Persistence = "unlogged"  // u
	Temporary Persistence = "temporary" // t
)

// ReplicaIdentity, as pg_class.relreplident.
type ReplicaIdentity string

const (
	IdentityDefault ReplicaIdentity = "default" // d: the primary key, if any
	IdentityNothing ReplicaIdentity = "nothing" // n
	IdentityFull    ReplicaIdentity = "full"    // f
	IdentityIndex   ReplicaIdentity = "index"   // i
)

// Table is any relation with columns: tables, partitioned tables, foreign
// tables, views and materialized views (see Kind).
type Table struct {
	Schema          string          `json:"schema"`
	Name            string          `json:"name"`
	Kind            RelKind         `json:"kind"`
	Persistence     Persistence     `json:"persistence"`
	ReplicaIdentity ReplicaIdentity `json:"replica_identity"`
	// ReplicaIdentityIndex names the index of REPLICA IDENTITY USING INDEX.
	ReplicaIdentityIndex string `json:"replica_identity_index,omitempty"`
	Owner                string `json:"owner,omitempty"`
	// PartitionOf is the schema-qualified parent when this is a partition.
	PartitionOf string `json:"partition_of,omitempty"`
	// PartitionKey is the PARTITION BY clause of a partitioned table.
	PartitionKey string `json:"partition_key,omitempty"`
	// Inherits lists schema-qualified parents of legacy inheritance.
	Inherits []string `json:"inherits,omitempty"`
	// Options are reloptions, "name=value".
	Options []string `json:"options,omitempty"`
	// Definition is the query of a view or materialized view.
	Definition string `json:"definition,omitempty"`
	// RowSecurity is ENABLE ROW LEVEL SECURITY (pg_class.relrowsecurity):
	// the table's policies bind every role but its owner, superusers and
	// BYPASSRLS roles. ForceRowSecurity (relforcerowsecurity) binds the
	// owner too.
	RowSecurity      bool `json:"row_security,omitempty"`
	ForceRowSecurity bool `json:"force_row_security,omitempty"`
	// Policies names the table's row-security policies (pg_policy).
	Policies []string `json:"policies,omitempty"`

	Columns     []*Column     `json:"columns,omitempty"`
	Indexes     []*Index      `json:"indexes,omitempty"`
	Constraints []*Constraint `json:"constraints,omitempty"`
	Triggers    []*Trigger    `json:"triggers,omitempty"`
	Rules       []*Rule       `json:"rules,omitempty"`

	// Stats are the pg_stat_user_tables counters; nil when unknown.
	Stats *TableStats `json:"stats,omitempty"`
	// ToastBytes is the size of the TOAST relation; -1 when unknown.
	ToastBytes int64 `json:"toast_bytes"`

	Pos Position `json:"pos"`
}

// Column of a relation.
type Column struct {
	Name    string `json:"name"`
	Type    string `json:"type"` // format_type() spelling: "bigint", "character varying(20)"
	NotNull bool   `json:"not_null,omitempty"`
	// Default is the default expression as pg_get_expr would print it.
	Default string `json:"default,omitempty"`
	// DefaultFacts is what the parsed default calls (stmt.AnalyzeExpressions);
	// nil when it was not analysed or does not parse.
	DefaultFacts *ExprFacts `json:"default_facts,omitempty"`
	// Identity is "always", "by default" or "".
	Identity string `json:"identity,omitempty"`
	// Generated is "stored", "virtual" or "".
	Generated string `json:"generated,omitempty"`
	// GeneratedExpr is the generation expression.
	GeneratedExpr string `json:"generated_expr,omitempty"`
	// Storage is "plain", "main", "external", "extended", or "" for the
	// type's default.
	Storage string   `json:"storage,omitempty"`
	Pos     Position `json:"pos"`
}

// Index on a relation. Constraint-backed indexes (PK, UNIQUE, EXCLUDE)
// appear here too, with Constraint naming the constraint.
type Index struct {
	Name string `json:"name"`
	// Columns are the key columns; an expression key appears as its text.
	Columns    []string `json:"columns"`
	Unique     bool     `json:"unique,omitempty"`
	Primary    bool     `json:"primary,omitempty"`
	Predicate  string   `json:"predicate,omitempty"` // WHERE of a partial index
	Expression bool     `json:"expression,omitempty"`
	Deferrable bool     `json:"deferrable,omitempty"`
	Valid      bool     `json:"valid"`
	Method     string   `json:"method,omitempty"` // btree, hash, gist...
	// ReplicaIdentity marks the index chosen by REPLICA IDENTITY USING INDEX.
	ReplicaIdentity bool     `json:"replica_identity,omitempty"`
	Constraint      string   `json:"constraint,omitempty"`
	Pos             Position `json:"pos"`
}

// ConstraintType, as pg_constraint.contype.
type ConstraintType string

const (
	PrimaryKey ConstraintType = "primary key"
	Unique     ConstraintType = "unique"
	ForeignKey ConstraintType = "foreign key"
	Check      ConstraintType = "check"
	Exclusion  ConstraintType = "exclusion"
)

// FKAction, as pg_constraint.confdeltype/confupdtype.
type FKAction string

const (
	FKNoAction   FKAction = "no action"
	FKRestrict   FKAction = "restrict"
	FKCascade    FKAction = "cascade"
	FKSetNull    FKAction = "set null"
	FKSetDefault FKAction = "set default"
)

// Constraint on a table.
type Constraint struct {
	Name              string         `json:"name"`
	Type              ConstraintType `json:"type"`
	Columns           []string       `json:"columns,omitempty"`
	Deferrable        bool           `json:"deferrable,omitempty"`
	InitiallyDeferred bool           `json:"initially_deferred,omitempty"`
	// Expression is the CHECK expression or the EXCLUDE clause.
	Expression string `json:"expression,omitempty"`
	// ExprFacts is what the parsed CHECK expression calls
	// (stmt.AnalyzeExpressions); nil when it was not analysed or does not
	// parse.
	ExprFacts *ExprFacts `json:"expr_facts,omitempty"`
	// RefTable is the schema-qualified referenced table of a foreign key.
	RefTable   string   `json:"ref_table,omitempty"`
	RefColumns []string `json:"ref_columns,omitempty"`
	OnDelete   FKAction `json:"on_delete,omitempty"`
	OnUpdate   FKAction `json:"on_update,omitempty"`
	Pos        Position `json:"pos"`
}

// ExprFacts are what an expression (a default, a CHECK) runs, from its
// parse tree rather than its text: a string literal holding "now()" calls
// nothing.
type ExprFacts struct {
	// Calls are the functions called, lower case, without schema, in
	// the order they appear, each once.
	Calls []string `json:"calls,omitempty"`
	// Words are the SQL value functions written as key words, lower case
	// (current_timestamp, localtime, current_user, ...), each once.
	Words []string `json:"words,omitempty"`
	// NextvalSequence is the sequence named by the first nextval() call,
	// as written in its string argument ('s.seq'::regclass gives s.seq).
	NextvalSequence string `json:"nextval_sequence,omitempty"`
}

// Sequence, from pg_sequence or CREATE SEQUENCE / serial / identity.
type Sequence struct {
	Schema      string      `json:"schema"`
	Name        string      `json:"name"`
	Type        string      `json:"type"` // bigint, integer, smallint
	Start       int64       `json:"start"`
	Increment   int64       `json:"increment"`
	Min         int64       `json:"min"`
	Max         int64       `json:"max"`
	Cache       int64       `json:"cache"`
	Cycle       bool        `json:"cycle,omitempty"`
	Persistence Persistence `json:"persistence"`
	// OwnedBy is "schema.table.column" for OWNED BY, serial and identity.
	OwnedBy string   `json:"owned_by,omitempty"`
	Pos     Position `json:"pos"`
}

// Trigger firing modes, as pg_trigger.tgenabled.
const (
	TriggerOrigin   = "origin"   // O: fires on local writes only
	TriggerReplica  = "replica"  // R: fires on apply only
	TriggerAlways   = "always"   // A: fires on both
	TriggerDisabled = "disabled" // D
)

// Trigger on a table.
type Trigger struct {
	Name     string   `json:"name"`
	Enabled  string   `json:"enabled"` // one of the Trigger* modes
	Timing   string   `json:"timing"`  // before, after, instead of
	Level    string   `json:"level"`   // row, statement
	Events   []string `json:"events"`  // insert, update, delete, truncate
	Function string   `json:"function"`
	// Constraint is true for CREATE CONSTRAINT TRIGGER.
	Constraint bool     `json:"constraint,omitempty"`
	Pos        Position `json:"pos"`
}

// Rule is a rewrite rule other than a view's _RETURN rule.
type Rule struct {
	Name    string   `json:"name"`
	Event   string   `json:"event"` // select, insert, update, delete
	Instead bool     `json:"instead,omitempty"`
	Pos     Position `json:"pos"`
}

// Function is a user function or procedure.
type Function struct {
	Schema     string `json:"schema"`
	Name       string `json:"name"`
	Args       string `json:"args,omitempty"`
	Language   string `json:"language,omitempty"`
	Volatility string `json:"volatility,omitempty"` // immutable, stable, volatile
	// Config holds SET clauses, "name=value" (search_path=...).
	Config []string `json:"config,omitempty"`
	// Body is the source text when known (plpgsql/sql).
	Body string `json:"-"`
	// Effects is what the body does beyond computing a result, for the
	// functions triggers run (stmt.AnalyzeTriggerFunctions); nil when
	// not analysed or the body is not known.
	Effects *FunctionEffects `json:"effects,omitempty"`
	Pos     Position         `json:"pos"`
}

// FunctionEffects are the side effects a function body has, from the
// parse trees of its statements: what a trigger does outside its row.
type FunctionEffects struct {
	// Writes are the tables the body inserts into, updates, deletes from,
	// merges into or truncates, as written.
	Writes []TableRef `json:"writes,omitempty"`
	// Notify: NOTIFY or pg_notify().
	Notify bool `json:"notify,omitempty"`
	// Calls are the functions the body calls, lower case, without schema.
	Calls []string `json:"calls,omitempty"`
	// Dynamic: the body runs SQL built at run time (PL/pgSQL EXECUTE),
	// which is not followed.
	Dynamic bool `json:"dynamic,omitempty"`
	// Unparsed: part of the body could not be analysed (a language other
	// than SQL and PL/pgSQL, or a body that does not parse).
	Unparsed bool `json:"unparsed,omitempty"`
}

// EventTrigger, from pg_event_trigger or CREATE EVENT TRIGGER.
type EventTrigger struct {
	Name     string   `json:"name"`
	Event    string   `json:"event"`
	Enabled  string   `json:"enabled"`
	Function string   `json:"function"`
	Pos      Position `json:"pos"`
}

// Extension installed in the database.
type Extension struct {
	Name    string   `json:"name"`
	Version string   `json:"version,omitempty"`
	Schema  string   `json:"schema,omitempty"`
	Pos     Position `json:"pos"`
}

// Setting is one server setting.
type Setting struct {
	Name    string `json:"name"`
	Value   string `json:"value"`
	Unit    string `json:"unit,omitempty"`
	Context string `json:"context,omitempty"` // postmaster, sighup, ...
}

// Publication, from pg_publication.
type Publication struct {
	Name      string `json:"name"`
	AllTables bool   `json:"all_tables,omitempty"`
}

// Subscription, from pg_subscription.
type Subscription struct {
	Name    string `json:"name"`
	Enabled bool   `json:"enabled"`
	Origin  string `json:"origin,omitempty"` // any, none (16+)
}

// ReplicationSlot, from pg_replication_slots.
type ReplicationSlot struct {
	Name      string `json:"name"`
	Type      string `json:"type"` // physical, logical
	Plugin    string `json:"plugin,omitempty"`
	Database  string `json:"database,omitempty"`
	Active    bool   `json:"active"`
	Temporary bool   `json:"temporary,omitempty"`
	// RetainedBytes is the WAL held back by the slot; -1 when unknown.
	RetainedBytes int64  `json:"retained_bytes"`
	WALStatus     string `json:"wal_status,omitempty"`
}

// TableStats are the cumulative counters of pg_stat_user_tables.
type TableStats struct {
	SeqScan   int64 `json:"seq_scan"`
	IdxScan   int64 `json:"idx_scan"`
	Inserts   int64 `json:"n_tup_ins"`
	Updates   int64 `json:"n_tup_upd"`
	Deletes   int64 `json:"n_tup_del"`
	HotUpdate int64 `json:"n_tup_hot_upd"`
	LiveTup   int64 `json:"n_live_tup"`
	DeadTup   int64 `json:"n_dead_tup"`
	// RelTuples is pg_class.reltuples, the row estimate of the last VACUUM
	// or ANALYZE (0 or -1 before the first). Unlike n_live_tup it survives
	// a statistics reset (pg_stat_reset sets n_live_tup to 0).
	RelTuples int64 `json:"reltuples,omitempty"`
}

// Rows is how many rows the table holds as far as the statistics tell: the
// larger of n_live_tup and pg_class.reltuples, so that a statistics reset
// (which zeroes n_live_tup) does not make a big table look empty.
func (s *TableStats) Rows() int64 { return max(s.LiveTup, s.RelTuples) }

// WorkloadInfo says how complete the workload evidence is.
type WorkloadInfo struct {
	// StatementsSource is "pg_stat_statements", "file", or "" when there is
	// no statement evidence at all.
	StatementsSource string `json:"statements_source,omitempty"`
	// StatsReset is when the statistics were last reset (pg_stat_database
	// or pg_stat_statements_info); zero when unknown.
	StatsReset time.Time `json:"stats_reset,omitzero"`
	// CollectedAt is when the live reader read the statistics.
	CollectedAt time.Time `json:"collected_at,omitzero"`
	// Dealloc is pg_stat_statements_info.dealloc: entries evicted.
	Dealloc int64 `json:"dealloc,omitempty"`
	// TrackUtility reports pg_stat_statements.track_utility (DDL seen).
	TrackUtility bool `json:"track_utility,omitempty"`
	// TableStats is true when Table.Stats were read.
	TableStats bool `json:"table_stats,omitempty"`
	// TableStatsSince is the earliest the table counters (Table.Stats)
	// can have started counting: pg_stat_database.stats_reset, or when
	// the database was created if its statistics were never reset; zero
	// when unknown. CollectedAt minus it bounds the counters' window from
	// above.
	TableStatsSince time.Time `json:"table_stats_since,omitzero"`
}

// Statement is one workload statement with the facts the parser found.
type Statement struct {
	Query   string  `json:"query"`
	QueryID int64   `json:"queryid,omitempty"`
	Calls   int64   `json:"calls"`
	Rows    int64   `json:"rows"`
	TotalMs float64 `json:"total_ms,omitempty"`
	// Facts are filled by stmt.Analyze; nil when the text did not parse
	// (see ParseError).
	Facts      *StatementFacts `json:"facts,omitempty"`
	ParseError string          `json:"parse_error,omitempty"`
	Pos        Position        `json:"pos"`
	// Via names the function ("schema.name") the statement runs in, for
	// statements found in the bodies of functions the workload calls
	// (stmt.ExpandCalls); Calls are then the function's calls.
	Via string `json:"via,omitempty"`
}

// Statement kinds.
const (
	StmtSelect      = "select"
	StmtInsert      = "insert"
	StmtUpdate      = "update"
	StmtDelete      = "delete"
	StmtMerge       = "merge"
	StmtTruncate    = "truncate"
	StmtDDL         = "ddl"
	StmtLock        = "lock"
	StmtListen      = "listen"
	StmtNotify      = "notify"
	StmtTransaction = "transaction"
	StmtSet         = "set"
	StmtCopy        = "copy"
	StmtCall        = "call"
	StmtOther       = "other"
)

// StatementFacts are what the parse tree says about one statement. Table
// names are as written (schema may be empty); resolve them with
// Database.FindTable.
type StatementFacts struct {
	Kind string `json:"kind"`
	// DDLKind is the statement tag of a DDL statement ("ALTER TABLE").
	DDLKind string `json:"ddl_kind,omitempty"`
	// Writes lists every table the statement writes, CTEs included.
	Writes []TableWrite `json:"writes,omitempty"`
	// Reads lists tables read (FROM, JOIN, sub-selects).
	Reads []TableRef `json:"reads,omitempty"`
	// Aliased lists the tables the statement names through an alias
	// (FROM orders o), written or read. From PostgreSQL 18,
	// pg_stat_statements tells statements apart by the names they give
	// their tables (the alias, else the table's name without its schema),
	// not by the tables.
	Aliased []TableRef `json:"aliased,omitempty"`
	// Selected are the columns the top-level SELECT list reads, without
	// their table ("*" for SELECT *): what the statement hands back.
	Selected []string `json:"selected,omitempty"`
	// RowLock is the strongest locking clause: "for update",
	// "for no key update", "for share", "for key share", or "".
	RowLock string `json:"row_lock,omitempty"`
	// LockTables are the tables of LOCK TABLE.
	LockTables []TableRef `json:"lock_tables,omitempty"`
	// LockMode is the mode of LOCK TABLE.
	LockMode string `json:"lock_mode,omitempty"`
	// AdvisoryLocks lists pg_advisory* functions called.
	AdvisoryLocks []string `json:"advisory_locks,omitempty"`
	// Listen / Notify: LISTEN, NOTIFY or pg_notify().
	Listen bool `json:"listen,omitempty"`
	Notify bool `json:"notify,omitempty"`
	// Serializable: SET/BEGIN/START ... ISOLATION LEVEL SERIALIZABLE, or
	// default_transaction_isolation set to serializable.
	Serializable bool `json:"serializable,omitempty"`
	// Setval lists sequences passed to setval() (as written; may be "").
	Setval []string `json:"setval,omitempty"`
	// Nextval lists sequences passed to nextval().
	Nextval []string `json:"nextval,omitempty"`
	// MaxPlusOne lists max(col)+1 style key generation: "table.column".
	MaxPlusOne []string `json:"max_plus_one,omitempty"`
	// LargeObjects is true when lo_* large-object functions are called.
	LargeObjects bool `json:"large_objects,omitempty"`
	// Functions are the names of all functions called, lower case.
	Functions []string `json:"functions,omitempty"`
	// Internal marks PostgreSQL's own foreign-key checks (ri_triggers.c:
	// SELECT 1 FROM [ONLY] t x WHERE ... OPERATOR(pg_catalog.=) ... FOR KEY
	// SHARE OF x), which pg_stat_statements records with track = all.
	// They are not the application's workload.
	Internal bool `json:"internal,omitempty"`
}

// TableRef names a table as written in a statement.
type TableRef struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
}

// TableWrite is one write to one table.
type TableWrite struct {
	Table TableRef `json:"table"`
	Op    string   `json:"op"` // insert, update, delete, merge, truncate
	// SetColumns are the columns assigned by UPDATE (or ON CONFLICT DO
	// UPDATE, or MERGE ... UPDATE).
	SetColumns []string `json:"set_columns,omitempty"`
	// Increments are columns assigned from themselves: x = x + 1,
	// x = x - $1, x = coalesce(x, 0) + 1.
	Increments []string `json:"increments,omitempty"`
	// OnConflict is set for INSERT ... ON CONFLICT.
	OnConflict *OnConflict `json:"on_conflict,omitempty"`
	// Columns are the target columns an INSERT names, as written; empty
	// when it names none (then it fills the table's columns in order).
	Columns []string `json:"columns,omitempty"`
	// Returning are the columns the statement's RETURNING clause reads
	// ("*" for RETURNING *).
	Returning []string `json:"returning,omitempty"`
	// Cascade / RestartIdentity for TRUNCATE.
	Cascade         bool `json:"cascade,omitempty"`
	RestartIdentity bool `json:"restart_identity,omitempty"`
}

// OnConflict describes INSERT ... ON CONFLICT.
type OnConflict struct {
	Columns    []string `json:"columns,omitempty"`    // (a, b)
	Constraint string   `json:"constraint,omitempty"` // ON CONSTRAINT name
	Action     string   `json:"action"`               // nothing, update
}

// Skipped is evidence a reader could not collect.
type Skipped struct {
	// Evidence names what is missing ("pg_stat_statements",
	// "pg_stat_user_tables", "settings", "large_objects").
	Evidence string `json:"evidence"`
	Reason   string `json:"reason"`
	// Fix says how to make it available (a GRANT, an extension).
	Fix string `json:"fix,omitempty"`
}

// InputError is a problem with one part of the input that the reader
// stepped over.
type InputError struct {
	Pos     Position `json:"pos"`
	Message string   `json:"message"`
	// Skipped is the input that was not read because of the error (the
	// statement, up to where reading resumed); nil when nothing was lost
	// or the error concerns a whole file.
	Skipped *LineRange `json:"skipped,omitempty"`
}

// LineRange is a range of lines of one file, both ends included.
type LineRange struct {
	From int `json:"from"`
	To   int `json:"to"`
}

// Lines is the number of lines in r.
func (r LineRange) Lines() int { return r.To - r.From + 1 }

func (r LineRange) String() string {
	if r.From == r.To {
		return fmt.Sprintf("line %d", r.From)
	}
	return fmt.Sprintf("lines %d-%d", r.From, r.To)
}

func (e InputError) Error() string {
	if e.Pos.IsZero() {
		return e.Message
	}
	return e.Pos.String() + ": " + e.Message
}
