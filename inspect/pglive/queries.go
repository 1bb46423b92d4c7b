package pglive

import (
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
)

// The catalog queries. Each reads one kind of object for the whole
// database; none runs per table. Every name is pg_catalog-qualified so a
// hostile search_path cannot redirect them. Version-specific SQL is built
// by the functions at the end from server_version_num.

// marker follows the first word of every statement pglive sends. It names
// aadvisor in pg_stat_activity and server logs, and lets statementsQuery
// leave aadvisor's own queries out of the workload. It is not at the very
// start because pg_stat_statements drops leading comments from 18 on.
const marker = inspect.OwnStatementMarker + "pglive */"

// mark puts the marker after the first word of sql.
func mark(sql string) string {
	word, rest, _ := strings.Cut(sql, " ")
	return word + " " + marker + " " + rest
}

// Transaction control; the marker sits after the first word of each.
const (
	// beginQuery opens the one transaction of a read: a consistent snapshot, no writes.
	beginQuery    = `BEGIN ` + marker + ` ISOLATION LEVEL REPEATABLE READ READ ONLY`
	rollbackQuery = `ROLLBACK ` + marker
	savepointSQL  = `SAVEPOINT ` + marker + ` aadvisor_guard`
	releaseSQL    = `RELEASE ` + marker + ` SAVEPOINT aadvisor_guard`
	// undoSQL abandons a failed optional query.
	undoSQL = `ROLLBACK ` + marker + ` TO SAVEPOINT aadvisor_guard; RELEASE ` + marker + ` SAVEPOINT aadvisor_guard`
)

// inScope keeps objects of user schemas (n is the namespace) and leaves out
// system schemas (pg_catalog, information_schema, pg_toast, pg_temp_N).
const inScope = `n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'`

// relScope keeps user relations (c is the pg_class row) that no extension owns.
const relScope = inScope + ` AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
	WHERE e.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND e.objid = c.oid AND e.deptype = 'e')`

// relKindsSQL keeps the relation kinds the model calls tables.
const relKindsSQL = `c.relkind IN ('r', 'p', 'f', 'v', 'm')`

// setupQuery sets the transaction's limits, search path (which decides how names print), date style
// (results come back as text), turns JIT off (compiling catalog queries costs seconds, saves nothing)
// and parallel workers (starting them costs more than the catalog scans they would share, and takes
// the server's workers from its own queries), and reads the server version and start (the second
// lane checks it runs on the same server). The second lane, whose connection is the reader's own,
// has the same settings from its start (setupParams).
const setupQuery = `SELECT pg_catalog.set_config('statement_timeout', $1, true), pg_catalog.set_config('lock_timeout', $2, true),
	pg_catalog.set_config('application_name', $3, true), pg_catalog.set_config('search_path', 'public', true),
	pg_catalog.set_config('DateStyle', 'ISO, YMD', true), pg_catalog.set_config('jit', 'off', true),
	pg_catalog.set_config('max_parallel_workers_per_gather', '0', true),
	pg_catalog.current_setting('server_version_num')::int AS version, ` + startedColumn

// setupParams are setupQuery's fixed settings, for a connection's start.
var setupParams = map[string]string{"search_path": "public", "DateStyle": "ISO, YMD", "jit": "off",
	"max_parallel_workers_per_gather": "0"}

// startedColumn is when the server started, in seconds since 1970 as text (whatever the DateStyle
// and TimeZone of the connection).
const startedColumn = `pg_catalog.date_part('epoch', pg_catalog.pg_postmaster_start_time())::text AS started`

// startedQuery reads when the server started.
const startedQuery = `SELECT ` + startedColumn

// exportSnapshot follows setupQuery's columns on the first lane of a read with two: the snapshot the
// second lane imports.
const exportSnapshot = `, pg_catalog.pg_export_snapshot() AS snapshot`

