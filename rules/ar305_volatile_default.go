package rules

import (
	"fmt"
	"strings"
)

var volatileDefault = &Rule{
	ID:       "AR305",
	Name:     "volatile-default",
	Title:    "Column default calls a volatile function",
	Severity: Info,
	Category: CategoryConstraints,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `A default is evaluated where the row is inserted and the value is replicated, so ordinary
inserts are fine. The default is evaluated separately on each node when it is not: DDL is not
replicated by native replication and pglogical, so ALTER TABLE ... ADD COLUMN with a volatile
default (random(), clock_timestamp(), gen_random_uuid()) run on each node fills existing rows with
different values on every node, and a column that exists only on a subscriber is filled with its
default there. pglogical also disables batched inserts on tables with volatile defaults.`,
		Engines: map[string]string{
			EngineNative:    `Columns missing from the publisher's row are "filled with their default values" on the subscriber.`,
			EnginePglogical: `Batch inserts are disabled for tables with volatile default expressions.`,
			EnginePGD:       `Replicated DDL re-executes the default on every node; divergence on ADD COLUMN.`,
		},
		Detection: `Column defaults that call a volatile built-in (random, clock_timestamp, timeofday, gen_random_uuid,
uuid_generate_*, uuidv4/uuidv7, txid_current, pg_current_xact_id) or a user function that is
VOLATILE (the default volatility). nextval() is left to sequence-key. UUID generators on
replica-identity columns are not reported: unique-by-construction keys are the recommended fix
for sequences.`,
		Fix: `Keep schemas identical on all nodes, and add such columns on one node and copy the values (or add
the column without the default, backfill from one node, then set the default):

` + "```sql" + `
ALTER TABLE public.tokens ADD COLUMN salt text;          -- on every node
UPDATE public.tokens SET salt = md5(random()::text);     -- on one node only; replicated
ALTER TABLE public.tokens ALTER COLUMN salt SET DEFAULT md5(random()::text);  -- on every node
` + "```",
		Example: `CREATE TABLE public.tokens (id uuid PRIMARY KEY, salt text DEFAULT md5(random()::text));`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-subscription.html",
			"2ndQuadrant/pglogical:docs/README.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			key := identityColumns(p, t)
			for _, c := range t.Columns {
				if c.Default == "" {
					continue
				}
				calls, _ := exprCalls(c.DefaultFacts, c.Default)
				var vol []string
				for _, fn := range calls {
					if fn == "nextval" {
						continue
					}
					if uuidGenerators[fn] && containsFold(key, c.Name) {
						continue
					}
					if (builtinVolatile[fn] || volatileUserFunction(p, fn)) && !containsFold(vol, fn+"()") {
						vol = append(vol, fn+"()")
					}
				}
				if len(vol) == 0 {
					continue
				}
				p.Report(Finding{
					Object:     colObject(t, c.Name),
					ObjectKind: "column",
					Table:      t.QualifiedName(),
					Message: fmt.Sprintf("the default of %s, %s, calls volatile %s: values differ per node wherever the default is evaluated on each node (ADD COLUMN run per node, subscriber-only columns)",
						colObject(t, c.Name), shorten(c.Default, 60), strings.Join(vol, ", ")),
					Fix: "Keep schemas identical and add columns with volatile defaults on one node, backfilling through replication.",
					Pos: c.Pos,
				})
			}
		}
	},
}
