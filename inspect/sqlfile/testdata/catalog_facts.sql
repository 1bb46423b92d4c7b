-- Catalog facts of the fixture database, in the spellings the model uses.
-- psql -XAt -d fixture -f catalog_facts.sql > pg15_catalog.json
WITH rels AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relpersistence, c.relreplident, c.reloptions
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r','p','v','m','f') AND n.nspname IN ('public','app')
)
SELECT jsonb_pretty(jsonb_build_object(
 'tables', (SELECT jsonb_agg(jsonb_build_object(
   'schema', r.nspname, 'name', r.relname,
   'kind', CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'partitioned table' WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' ELSE 'foreign table' END,
   'persistence', CASE r.relpersistence WHEN 'p' THEN 'permanent' WHEN 'u' THEN 'unlogged' ELSE 'temporary' END,
   'replica_identity', CASE r.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' ELSE 'index' END,
   'options', coalesce(to_jsonb(r.reloptions), '[]'),
   'partition_of', coalesce((SELECT pn.nspname || '.' || p.relname FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = r.oid AND r.oid IN (SELECT oid FROM pg_class WHERE relispartition)), ''),
   'inherits', coalesce((SELECT jsonb_agg(pn.nspname || '.' || p.relname) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE i.inhrelid = r.oid AND NOT (SELECT relispartition FROM pg_class WHERE oid = r.oid)), '[]'),
   'partition_key', coalesce(pg_get_partkeydef(r.oid), ''),
   'columns', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
        'default', CASE WHEN a.attgenerated = '' THEN coalesce(pg_get_expr(d.adbin, d.adrelid), '') ELSE '' END,
        'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' ELSE '' END,
        'generated', CASE a.attgenerated WHEN 's' THEN 'stored' WHEN 'v' THEN 'virtual' ELSE '' END,
        'generated_expr', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) ELSE '' END,
        'storage', CASE WHEN a.attstorage = t.typstorage THEN '' ELSE CASE a.attstorage WHEN 'p' THEN 'plain' WHEN 'm' THEN 'main' WHEN 'e' THEN 'external' ELSE 'extended' END END
      ) ORDER BY a.attnum)
      FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
   'indexes', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'name', ic.relname, 'unique', x.indisunique, 'primary', x.indisprimary, 'method', am.amname,
        'predicate', coalesce(pg_get_expr(x.indpred, x.indrelid), ''),
        'expression', x.indexprs IS NOT NULL, 'replica_identity', x.indisreplident,
        'deferrable', NOT x.indimmediate,
        'constraint', coalesce((SELECT conname FROM pg_constraint WHERE conindid = x.indexrelid AND conrelid = x.indrelid), ''),
        'columns', (SELECT jsonb_agg(CASE WHEN k.attnum > 0 THEN (SELECT attname FROM pg_attribute WHERE attrelid = x.indrelid AND attnum = k.attnum)::text ELSE '<expr>' END ORDER BY k.ord)
                    FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord) WHERE k.ord <= x.indnkeyatts)
      ) ORDER BY ic.relname)
      FROM pg_index x JOIN pg_class ic ON ic.oid = x.indexrelid JOIN pg_am am ON am.oid = ic.relam WHERE x.indrelid = r.oid), '[]'),
   'constraints', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'name', co.conname,
        'type', CASE co.contype WHEN 'p' THEN 'primary key' WHEN 'u' THEN 'unique' WHEN 'f' THEN 'foreign key' WHEN 'c' THEN 'check' WHEN 'x' THEN 'exclusion' ELSE co.contype::text END,
        'columns', coalesce((SELECT jsonb_agg(attname ORDER BY k.ord) FROM unnest(co.conkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute pa ON pa.attrelid = co.conrelid AND pa.attnum = k.attnum), '[]'),
        'deferrable', co.condeferrable, 'initially_deferred', co.condeferred,
        'expression', CASE WHEN co.contype = 'c' THEN pg_get_expr(co.conbin, co.conrelid) WHEN co.contype = 'x' THEN pg_get_constraintdef(co.oid) ELSE '' END,
        'ref_table', coalesce((SELECT fn.nspname || '.' || f.relname FROM pg_class f JOIN pg_namespace fn ON fn.oid = f.relnamespace WHERE f.oid = co.confrelid), ''),
        'ref_columns', coalesce((SELECT jsonb_agg(attname ORDER BY k.ord) FROM unnest(co.confkey) WITH ORDINALITY AS k(attnum, ord) JOIN pg_attribute pa ON pa.attrelid = co.confrelid AND pa.attnum = k.attnum), '[]'),
        'on_delete', CASE co.confdeltype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' ELSE '' END,
        'on_update', CASE co.confupdtype WHEN 'a' THEN 'no action' WHEN 'r' THEN 'restrict' WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' ELSE '' END
      ) ORDER BY co.conname)
      FROM pg_constraint co WHERE co.conrelid = r.oid AND co.contype IN ('p','u','f','c','x')), '[]'),
   'triggers', coalesce((SELECT jsonb_agg(jsonb_build_object(
        'name', tg.tgname,
        'enabled', CASE tg.tgenabled WHEN 'O' THEN 'origin' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' ELSE 'disabled' END,
        'timing', CASE WHEN tg.tgtype & 2 <> 0 THEN 'before' WHEN tg.tgtype & 64 <> 0 THEN 'instead of' ELSE 'after' END,
        'level', CASE WHEN tg.tgtype & 1 <> 0 THEN 'row' ELSE 'statement' END,
        'events', (SELECT jsonb_agg(e) FROM (VALUES (4, 'insert', 1), (8, 'delete', 2), (16, 'update', 3), (32, 'truncate', 4)) v(bit, e, o) WHERE tg.tgtype & v.bit <> 0),
        'function', tg.tgfoid::regproc::text,
        'constraint', tg.tgconstraint <> 0
      ) ORDER BY tg.tgname)
      FROM pg_trigger tg WHERE tg.tgrelid = r.oid AND NOT tg.tgisinternal), '[]'),
   'rules', coalesce((SELECT jsonb_agg(jsonb_build_object('name', rw.rulename,
        'event', CASE rw.ev_type WHEN '1' THEN 'select' WHEN '2' THEN 'update' WHEN '3' THEN 'insert' ELSE 'delete' END, 'instead', rw.is_instead) ORDER BY rw.rulename)
      FROM pg_rewrite rw WHERE rw.ev_class = r.oid AND rw.rulename <> '_RETURN'), '[]')
  ) ORDER BY r.nspname, r.relname) FROM rels r),
 'sequences', (SELECT jsonb_agg(jsonb_build_object(
   'schema', n.nspname, 'name', c.relname, 'type', format_type(s.seqtypid, NULL), 'start', s.seqstart, 'increment', s.seqincrement,
   'min', s.seqmin, 'max', s.seqmax, 'cache', s.seqcache, 'cycle', s.seqcycle,
   'persistence', CASE c.relpersistence WHEN 'p' THEN 'permanent' WHEN 'u' THEN 'unlogged' ELSE 'temporary' END,
   'owned_by', coalesce((SELECT tn.nspname || '.' || t.relname || '.' || a.attname FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace tn ON tn.oid = t.relnamespace
                JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')), '')
  ) ORDER BY n.nspname, c.relname)
  FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace),
 'functions', (SELECT jsonb_agg(jsonb_build_object(
   'schema', n.nspname, 'name', p.proname, 'args', pg_get_function_identity_arguments(p.oid), 'language', l.lanname,
   'volatility', CASE p.provolatile WHEN 'i' THEN 'immutable' WHEN 's' THEN 'stable' ELSE 'volatile' END,
   'config', coalesce(to_jsonb(p.proconfig), '[]')
  ) ORDER BY n.nspname, p.proname)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_language l ON l.oid = p.prolang WHERE n.nspname IN ('public','app')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')),
 'event_triggers', (SELECT jsonb_agg(jsonb_build_object('name', evtname, 'event', evtevent,
   'enabled', CASE evtenabled WHEN 'O' THEN 'origin' WHEN 'R' THEN 'replica' WHEN 'A' THEN 'always' ELSE 'disabled' END,
   'function', evtfoid::regproc::text) ORDER BY evtname) FROM pg_event_trigger),
 'extensions', (SELECT jsonb_agg(extname ORDER BY extname) FROM pg_extension WHERE extname <> 'plpgsql')
));