// tablesQuery lists relations with their kind, keys of replication and partitioning, and row security.
const tablesQuery = `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind,
	c.relpersistence::text AS persistence, c.relreplident::text AS replident,
	pg_catalog.pg_get_userbyid(c.relowner) AS owner,
	coalesce((SELECT pn.nspname || '.' || p.relname FROM pg_catalog.pg_inherits i
		JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
		WHERE i.inhrelid = c.oid AND c.relispartition LIMIT 1), '') AS partition_of,
	CASE WHEN c.relkind = 'p' THEN coalesce(pg_catalog.pg_get_partkeydef(c.oid), '') ELSE '' END AS partition_key,
	ARRAY(SELECT pn.nspname || '.' || p.relname FROM pg_catalog.pg_inherits i
		JOIN pg_catalog.pg_class p ON p.oid = i.inhparent JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
		WHERE i.inhrelid = c.oid AND NOT c.relispartition ORDER BY i.inhseqno) AS inherits,
	coalesce(c.reloptions, '{}') AS options,
	CASE WHEN c.relreplident <> 'i' THEN '' ELSE coalesce((SELECT ic.relname FROM pg_catalog.pg_index x
		JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid WHERE x.indrelid = c.oid AND x.indisreplident LIMIT 1), '') END AS replident_index,
	c.relrowsecurity AS row_security, c.relforcerowsecurity AS force_row_security, c.reltuples::int8 AS reltuples,
	ARRAY(SELECT pol.polname::text FROM pg_catalog.pg_policy pol WHERE pol.polrelid = c.oid ORDER BY pol.polname) AS policies
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE ` + relKindsSQL + ` AND ` + relScope + `
ORDER BY n.nspname, c.relname`

// The queries of each relation's parts take the relations tablesQuery read
// as $1, an oid[] (text '{16385,16390}'), and join their catalogs to it, as
// pg_dump does: no query re-applies relScope's extension check to every
// column, index or constraint, and each runs one index look-up per
// relation. Column numbers come back as numbers; the reader names them from
// the columns it read (see attName).
const relationsFrom = `pg_catalog.unnest($1::pg_catalog.oid[]) AS rel(oid)`

// columnsQuery lists the columns of every relation with type, default, identity, generation and storage.
// A default cannot refer to columns, so it is printed without its relation (relid 0), which spares the
// server opening every table; a generation expression needs the relation (generatedQuery). The default
// is looked up only for the columns that have one (atthasdef): a join probed pg_attrdef for every
// column, a quarter of the query's time on 10,000 tables.
const columnsQuery = `SELECT a.attrelid AS relid, a.attnum AS num, a.attname AS name,
	pg_catalog.format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
	CASE WHEN a.atthasdef AND a.attgenerated = '' THEN coalesce((SELECT pg_catalog.pg_get_expr(ad.adbin, 0)
		FROM pg_catalog.pg_attrdef ad WHERE ad.adrelid = a.attrelid AND ad.adnum = a.attnum), '') ELSE '' END AS expr,
	a.attidentity::text AS identity, a.attgenerated::text AS generated,
	CASE WHEN a.attstorage = t.typstorage THEN '' ELSE a.attstorage::text END AS storage
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
	JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
WHERE a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum`

// generatedQuery prints the expressions of the generated columns of the relations with some (the
// columns query found them), with their relation, which it opens; it runs only when there are some.
const generatedQuery = `SELECT a.attrelid AS relid, a.attnum AS num, pg_catalog.pg_get_expr(ad.adbin, ad.adrelid) AS expr
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_attribute a ON a.attrelid = rel.oid
	JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
WHERE a.attgenerated <> '' AND NOT a.attisdropped`

