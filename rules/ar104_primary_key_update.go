package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var primaryKeyUpdate = &Rule{
	ID:       "AR104",
	Name:     "primary-key-update",
	Title:    "Workload updates primary-key columns",
	Severity: Warning,
	Category: CategoryKeys,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `A row is identified on every node by its key. When one node changes a key while another node
updates or deletes the same row by its old key, the second change finds no row (update_missing,
delete_missing) and is skipped, or the key change collides with a row inserted elsewhere
(update_pkey_exists). Neither can be resolved automatically and the nodes diverge. Last-update-wins
cannot compare versions of a row whose identity changed.`,
		Engines: map[string]string{
			EngineNative:    `update_missing is skipped silently; update_exists stops apply with an ERROR.`,
			EnginePglogical: `The UPDATE of a missing row is logged as update/delete conflict and skipped.`,
			EnginePgactive:  `"cannot currently perform last-update-wins conflict resolution where the PRIMARY KEY is changed"; best practice is to forbid primary-key updates.`,
			EngineSpock:     `update_missing is skipped; update_exists is not resolvable and goes to spock.exception_log.`,
			EnginePGD:       `update_pkey_exists; "we recommend strongly against allowing primary key UPDATE operations".`,
		},
		Detection: `UPDATE, MERGE ... UPDATE and INSERT ... ON CONFLICT DO UPDATE statements of the workload whose SET
list assigns a column of the table's replica identity (the primary key, or the REPLICA IDENTITY
index). Assigning the conflict column of an upsert to itself (SET id = EXCLUDED.id) is not counted.`,
		Fix: `Make keys immutable: use a surrogate key that never changes and keep the changing value in an
ordinary (possibly unique) column. When a key really must change, do it on one node only, with
writes to that row routed there.`,
		Example: `UPDATE public.accounts SET account_no = $1 WHERE account_no = $2;`,
		References: []string{
			"aws/pgactive:docs/referenceguide.md (conflicts), docs/best-practices.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx",
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
		},
	},
	Check: func(p *Pass) {
		for _, w := range writes(p) {
			if w.Table == nil || len(w.W.SetColumns) == 0 {
				continue
			}
			key := identityColumns(p, w.Table)
			for _, col := range w.W.SetColumns {
				if !containsFold(key, col) {
					continue
				}
				if oc := w.W.OnConflict; oc != nil && containsFold(oc.Columns, col) {
					continue
				}
				p.Report(Finding{
					Object:     colObject(w.Table, col),
					ObjectKind: "column",
					Table:      w.Table.QualifiedName(),
					Message:    fmt.Sprintf("%s assigns key column %s of %s: a concurrent change to the same row on another node finds no row", stmtText(w.Stmt), inspect.QuoteIdent(col), w.Table.QualifiedName()),
					Fix:        "Keep keys immutable: move the changing value to a non-key column, or route key changes for a row to one node.",
					Pos:        w.Stmt.Pos,
				})
			}
		}
	},
}
