package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var rewriteRule = &Rule{
	ID:       "AR502",
	Name:     "rewrite-rule",
	Title:    "Rewrite rule on a table",
	Severity: Info,
	Category: CategoryTriggers,
	Engines:  AllEngines,
	Effect:   EffectNone,
	Doc: Doc{
		Why: `Rules rewrite the statement on the node that runs it; apply works row by row below the rewriter,
so rules never fire for changes arriving from other nodes ("rules execute only on the origin
node", PGD). What a rule does to replicated tables is replicated as rows, but anything else it does
(calling functions, writing to unpublished tables) happens on the origin only, and DO INSTEAD rules
make the table's contents depend on which path wrote them.`,
		Engines: map[string]string{
			EnginePGD:       `Rules execute only on the origin node.`,
			EngineNative:    `Apply does not go through the rewriter.`,
			EnginePglogical: `Apply does not go through the rewriter.`,
		},
		Detection: `pg_rewrite rows other than a view's _RETURN rule, on tables and views of the application.`,
		Fix: `Replace rules with triggers (whose firing mode you can choose) or with views:

` + "```sql" + `
DROP RULE orders_log ON public.orders;
` + "```",
		Example: `CREATE RULE orders_log AS ON INSERT TO public.orders DO ALSO INSERT INTO public.order_log VALUES (NEW.id);`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, t := range p.DB.Tables {
			if inspect.SystemSchema(t.Schema) {
				continue
			}
			for _, r := range t.Rules {
				kind := "DO ALSO"
				if r.Instead {
					kind = "DO INSTEAD"
				}
				p.Report(Finding{
					Object:     constraintObject(t, r.Name),
					ObjectKind: "rule",
					Table:      t.QualifiedName(),
					Message:    fmt.Sprintf("rule %s (ON %s %s) on %s runs only on the node that executes the statement, never on apply", inspect.QuoteIdent(r.Name), strings.ToUpper(r.Event), kind, t.QualifiedName()),
					Fix:        "Replace the rule with a trigger or a view.",
					FixSQL:     fmt.Sprintf("DROP RULE %s ON %s;  -- after creating the replacement trigger", inspect.QuoteIdent(r.Name), t.Ident()),
					Pos:        r.Pos,
				})
			}
		}
	},
}
