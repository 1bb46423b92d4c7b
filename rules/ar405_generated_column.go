package rules

import (
	"fmt"
)

var generatedColumn = &Rule{
	ID:       "AR405",
	Name:     "generated-column",
	Title:    "Generated column is computed on each node",
	Severity: Info,
	Category: CategoryReplicationScope,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Before PostgreSQL 18 logical replication does not publish generated columns at all: each
subscriber computes the value from its own generation expression. That is harmless while the
expressions are identical on every node, and silently diverges as soon as a migration changes the
expression on one node before the others. PostgreSQL 18 can publish stored generated columns
(publish_generated_columns = stored); virtual generated columns (18) are never published. A
subscriber whose column is generated cannot receive a published value for it.`,
		Engines: map[string]string{
			EngineNative:    `Not published before 18; on 18 stored columns with publish_generated_columns = stored, virtual never.`,
			EnginePglogical: `Generated columns are not replicated; the subscriber computes them.`,
			EnginePGD:       `Computed on each node; keep expressions identical.`,
		},
		Detection: `Columns with attgenerated set (GENERATED ALWAYS AS ... STORED or VIRTUAL). The message depends on the
target server version (the configured target, else the inspected server's).`,
		Fix: `Keep generation expressions identical on all nodes and change them on all nodes in the same
migration window. On PostgreSQL 18 you may instead publish stored generated columns (then the
subscriber's column must be an ordinary column):

` + "```sql" + `
CREATE PUBLICATION mesh FOR ALL TABLES WITH (publish_generated_columns = stored);
` + "```",
		Example: `CREATE TABLE public.items (price numeric, qty int, total numeric GENERATED ALWAYS AS (price * qty) STORED);`,
		References: []string{
			"https://www.postgresql.org/docs/18/logical-replication-gencols.html",
		},
	},
	Check: func(p *Pass) {
		v := p.Config.TargetVersion
		if v == 0 {
			v = p.DB.ServerVersion
		}
		for _, t := range replicatedTables(p.DB) {
			for _, c := range t.Columns {
				if c.Generated == "" {
					continue
				}
				var how string
				switch {
				case v == 0:
					how = "before PostgreSQL 18 it is not published and each node computes its own value; on 18 only stored columns can be published (publish_generated_columns = stored)"
				case v < 180000:
					how = fmt.Sprintf("PostgreSQL %d does not publish generated columns: each node computes its own value", v/10000)
				case c.Generated == "virtual":
					how = "virtual generated columns are never published: each node computes its own value"
				default:
					how = "it is published only with publish_generated_columns = stored; otherwise each node computes its own value"
				}
				p.Report(Finding{
					Object:     colObject(t, c.Name),
					ObjectKind: "column",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("%s is generated (%s, %s): %s; the expressions must be identical on every node", colObject(t, c.Name), c.Generated, shorten(c.GeneratedExpr, 60), how),
					Fix:        "Keep the generation expression identical on all nodes and change it everywhere in one migration window.",
					Pos:        c.Pos,
				})
			}
		}
	},
}
