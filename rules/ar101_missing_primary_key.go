package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var missingPrimaryKey = &Rule{
	ID:         "AR101",
	Name:       "missing-primary-key",
	Title:      "Table without a primary key",
	Severity:   Error,
	Category:   CategoryKeys,
	Engines:    AllEngines,
	Effect:     EffectFixFirst,
	EffectNote: effectNoteNoKey,
	Doc: Doc{
		Why: `Logical replication finds the row an UPDATE or DELETE applies to by the replica identity,
which is the primary key unless the table says otherwise. A table with neither a primary key nor
a replica identity index cannot replicate UPDATE and DELETE at all: native PostgreSQL rejects them
on the publisher once the table is published, and the multi-master engines either refuse them or
replicate the table insert-only. Even when a replica identity index or REPLICA IDENTITY FULL makes
the changes flow, conflict detection and last-update-wins resolution work on the primary key, so
concurrent changes to the same row cannot be resolved.

When the table really sees UPDATE or DELETE (in pg_stat_user_tables or in the workload), the
changes are lost on every other node: this is data loss, not a performance problem.`,
		Engines: map[string]string{
			EngineNative:    `UPDATE/DELETE on a published table without a replica identity fail on the publisher ("cannot update table ... because it does not have a replica identity and publishes updates").`,
			EnginePglogical: `"PRIMARY KEY or REPLICA IDENTITY required"; tables without one can only be in an insert-only replication set.`,
			EnginePgactive:  `"All tables require a Primary Key, otherwise Update's and Delete's aren't allowed"; failures can be silent depending on configuration.`,
			EngineSpock:     `Tables without a primary key are put in the default_insert_only replication set: their UPDATE and DELETE are not replicated.`,
			EnginePGD:       `Without a PK, unique index or replica identity, later UPDATE and DELETE are blocked.`,
		},
		Detection: `Every permanent ordinary or partitioned table of the application (a partition inherits its
parent's key; partitions of a parent without one are reported once, on the parent) without a
primary key. Tables with REPLICA IDENTITY NOTHING are left to
replica-identity-nothing. With a usable replica identity index or REPLICA IDENTITY FULL the
finding is a warning. The message counts n_tup_upd and n_tup_del from pg_stat_user_tables and
the UPDATE, DELETE and MERGE statements of the workload that write the table.`,
		Fix: `Add a primary key before replication is set up. When a unique, non-partial B-tree index on
NOT NULL columns exists, promote it:

` + "```sql" + `
ALTER TABLE public.events ADD CONSTRAINT events_pkey PRIMARY KEY USING INDEX events_uuid_key;
` + "```" + `

Otherwise add a key column that cannot collide across nodes (not a local sequence, see
sequence-key). Run it on one node before the data is copied to the others: a volatile default
evaluated separately on each node gives each node different keys.

` + "```sql" + `
ALTER TABLE public.events ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY;
` + "```" + `

REPLICA IDENTITY USING INDEX is enough for native replication and pglogical, but not for
conflict resolution in pgactive.`,
		Example: `CREATE TABLE public.events (payload jsonb, created_at timestamptz);`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-publication.html",
			"aws/pgactive:docs/README.md (Limitations)",
			"2ndQuadrant/pglogical:docs/README.md (Limitations and restrictions)",
			"pgEdge/spock:docs/limitations.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: checkMissingPrimaryKey,
}

func checkMissingPrimaryKey(p *Pass) {
	db := p.DB
	changes := changeStatements(p)
	for _, t := range replicatedTables(db) {
		if primaryKey(p, t) != nil || t.ReplicaIdentity == inspect.IdentityNothing {
			continue
		}
		if parent := parentTable(p, t); parent != nil && primaryKey(p, parent) == nil && t.PrimaryKey() == nil {
			continue // reported on the partitioned parent
		}
		f := Finding{
			Object:     t.QualifiedName(),
			ObjectKind: "table",
			Table:      t.QualifiedName(),
			Pos:        t.Pos,
		}
		activity := updateDeleteActivity(db, t, changes)
		switch {
		case t.ReplicaIdentity == inspect.IdentityIndex && t.IdentityIndex() != nil:
			f.Severity = Warning
			f.Message = fmt.Sprintf("%s has no primary key; its replica identity is index %s, so changes replicate but conflicts on it cannot be resolved by key (pgactive requires a primary key)",
				t.QualifiedName(), inspect.QuoteIdent(t.IdentityIndex().Name))
		case t.ReplicaIdentity == inspect.IdentityFull:
			f.Severity = Warning
			f.Message = fmt.Sprintf("%s has no primary key and uses REPLICA IDENTITY FULL: every UPDATE and DELETE logs the whole old row and is matched by scanning; pglogical does not support FULL", t.QualifiedName())
		case activity != "":
			f.Message = fmt.Sprintf("%s has no primary key or replica identity and sees %s: these changes fail on the publisher (native) or are lost on the other nodes", t.QualifiedName(), activity)
		default:
			f.Message = fmt.Sprintf("%s has no primary key or replica identity: UPDATE and DELETE cannot be replicated (native rejects them on the publisher; pgactive and Spock do not replicate them)", t.QualifiedName())
		}
		keyEffect(p, t, &f, changes)
		if ix := candidateKey(t); ix != nil {
			name := t.Name + "_pkey"
			f.Fix = fmt.Sprintf("Promote the unique index %s on (%s) to the primary key.", inspect.QuoteIdent(ix.Name), strings.Join(ix.Columns, ", "))
			f.FixSQL = fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s PRIMARY KEY USING INDEX %s;\n-- or, for native replication and pglogical only:\n-- ALTER TABLE %s REPLICA IDENTITY USING INDEX %s;",
				t.Ident(), inspect.QuoteIdent(name), inspect.QuoteIdent(ix.Name), t.Ident(), inspect.QuoteIdent(ix.Name))
		} else {
			col := "id"
			for t.Column(col) != nil {
				col += "_"
			}
			f.Fix = "Add a primary key that cannot collide across nodes, on one node before the data is copied to the others."
			f.FixSQL = fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s uuid NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY;", t.Ident(), inspect.QuoteIdent(col))
			if t.Kind == inspect.RelPartitioned {
				// The key of a partitioned table must hold the partition key.
				if keyCols, ok := partitionKeyColumns(t); ok {
					f.FixSQL = fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s uuid NOT NULL DEFAULT gen_random_uuid();\nALTER TABLE %s ADD PRIMARY KEY (%s);",
						t.Ident(), inspect.QuoteIdent(col), t.Ident(), quoteCols(append([]string{col}, keyCols...)))
				} else {
					f.FixSQL = ""
					f.Fix += " The key must include the partition key columns (" + t.PartitionKey + ")."
				}
			}
		}
		p.Report(f)
	}
}