// indexesQuery lists indexes with their key column numbers, the text of expression keys (as
// pg_get_indexdef prints them, in key order) and their constraint.
const indexesQuery = `SELECT x.indrelid AS relid, ic.relname AS name, x.indisunique AS is_unique, x.indisprimary AS is_primary,
	x.indisvalid AS valid, x.indisreplident AS replident, am.amname AS method,
	coalesce(pg_catalog.pg_get_expr(x.indpred, x.indrelid), '') AS predicate, x.indexprs IS NOT NULL AS expression,
	coalesce(co.conname, '') AS constraint_name, coalesce(co.condeferrable, false) AS deferrable,
	x.indnkeyatts AS key_count, x.indkey::text AS keys,
	CASE WHEN x.indexprs IS NULL THEN '{}'::text[] ELSE ARRAY(SELECT pg_catalog.pg_get_indexdef(x.indexrelid, k.i + 1, true)
		FROM pg_catalog.generate_series(0, x.indnkeyatts - 1) AS k(i) WHERE x.indkey[k.i] = 0 ORDER BY k.i) END AS key_exprs
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_index x ON x.indrelid = rel.oid
	JOIN pg_catalog.pg_class ic ON ic.oid = x.indexrelid
	JOIN pg_catalog.pg_am am ON am.oid = ic.relam
	LEFT JOIN pg_catalog.pg_constraint co ON co.conindid = x.indexrelid AND co.conrelid = x.indrelid AND co.contype IN ('p', 'u', 'x')
ORDER BY x.indrelid, ic.relname`

// constraintsQuery lists PK, unique, FK, check and exclusion constraints with their column numbers and
// those of the referenced table, leaving out the copies PostgreSQL adds for each partition of a
// referenced partitioned table.
const constraintsQuery = `SELECT co.conrelid AS relid, co.conname AS name, co.contype::text AS type,
	coalesce(co.conkey::text, '') AS keys, co.condeferrable AS deferrable, co.condeferred AS deferred,
	CASE co.contype WHEN 'c' THEN pg_catalog.pg_get_expr(co.conbin, co.conrelid)
		WHEN 'x' THEN pg_catalog.pg_get_constraintdef(co.oid) ELSE '' END AS expression,
	co.confrelid AS ref_relid, coalesce(co.confkey::text, '') AS ref_keys,
	co.confdeltype::text AS on_delete, co.confupdtype::text AS on_update
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_constraint co ON co.conrelid = rel.oid
WHERE co.contype IN ('p', 'u', 'f', 'c', 'x')
	AND NOT (co.contype = 'f' AND co.conparentid <> 0 AND EXISTS (SELECT 1 FROM pg_catalog.pg_constraint pc
		WHERE pc.oid = co.conparentid AND pc.conrelid = co.conrelid))
ORDER BY co.conrelid, co.conname`

// referencedQuery names the relations outside the read that foreign keys reference (an extension's
// table, say), and their columns; it runs only when there are such keys.
const referencedQuery = `SELECT c.oid AS relid, n.nspname || '.' || c.relname AS name, a.attnum AS num, a.attname AS attname
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_class c ON c.oid = rel.oid
	JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY c.oid, a.attnum`

// sequencesQuery lists sequences with their parameters and the column that owns them (OWNED BY, serial,
// identity) by relation and number.
const sequencesQuery = `SELECT n.nspname AS schema, c.relname AS name, pg_catalog.format_type(s.seqtypid, NULL) AS type,
	s.seqstart AS start, s.seqincrement AS increment, s.seqmin AS min, s.seqmax AS max, s.seqcache AS cache,
	s.seqcycle AS cycle, c.relpersistence::text AS persistence,
	coalesce(d.refobjid, 0) AS owner_relid, coalesce(d.refobjsubid, 0) AS owner_num
FROM pg_catalog.pg_sequence s
	JOIN pg_catalog.pg_class c ON c.oid = s.seqrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
	LEFT JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid
		AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.deptype IN ('a', 'i')
WHERE ` + relScope + `
ORDER BY n.nspname, c.relname, d.refobjid, d.refobjsubid`

// triggersQuery lists user triggers (not the internal ones behind foreign keys) with their firing mode.
const triggersQuery = `SELECT tg.tgrelid AS relid, tg.tgname AS name, tg.tgenabled::text AS enabled, tg.tgtype::int AS type,
	tg.tgfoid::pg_catalog.regproc::text AS function, tg.tgconstraint <> 0 AS is_constraint
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = rel.oid
WHERE NOT tg.tgisinternal
ORDER BY tg.tgrelid, tg.tgname`

