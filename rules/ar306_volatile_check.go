package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var volatileCheck = &Rule{
	ID:       "AR306",
	Name:     "volatile-check",
	Title:    "CHECK constraint depends on time or a volatile function",
	Severity: Warning,
	Category: CategoryConstraints,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `CHECK constraints are evaluated again when a change is applied on the other nodes (only foreign
keys are skipped on apply). A check whose result depends on when or where it runs (created_at <=
now(), a random() sample, a user function that reads other tables) can pass on the origin and fail
on a peer that applies the row later or with a different clock. A failing check stops apply with an
ERROR; PGD warns that "any subsequent reexecution that doesn't return the same result as before
causes data divergence".`,
		Engines: map[string]string{
			EngineNative:    `A CHECK violation on apply is an ERROR that stops the subscription until resolved.`,
			EnginePglogical: `Apply stops on the violation.`,
			EnginePGD:       `CHECK is re-executed on apply; a different result causes divergence.`,
		},
		Detection: `CHECK constraints whose expression calls a volatile built-in (random, clock_timestamp, ...),
a time-dependent function or key word (now, current_timestamp, current_date, localtimestamp,
statement_timestamp, transaction_timestamp), or a user function that is not IMMUTABLE.`,
		Fix: `Move time- and data-dependent validation into a BEFORE INSERT OR UPDATE trigger (ordinary triggers
fire only on the origin node, not on apply), or into the application:

` + "```sql" + `
ALTER TABLE public.events DROP CONSTRAINT events_created_at_check;
-- and validate in a trigger or in the application instead
` + "```",
		Example: `CREATE TABLE public.events (id uuid PRIMARY KEY, created_at timestamptz CHECK (created_at <= now()));`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
			"https://www.postgresql.org/docs/current/logical-replication-conflicts.html",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			for _, c := range t.Constraints {
				if c.Type != inspect.Check || c.Expression == "" {
					continue
				}
				calls, words := exprCalls(c.ExprFacts, c.Expression)
				var bad []string
				add := func(s string) {
					if !containsFold(bad, s) {
						bad = append(bad, s)
					}
				}
				for _, fn := range calls {
					f := userFunction(p, fn)
					switch {
					case builtinVolatile[fn] || timeDependent[fn]:
						add(fn + "()")
					case f != nil && f.Volatility != "immutable":
						add(fn + "()")
					}
				}
				for _, w := range words {
					if timeDependent[w] {
						add(strings.ToUpper(w))
					}
				}
				if len(bad) == 0 {
					continue
				}
				p.Report(Finding{
					Object:     constraintObject(t, c.Name),
					ObjectKind: "constraint",
					Table:      t.QualifiedName(),
					Message: fmt.Sprintf("check constraint %s on %s uses %s in CHECK %s: it can pass on the origin and fail when another node applies the row, which stops apply",
						inspect.QuoteIdent(c.Name), t.QualifiedName(), strings.Join(bad, ", "), shorten(c.Expression, 80)),
					Fix:    "Move the time- or data-dependent check into a BEFORE trigger (fires on the origin only) or into the application.",
					FixSQL: fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s;", t.Ident(), inspect.QuoteIdent(c.Name)),
					Pos:    c.Pos,
				})
			}
		}
	},
}