// effectNoteNoKey documents keyEffect on the pages of the rules that use it.
const effectNoteNoKey = `A table that nothing updates or deletes (no n_tup_upd or n_tup_del in
pg_stat_user_tables and no UPDATE, DELETE or upsert in the workload) is insert-only instead; a table
that holds node-local data stays out of replication (local). Any other table is business data that
every node needs: add a key first, then write it as its other findings allow.

` + nodeLocalDoc

// keyEffect sets the effect of a finding about a table without a usable
// key: node-local data stays out of replication, a table that is only
// inserted into is insert-only, and any other table gets a key first.
func keyEffect(p *Pass, t *inspect.Table, f *Finding, changes map[*inspect.Table]int64) {
	switch nl, io := nodeLocal(p, t), insertOnly(p, t, changes); {
	case nl != "":
		f.Effect, f.EffectWhy = EffectLocal, nl
	case io != "":
		f.Effect, f.EffectWhy = EffectInsertOnly, io
	default:
		f.EffectWhy = "business data every node needs: add a key"
	}
}

// candidateKey returns a unique index that can become the primary key.
func candidateKey(t *inspect.Table) *inspect.Index {
	for _, ix := range t.Indexes {
		if usableIdentityIndex(t, ix) {
			return ix
		}
	}
	return nil
}

// changeStatements counts, per table, the workload statements that
// UPDATE, DELETE, MERGE or upsert-update it.
func changeStatements(p *Pass) map[*inspect.Table]int64 {
	n := map[*inspect.Table]int64{}
	for _, w := range writes(p) {
		if w.Table != nil && (w.W.Op == inspect.StmtUpdate || w.W.Op == inspect.StmtDelete || w.W.Op == inspect.StmtMerge ||
			(w.W.OnConflict != nil && w.W.OnConflict.Action == "update")) {
			n[w.Table]++
		}
	}
	return n
}

// updateDeleteActivity describes the UPDATE and DELETE evidence for a
// table: "1,204 updates and 33 deletes in pg_stat_user_tables and 2
// UPDATE/DELETE statements in the workload", or "".
func updateDeleteActivity(db *inspect.Database, t *inspect.Table, changes map[*inspect.Table]int64) string {
	var parts []string
	if s := t.Stats; s != nil && s.Updates+s.Deletes > 0 {
		parts = append(parts, fmt.Sprintf("%s and %s in pg_stat_user_tables%s",
			plural(s.Updates, "update", "updates"), plural(s.Deletes, "delete", "deletes"), statsWindow(db)))
	}
	if n := changes[t]; n > 0 {
		parts = append(parts, plural(n, "UPDATE/DELETE statement", "UPDATE/DELETE statements")+" in the workload")
	}
	return strings.Join(parts, " and ")
}

// partitionKeyColumns returns the columns of a PARTITION BY clause
// ("RANGE (at)", "LIST (region, kind)") when they are all plain columns.
func partitionKeyColumns(t *inspect.Table) ([]string, bool) {
	open, end := strings.IndexByte(t.PartitionKey, '('), strings.LastIndexByte(t.PartitionKey, ')')
	if open < 0 || end <= open {
		return nil, false
	}
	var cols []string
	for _, part := range strings.Split(t.PartitionKey[open+1:end], ",") {
		names := inspect.SplitIdents(strings.TrimSpace(part))
		if len(names) != 1 || t.Column(names[0]) == nil {
			return nil, false
		}
		cols = append(cols, names[0])
	}
	return cols, len(cols) > 0
}