// rulesQuery lists rewrite rules other than the _RETURN rule of a view.
const rulesQuery = `SELECT rw.ev_class AS relid, rw.rulename AS name, rw.ev_type::text AS event, rw.is_instead AS instead
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = rel.oid
WHERE rw.rulename <> '_RETURN'
ORDER BY rw.ev_class, rw.rulename`

// functionsQuery lists user functions and procedures that no extension owns.
const functionsQuery = `SELECT p.oid, n.nspname AS schema, p.proname AS name,
	pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, l.lanname AS language,
	p.provolatile::text AS volatility, coalesce(p.proconfig, '{}') AS config,
	CASE WHEN l.lanname IN ('c', 'internal') THEN '' ELSE coalesce(p.prosrc, '') END AS body
FROM pg_catalog.pg_proc p
	JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace JOIN pg_catalog.pg_language l ON l.oid = p.prolang
WHERE p.prokind IN ('f', 'p', 'w') AND ` + inScope + `
	AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
		WHERE e.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass AND e.objid = p.oid AND e.deptype = 'e')
ORDER BY n.nspname, p.proname, 4`

// eventTriggersQuery lists event triggers that no extension owns.
const eventTriggersQuery = `SELECT et.evtname AS name, et.evtevent AS event, et.evtenabled::text AS enabled,
	et.evtfoid::pg_catalog.regproc::text AS function
FROM pg_catalog.pg_event_trigger et
WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend e
	WHERE e.classid = 'pg_catalog.pg_event_trigger'::pg_catalog.regclass AND e.objid = et.oid AND e.deptype = 'e')
ORDER BY et.evtname`

// extensionsQuery lists installed extensions.
const extensionsQuery = `SELECT x.extname AS name, x.extversion AS version, n.nspname AS schema
FROM pg_catalog.pg_extension x JOIN pg_catalog.pg_namespace n ON n.oid = x.extnamespace
ORDER BY x.extname`

// rolesQuery lists the roles owning user schemas, relations and functions (predefined pg_* roles left out),
// and whether row-level security binds them (superusers and BYPASSRLS roles it does not).
const rolesQuery = `SELECT DISTINCT pg_catalog.pg_get_userbyid(o.owner) AS name,
	coalesce((SELECT r.rolsuper OR r.rolbypassrls FROM pg_catalog.pg_roles r WHERE r.oid = o.owner), false) AS bypass_rls FROM (
	SELECT c.relowner AS owner FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND ` + relScope + `
	UNION SELECT p.proowner FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
		WHERE ` + inScope + `
	UNION SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE ` + inScope + `
) o WHERE pg_catalog.pg_get_userbyid(o.owner) !~ '^pg_'
ORDER BY 1`

// viewDefsQuery reads the query of each view and materialized view (it locks the relations they read).
const viewDefsQuery = `SELECT c.oid AS relid, coalesce(pg_catalog.pg_get_viewdef(c.oid), '') AS definition
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_class c ON c.oid = rel.oid
WHERE c.relkind IN ('v', 'm')`

// functionBodiesQuery reads SQL-standard function bodies (BEGIN ATOMIC), PostgreSQL 14+.
const functionBodiesQuery = `SELECT p.oid, coalesce(pg_catalog.pg_get_function_sqlbody(p.oid), '') AS body
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE p.prosqlbody IS NOT NULL AND ` + inScope

// largeObjectsQuery counts large objects.
const largeObjectsQuery = `SELECT pg_catalog.count(*) AS n FROM pg_catalog.pg_largeobject_metadata`

// settingsQuery reads every server setting the role may see.
const settingsQuery = `SELECT s.name, coalesce(s.setting, '') AS value, coalesce(s.unit, '') AS unit, s.context
FROM pg_catalog.pg_settings s ORDER BY s.name`

