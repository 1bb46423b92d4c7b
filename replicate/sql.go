package replicate

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
)

// Prefix starts the name of every object bootstrap creates, so that
// teardown can tell them from the user's own.
const Prefix = "aadv_"

// ident quotes one identifier.
func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// qualified quotes schema.name.
func qualified(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

// literal quotes a value for the few places SQL takes no parameters
// (connection strings in CREATE SUBSCRIPTION, row filters).
func literal(s string) string { return inspect.QuoteLiteral(s) }

// objName builds an object name from parts under Prefix, keeping it
// within PostgreSQL's 63-byte limit with a stable hash when too long.
func objName(parts ...string) string {
	s := Prefix + strings.Join(parts, "_")
	if len(s) <= 63 {
		return s
	}
	var h uint32 = 2166136261
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return fmt.Sprintf("%s_%08x", s[:54], h)
}

func pubName(node string) string       { return objName("pub", node) }
func subName(node, from string) string { return objName(node, "from", from) }
func pglNodeName(node string) string   { return objName(node) }
func pglSetName(node string) string    { return objName("set", node) }
func physSlotName(node string) string  { return objName(node) }

// AppName is the application_name of aadvisor's sessions on the nodes
// (pg_stat_activity), unless the DSN or PGAPPNAME names one.
const AppName = "aadvisor"

// connConfig parses a node's DSN for a connection of aadvisor's own,
// named AppName unless the DSN says otherwise.
func connConfig(dsn string) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, err
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = AppName
	}
	return cfg, nil
}

// connect opens a connection of aadvisor's own to dsn (see connConfig).
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := connConfig(dsn)
	if err != nil {
		return nil, err
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// withDatabase returns the DSN pointing at db (unchanged when db is "").
// URLs get a new path; keyword/value strings get a trailing dbname, which
// libpq lets override an earlier one.
func withDatabase(dsn, db string) (string, error) {
	if db == "" {
		return dsn, nil
	}
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse DSN %s: %w", inspect.Redact(dsn), err)
		}
		u.Path = "/" + db
		u.RawPath = ""
		return u.String(), nil
	}
	return strings.TrimSpace(dsn) + " dbname=" + inspect.QuoteConninfo(db), nil
}

// Catalog queries. Each runs once per node.
const (
	// qNodeInfo: version, role privileges, database properties, clock.
	qNodeInfo = `SELECT pg_catalog.current_setting('server_version_num')::int,
       pg_catalog.current_setting('server_version'),
       r.rolsuper, r.rolreplication,
       pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),
       pg_catalog.pg_encoding_to_char(d.encoding), d.datcollate, d.datctype,
       pg_catalog.pg_is_in_recovery(),
       pg_catalog.clock_timestamp(),
       pg_catalog.current_database()
FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
WHERE r.rolname = current_user AND d.datname = pg_catalog.current_database()`

	// qSettings: the settings the prechecks read.
	qSettings = `SELECT name, setting, context FROM pg_catalog.pg_settings
WHERE name IN ('wal_level','track_commit_timestamp','max_replication_slots','max_wal_senders',
  'max_worker_processes','max_logical_replication_workers','max_active_replication_origins','shared_preload_libraries',
  'synchronous_standby_names','pglogical.conflict_resolution','hot_standby','output_plugin_libraries')`

	// qExtensions: pglogical availability and installation.
	qExtensions = `SELECT name, default_version, coalesce(installed_version, '')
FROM pg_catalog.pg_available_extensions WHERE name = 'pglogical'`

	// qSequences: sequences owned by a column (serial, identity).
	qSequences = `SELECT sn.nspname, sc.relname, tn.nspname, tc.relname, a.attname,
  s.increment_by, coalesce(s.last_value, s.start_value - s.increment_by), s.start_value
FROM pg_catalog.pg_depend d
JOIN pg_catalog.pg_class sc ON sc.oid = d.objid AND sc.relkind = 'S'
JOIN pg_catalog.pg_namespace sn ON sn.oid = sc.relnamespace
JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = tc.oid AND a.attnum = d.refobjsubid
JOIN pg_catalog.pg_sequences s ON s.schemaname = sn.nspname AND s.sequencename = sc.relname
WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
  AND d.deptype IN ('a', 'i')
ORDER BY 1, 2`

	// qPublications: publications bootstrap made, with their tables.
	qPublications = `SELECT p.pubname, coalesce((SELECT pg_catalog.array_agg(t.schemaname || '.' || t.tablename ORDER BY 1)
    FROM pg_catalog.pg_publication_tables t WHERE t.pubname = p.pubname), '{}')
FROM pg_catalog.pg_publication p WHERE p.pubname LIKE 'aadv\_%' ORDER BY 1`

	// qSubscriptions: subscriptions bootstrap made, in this database.
	qSubscriptions = `SELECT s.subname FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
  AND s.subname LIKE 'aadv\_%' ORDER BY 1`

	// qSubscriptionsNamed: which of the named subscriptions exist in this
	// database.
	qSubscriptionsNamed = `SELECT s.subname::text FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
  AND s.subname = ANY($1) ORDER BY 1`

	// qSlotsNamed: which of the named slots exist (logical slots of this
	// database, or physical slots).
	qSlotsNamed = `SELECT slot_name::text, slot_type, active FROM pg_catalog.pg_replication_slots
WHERE slot_name = ANY($1) AND (database = pg_catalog.current_database() OR slot_type = 'physical') ORDER BY 1`

	// qOtherSubs: subscriptions in this database that bootstrap did not make.
	qOtherSubs = `SELECT count(*)::int FROM pg_catalog.pg_subscription s
WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
  AND s.subname NOT LIKE 'aadv\_%'`

	// qPglLocalNode: the pglogical node of this database.
	qPglLocalNode = `SELECT n.node_name::text FROM pglogical.local_node l JOIN pglogical.node n ON n.node_id = l.node_id`
	// qPglSubs: pglogical subscriptions bootstrap made.
	qPglSubs = `SELECT sub_name::text FROM pglogical.subscription WHERE sub_name LIKE 'aadv\_%' ORDER BY 1`
	// qPglSets: pglogical replication sets bootstrap made.
	qPglSets = `SELECT set_name::text FROM pglogical.replication_set WHERE set_name LIKE 'aadv\_%' ORDER BY 1`
)

// qTables: user tables with columns, keys and replica identity.
var qTables = `SELECT n.nspname, c.relname, c.relkind::text, c.relreplident::text,
  coalesce((SELECT pg_catalog.array_agg(a.attname::text || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod)
       || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END ORDER BY a.attnum)
     FROM pg_catalog.pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '{}'),
  coalesce((SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.ord)
     FROM pg_catalog.pg_index i
     CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = c.oid AND i.indisprimary), '{}'),
  coalesce((SELECT pg_catalog.array_agg(a.attname::text ORDER BY k.ord)
     FROM pg_catalog.pg_index i
     CROSS JOIN LATERAL pg_catalog.unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE i.indrelid = c.oid AND i.indisreplident), '{}'),
  (SELECT count(*) FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisunique AND NOT i.indisprimary)::int,
  (SELECT count(*) FROM pg_catalog.pg_constraint x WHERE x.conrelid = c.oid AND x.contype = 'x')::int
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition AND c.relpersistence = 'p'
  AND ` + inspect.UserSchemaSQL("n.nspname") + `
ORDER BY 1, 2`
