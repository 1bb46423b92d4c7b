package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var keyReuse = &Rule{
	ID:       "AR106",
	Name:     "key-reuse",
	Title:    "Deleted keys can be inserted again",
	Severity: Warning,
	Category: CategoryKeys,
	Engines:  AllEngines,
	Effect:   EffectHome,
	Doc: Doc{
		Why: `When a key value can come back after its row was deleted (a natural key chosen by the
application, a join table whose rows are deleted and re-created, an upsert that re-inserts a
key), the DELETE on one node and the new INSERT of the same key on another node race. Node A
deletes k while node B re-inserts k: B then applies A's DELETE and removes the new row, while A
keeps B's INSERT. With three or more nodes the INSERT can even overtake the DELETE that
preceded it. This is the "ABA" key-reuse anomaly; no engine resolves it because both changes
are valid on their own.`,
		Engines: map[string]string{
			EngineNative:    `The late DELETE removes the new row on some nodes only; nothing is logged.`,
			EnginePglogical: `Same; last-update-wins does not order a DELETE against a later INSERT of the same key.`,
			EnginePgactive:  `INSERT/DELETE anomalies leave "different data on different nodes".`,
			EngineSpock:     `Same divergence; delete_missing is skipped.`,
			EnginePGD:       `Documented under "Conflicts with three or more nodes"; the advice is to never reuse keys.`,
		},
		Detection: `A table with a primary key that is both inserted into and deleted from (pg_stat_user_tables
n_tup_ins and n_tup_del, or INSERT and DELETE statements in the workload), where either the
primary key has no generated default (the application chooses the key values), or the workload
upserts on the primary key (INSERT ... ON CONFLICT (pk)), which re-creates deleted keys.`,
		Fix: `Never reuse keys: give such rows a generated surrogate key (UUID or snowflake) and keep the natural
key as a unique column written on one home node, or replace DELETE by a soft delete (a deleted_at
column) so the key stays taken. For join tables, route changes of one parent's links to one node.

` + "```sql" + `
ALTER TABLE public.user_roles ADD COLUMN deleted_at timestamptz;
-- DELETE becomes: UPDATE public.user_roles SET deleted_at = now() WHERE ...
` + "```",
		Example: `CREATE TABLE public.user_roles (user_id bigint, role_id bigint, PRIMARY KEY (user_id, role_id));
-- DELETE FROM user_roles WHERE user_id = $1; INSERT INTO user_roles VALUES ($1, $2);`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx",
			"aws/pgactive:docs/referenceguide.md",
		},
	},
	Check: checkKeyReuse,
}

func checkKeyReuse(p *Pass) {
	db := p.DB
	if !p.needAny(inspect.EvidenceTableStats, inspect.EvidenceStatements) {
		return
	}
	act := workloadActivity(p)
	upserts := map[*inspect.Table]*inspect.Statement{}
	for _, w := range writes(p) {
		if w.Table == nil || w.W.OnConflict == nil {
			continue
		}
		if ix := conflictIndex(w.Table, w.W.OnConflict); ix != nil && ix.Primary && upserts[w.Table] == nil {
			upserts[w.Table] = w.Stmt
		}
	}
	for _, t := range replicatedTables(db) {
		pk := t.PrimaryKey()
		if pk == nil {
			continue
		}
		var inserts, deletes []string
		if s := t.Stats; s != nil {
			if s.Inserts > 0 {
				inserts = append(inserts, plural(s.Inserts, "insert", "inserts"))
			}
			if s.Deletes > 0 {
				deletes = append(deletes, plural(s.Deletes, "delete", "deletes"))
			}
		}
		if a := act[t]; a != nil {
			if a.insertStmts > 0 {
				inserts = append(inserts, plural(int64(a.insertStmts), "INSERT statement", "INSERT statements"))
			}
			if a.deleteStmts > 0 {
				deletes = append(deletes, plural(int64(a.deleteStmts), "DELETE statement", "DELETE statements"))
			}
		}
		if len(inserts) == 0 || len(deletes) == 0 {
			continue
		}
		natural := true
		for _, c := range pk.Columns {
			if col := t.Column(c); col == nil || col.Default != "" || col.Identity != "" || col.Generated != "" {
				natural = false
			}
		}
		var how string
		switch {
		case upserts[t] != nil:
			how = fmt.Sprintf("the workload upserts on the primary key (%s)", stmtText(upserts[t]))
		case natural:
			how = fmt.Sprintf("its primary key (%s) has no generated default, so the application chooses key values", strings.Join(pk.Columns, ", "))
		default:
			continue
		}
		p.Report(Finding{
			Object:     t.QualifiedName(),
			ObjectKind: "table",
			Table:      t.QualifiedName(),
			Message: fmt.Sprintf("%s sees %s and %s, and %s: a key deleted on one node and inserted again on another leaves the row on some nodes only",
				t.QualifiedName(), strings.Join(inserts, " / "), strings.Join(deletes, " / "), how),
			Fix: "Never reuse keys: use a generated surrogate key, or a soft delete that keeps the key taken, or route changes of one key to one node.",
			Pos: t.Pos,
		})
	}
}

// conflictIndex resolves the arbiter of INSERT ... ON CONFLICT to a
// unique index of the table: by constraint name or by its column list.
// It returns nil when the target is missing or unknown.
func conflictIndex(t *inspect.Table, oc *inspect.OnConflict) *inspect.Index {
	for _, ix := range t.UniqueIndexes() {
		if oc.Constraint != "" {
			if ix.Constraint == oc.Constraint || ix.Name == oc.Constraint {
				return ix
			}
			continue
		}
		if len(oc.Columns) > 0 && sameColumns(ix.Columns, oc.Columns) {
			return ix
		}
	}
	return nil
}

// sameColumns compares column sets, ignoring order and case.
func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !containsFold(b, x) {
			return false
		}
	}
	return true
}