// databasesQuery lists the other databases of the instance, templates left out.
const databasesQuery = `SELECT d.datname AS name FROM pg_catalog.pg_database d
WHERE NOT d.datistemplate AND d.datname <> pg_catalog.current_database() ORDER BY d.datname`

// publicationsQuery lists the database's publications.
const publicationsQuery = `SELECT p.pubname AS name, p.puballtables AS all_tables FROM pg_catalog.pg_publication p ORDER BY p.pubname`

// toastQuery reads the size of each relation's TOAST table (0 without one) with
// pg_relation_size, which opens (and locks for a moment) each TOAST relation.
const toastQuery = `SELECT c.oid AS relid, CASE WHEN c.reltoastrelid = 0 THEN 0
	ELSE coalesce(pg_catalog.pg_relation_size(c.reltoastrelid), 0) END AS bytes
FROM ` + relationsFrom + ` JOIN pg_catalog.pg_class c ON c.oid = rel.oid`

// toastFileQuery reads the same sizes from the files: the size of the first
// segment of the TOAST relation's main fork (pg_stat_file of
// pg_relation_filepath, which reads pg_class only) is its pg_relation_size
// while it is smaller than a segment. A relation of a segment or more, or
// whose file is gone (rewritten meanwhile), is measured with
// pg_relation_size. It neither opens nor locks the TOAST relations, which
// costs the server a fifth of what toastQuery does on 10,000 tables; it
// needs EXECUTE on pg_stat_file (superusers have it; see dbFacts.StatFile).
const toastFileQuery = `SELECT t.relid, CASE WHEN t.toast = 0 THEN 0
	WHEN t.size < t.segment THEN t.size
	ELSE coalesce(pg_catalog.pg_relation_size(t.toast), 0) END AS bytes
FROM (SELECT c.oid AS relid, c.reltoastrelid AS toast, CASE WHEN c.reltoastrelid <> 0
		THEN (pg_catalog.pg_stat_file(pg_catalog.pg_relation_filepath(c.reltoastrelid), true)).size END AS size,
	(SELECT s.setting::int8 FROM pg_catalog.pg_settings s WHERE s.name = 'segment_size')
		* pg_catalog.current_setting('block_size')::int8 AS segment
	FROM ` + relationsFrom + ` JOIN pg_catalog.pg_class c ON c.oid = rel.oid OFFSET 0) t`

// databaseCreatedQuery reads when the database was created: the modification time of the PG_VERSION file
// CREATE DATABASE writes into its directory (databases of the default tablespace only).
const databaseCreatedQuery = `SELECT (pg_catalog.pg_stat_file('base/' || d.oid || '/PG_VERSION')).modification AS created
FROM pg_catalog.pg_database d
WHERE d.datname = pg_catalog.current_database()
	AND d.dattablespace = (SELECT t.oid FROM pg_catalog.pg_tablespace t WHERE t.spcname = 'pg_default')`

// tableStatsQuery reads the cumulative counters of every user table (the reader adds
// pg_class.reltuples, which a statistics reset leaves alone, from tablesQuery).
const tableStatsQuery = `SELECT s.relid, s.seq_scan, coalesce(s.idx_scan, 0) AS idx_scan, s.n_tup_ins, s.n_tup_upd, s.n_tup_del,
	s.n_tup_hot_upd, s.n_live_tup, s.n_dead_tup
FROM pg_catalog.pg_stat_user_tables s`

// databaseQuery reads the database's encoding, locale and statistics reset, and what the role may read.
func databaseQuery(version int) string {
	provider := `'c'`
	if version >= 150000 {
		provider = `d.datlocprovider::text`
	}
	return `SELECT pg_catalog.current_database() AS name, pg_catalog.pg_encoding_to_char(d.encoding) AS encoding,
	d.datcollate::text AS collate, d.datctype::text AS ctype, ` + provider + ` AS locale_provider,
	current_user::text AS role, coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user), false) AS superuser,
	pg_catalog.pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') AS read_all_settings,
	pg_catalog.has_function_privilege('pg_catalog.pg_stat_file(text, boolean)', 'EXECUTE')
		AND pg_catalog.has_function_privilege('pg_catalog.pg_relation_filepath(regclass)', 'EXECUTE') AS stat_file,
	pg_catalog.now() AS collected_at,
	(SELECT s.stats_reset FROM pg_catalog.pg_stat_database s WHERE s.datid = d.oid) AS stats_reset,
	coalesce(x.extversion, '') AS pgss_version, coalesce(xn.nspname, '') AS pgss_schema
FROM pg_catalog.pg_database d
	LEFT JOIN pg_catalog.pg_extension x ON x.extname = 'pg_stat_statements'
	LEFT JOIN pg_catalog.pg_namespace xn ON xn.oid = x.extnamespace
WHERE d.datname = pg_catalog.current_database()`
}

