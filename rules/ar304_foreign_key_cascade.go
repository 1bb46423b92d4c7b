package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var foreignKeyCascade = &Rule{
	ID:       "AR304",
	Name:     "foreign-key-cascade",
	Title:    "Foreign key with cascading actions, or across owners",
	Severity: Warning,
	Category: CategoryConstraints,
	Engines:  AllEngines,
	Effect:   EffectHome,
	Doc: Doc{
		Why: `Apply runs with session_replication_role = replica, so foreign keys are neither checked nor
acted on when changes arrive from another node; the origin's cascaded row changes are replicated
as ordinary rows instead. A parent deleted (with ON DELETE CASCADE, SET NULL or SET DEFAULT) on
node A while node B inserts a child of that parent leaves B's child dangling on every node: A's
cascade never saw it, and B's INSERT is not checked on A. ON UPDATE CASCADE adds the key-update
problem of primary-key-update.

A foreign key whose child and parent tables have different owners needs the same roles and
grants on every node (roles are not replicated), and PGD's assessment flags it ("Trigger/Reference
Privileges"): on PostgreSQL 16+ native apply runs as the table owner. A plain foreign key to a
parent that is deleted from is reported as info: the same race leaves orphans, just without the
cascade.`,
		Engines: map[string]string{
			EngineNative:    `No conflict type for foreign keys; apply runs as replica role and does not check them.`,
			EnginePglogical: `"Foreign keys constraints are not enforced for the replication process".`,
			EnginePgactive:  `Foreign-key conflicts are not detected; dangling references are possible.`,
			EngineSpock:     `Same as pglogical.`,
			EnginePGD:       `Not checked on apply; optional bdr.ri_fkey_trigger() sets orphaned references to NULL.`,
		},
		Detection: `Foreign keys with ON DELETE or ON UPDATE CASCADE, SET NULL or SET DEFAULT (warning); foreign keys
whose child and parent tables have different owners (info); other foreign keys whose parent sees
deletes in pg_stat_user_tables or in the workload (info).`,
		Fix: `Prefer soft deletes for parents (a deleted_at column, children cleaned up by a job on one node),
keep a parent and its children written on the same home node, and run a periodic orphan check:

` + "```sql" + `
SELECT c.* FROM public.order_lines c
WHERE NOT EXISTS (SELECT 1 FROM public.orders p WHERE p.id = c.order_id);
` + "```" + `

Create the same roles and grants on every node for tables owned by different roles.`,
		Example: `CREATE TABLE public.order_lines (id uuid PRIMARY KEY,
  order_id uuid REFERENCES public.orders (id) ON DELETE CASCADE);`,
		References: []string{
			"aws/pgactive:docs/referenceguide.md (Foreign Key Constraint conflicts)",
			"2ndQuadrant/pglogical:docs/README.md",
			"pgEdge/spock:docs/limitations.md (FOREIGN KEYS)",
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx",
		},
	},
	Check: checkForeignKeyCascade,
}

func cascading(a inspect.FKAction) bool {
	return a == inspect.FKCascade || a == inspect.FKSetNull || a == inspect.FKSetDefault
}

func checkForeignKeyCascade(p *Pass) {
	db := p.DB
	parentDeletes := map[*inspect.Table]string{}
	for _, w := range writes(p) {
		if w.Table != nil && (w.W.Op == inspect.StmtDelete || w.W.Op == inspect.StmtTruncate) {
			parentDeletes[w.Table] = "DELETE statements in the workload"
		}
	}
	for _, t := range db.Tables {
		if t.Stats != nil && t.Stats.Deletes > 0 && parentDeletes[t] == "" {
			parentDeletes[t] = plural(t.Stats.Deletes, "delete", "deletes") + " in pg_stat_user_tables"
		}
	}
	for _, t := range replicatedTables(db) {
		for _, c := range t.Constraints {
			if c.Type != inspect.ForeignKey {
				continue
			}
			parent := p.index().byQualified(c.RefTable)
			parentName := c.RefTable
			if parent != nil {
				parentName = parent.QualifiedName()
			}
			f := Finding{
				Object:     constraintObject(t, c.Name),
				ObjectKind: "constraint",
				Table:      t.QualifiedName(),
				Pos:        c.Pos,
			}
			var actions []string
			if cascading(c.OnDelete) {
				actions = append(actions, "ON DELETE "+strings.ToUpper(string(c.OnDelete)))
			}
			if cascading(c.OnUpdate) {
				actions = append(actions, "ON UPDATE "+strings.ToUpper(string(c.OnUpdate)))
			}
			switch {
			case len(actions) > 0:
				f.Message = fmt.Sprintf("foreign key %s (%s) -> %s has %s: apply does not run foreign-key actions, so a parent change on one node races child inserts on another and leaves orphans",
					inspect.QuoteIdent(c.Name), strings.Join(c.Columns, ", "), parentName, strings.Join(actions, " and "))
				f.Fix = "Replace cascading parent deletes with soft deletes, or write a parent and its children on the same home node; check for orphans periodically."
			case parent != nil && t.Owner != "" && parent.Owner != "" && t.Owner != parent.Owner:
				f.Severity = Info
				f.Message = fmt.Sprintf("foreign key %s references %s, owned by %s, from %s, owned by %s: both roles and their grants must exist identically on every node",
					inspect.QuoteIdent(c.Name), parentName, parent.Owner, t.QualifiedName(), t.Owner)
				f.Fix = "Create the same roles and grants on every node, or give both tables the same owner."
				p.Report(f)
				continue
			case parent != nil && parentDeletes[parent] != "":
				f.Severity = Info
				f.Message = fmt.Sprintf("foreign key %s (%s) -> %s: the parent sees %s, and a parent deleted on one node while another node inserts a child leaves an orphan (apply does not check foreign keys)",
					inspect.QuoteIdent(c.Name), strings.Join(c.Columns, ", "), parentName, parentDeletes[parent])
				f.Fix = "Prefer soft deletes for the parent, or write a parent and its children on the same home node; check for orphans periodically."
			default:
				continue
			}
			if len(c.Columns) > 0 && parent != nil {
				refCols := c.RefColumns
				if len(refCols) == 0 {
					if pk := parent.PrimaryKey(); pk != nil {
						refCols = pk.Columns
					}
				}
				if len(refCols) == len(c.Columns) {
					var on []string
					for i := range refCols {
						on = append(on, fmt.Sprintf("p.%s = c.%s", inspect.QuoteIdent(refCols[i]), inspect.QuoteIdent(c.Columns[i])))
					}
					var notNull []string
					for _, col := range c.Columns {
						notNull = append(notNull, "c."+inspect.QuoteIdent(col)+" IS NOT NULL")
					}
					f.FixSQL = fmt.Sprintf("-- orphan check, run on every node\nSELECT c.* FROM %s c\nWHERE %s\n  AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s);",
						t.Ident(), strings.Join(notNull, " AND "), parent.Ident(), strings.Join(on, " AND "))
				}
			}
			p.Report(f)
		}
	}
}
