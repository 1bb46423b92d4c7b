package replicate

import (
	"context"
	"fmt"
)

// qGuardTriggers: the tables whose local writes the guard counts (the
// trigger of that name calling the guard's function), quoted.
const qGuardTriggers = `SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
FROM pg_catalog.pg_trigger t
JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_proc p ON p.oid = t.tgfoid
JOIN pg_catalog.pg_namespace ps ON ps.oid = p.pronamespace
WHERE t.tgname = $1 AND ps.nspname = $2 AND p.proname = $3 ORDER BY 1`

// qGuardSequences: the guard's counters.
const qGuardSequences = `SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relkind = 'S' AND c.relname LIKE 'aadv\_w\_%' ORDER BY 1`

// qGuardSchemaOthers counts what else lives in the guard's schema.
const qGuardSchemaOthers = `SELECT (SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND NOT (c.relkind = 'S' AND c.relname LIKE 'aadv\_w\_%'))
  + (SELECT count(*) FROM pg_catalog.pg_proc p WHERE p.pronamespace = n.oid AND p.proname <> $2)
FROM pg_catalog.pg_namespace n WHERE n.nspname = $1`

// teardownGuards removes the counters of local writes to shared tables
// from every reachable node: the triggers, the sequences, the function
// and the schema when nothing else is in it.
func (b *bootstrapper) teardownGuards(ctx context.Context, res *TeardownResult) error {
	for _, n := range b.reachable() {
		var exists bool
		if err := n.conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`, guardSchema).Scan(&exists); err != nil {
			return fmt.Errorf("node %s: read schemas: %w", n.Name, err)
		}
		if !exists {
			continue
		}
		tables, err := collectStrings(ctx, n.conn, qGuardTriggers, guardTrigger, guardSchema, guardFunction)
		if err != nil {
			return fmt.Errorf("node %s: read guard triggers: %w", n.Name, err)
		}
		for _, t := range tables {
			if err := b.do(ctx, res, n, "stop counting local writes to "+t, "DROP TRIGGER IF EXISTS "+ident(guardTrigger)+" ON "+t); err != nil {
				return err
			}
		}
		seqs, err := collectStrings(ctx, n.conn, qGuardSequences, guardSchema)
		if err != nil {
			return fmt.Errorf("node %s: read guard counters: %w", n.Name, err)
		}
		for _, s := range seqs {
			if err := b.do(ctx, res, n, "drop counter "+guardSchema+"."+s, "DROP SEQUENCE IF EXISTS "+qualified(guardSchema, s)); err != nil {
				return err
			}
		}
		if err := b.do(ctx, res, n, "drop function "+guardSchema+"."+guardFunction, "DROP FUNCTION IF EXISTS "+qualified(guardSchema, guardFunction)+"()"); err != nil {
			return err
		}
		var others int64
		if err := n.conn.QueryRow(ctx, qGuardSchemaOthers, guardSchema, guardFunction).Scan(&others); err != nil {
			return fmt.Errorf("node %s: read schema %s: %w", n.Name, guardSchema, err)
		}
		if others > 0 {
			res.Kept = append(res.Kept, fmt.Sprintf("schema %s on %s: it holds %d object(s) aadvisor did not make", guardSchema, n.Name, others))
			continue
		}
		if err := b.do(ctx, res, n, "drop schema "+guardSchema, "DROP SCHEMA IF EXISTS "+ident(guardSchema)); err != nil {
			return err
		}
	}
	if b.plan.Topology.Offline != nil {
		res.Kept = append(res.Kept, "max_slot_wal_keep_size as bootstrap sized it for the offline window (ALTER SYSTEM RESET max_slot_wal_keep_size; SELECT pg_reload_conf() to go back)")
	}
	return nil
}