// subscriptionsQuery lists the database's subscriptions; origin exists from PostgreSQL 16.
// It reads only the columns pg_subscription grants to PUBLIC.
func subscriptionsQuery(version int) string {
	origin := `''`
	if version >= 160000 {
		origin = `s.suborigin`
	}
	return `SELECT s.subname AS name, s.subenabled AS enabled, ` + origin + ` AS origin
FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
ORDER BY s.subname`
}

// slotsQuery lists replication slots with the WAL each holds back; wal_status exists from 13.
func slotsQuery(version int) string {
	walStatus := `''`
	if version >= 130000 {
		walStatus = `coalesce(s.wal_status, '')`
	}
	return `SELECT s.slot_name::text AS name, s.slot_type AS type, coalesce(s.plugin::text, '') AS plugin,
	coalesce(s.database::text, '') AS database, s.active, s.temporary,
	coalesce(pg_catalog.pg_wal_lsn_diff(CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn()
		ELSE pg_catalog.pg_current_wal_lsn() END, s.restart_lsn)::bigint, -1) AS retained, ` + walStatus + ` AS wal_status
FROM pg_catalog.pg_replication_slots s ORDER BY s.slot_name`
}

// statementsQuery reads the database's pg_stat_statements entries, summed over
// users and nesting levels, most called first, aadvisor's own (pglive's and
// observe's, marked with inspect.OwnStatementMarker) left out. Entries whose text the role may
// not see group into one row with a NULL queryid, which sorts first. The time
// column is total_exec_time from extension version 1.8 (PostgreSQL 13),
// total_time before.
func statementsQuery(schema, extVersion string) string {
	total := "total_time"
	if versionAtLeast(extVersion, 1, 8) {
		total = "total_exec_time"
	}
	return `SELECT g.queryid, g.query, g.calls, g.rows, g.total_ms, g.entries, pg_catalog.count(*) OVER () AS groups FROM (
	SELECT s.queryid, s.query, pg_catalog.sum(s.calls)::bigint AS calls, pg_catalog.sum(s.rows)::bigint AS rows,
		pg_catalog.sum(s.` + total + `)::float8 AS total_ms, pg_catalog.count(*) AS entries
	FROM ` + pgx.Identifier{schema, "pg_stat_statements"}.Sanitize() + ` s
	WHERE s.dbid = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
		AND pg_catalog.strpos(s.query, '` + inspect.OwnStatementMarker + `') = 0
	GROUP BY s.queryid, s.query) g
ORDER BY g.queryid IS NULL DESC, g.calls DESC, g.queryid
LIMIT $1`
}

// statementsInfoQuery reads pg_stat_statements_info (extension 1.9, PostgreSQL 14+): evictions and the reset time.
func statementsInfoQuery(schema string) string {
	return `SELECT i.dealloc, i.stats_reset FROM ` + pgx.Identifier{schema, "pg_stat_statements_info"}.Sanitize() + ` i`
}

// versionAtLeast compares an extension version "1.10" with major.minor.
func versionAtLeast(v string, major, minor int) bool {
	a, b, _ := strings.Cut(v, ".")
	ma, err := strconv.Atoi(a)
	if err != nil {
		return false
	}
	mi, _ := strconv.Atoi(b)
	return ma > major || ma == major && mi >= minor
}
