package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var functionSearchPath = &Rule{
	ID:       "AR503",
	Name:     "function-search-path",
	Title:    "Function run on apply without a pinned search_path",
	Severity: Warning,
	Category: CategoryTriggers,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `The apply worker does not run with the application's search_path: native logical replication sets
an empty search_path for apply, and PGD "uses the system-level default search_path". A trigger
function (or a function in a CHECK constraint) that names tables or functions without a schema
works in the application's sessions and fails with "relation does not exist" when it runs on
apply, which stops replication.`,
		Engines: map[string]string{
			EngineNative:    `The apply worker runs with an empty search_path.`,
			EnginePGD:       `Apply uses the system-level default search_path; functions that depend on the session's fail.`,
			EnginePglogical: `Apply runs in its own session; the application's search_path settings do not apply.`,
		},
		Detection: `SQL and PL/pgSQL functions that are used by an enabled trigger on a replicated table, or called from
a CHECK constraint, and have no SET search_path clause (pg_proc.proconfig). Functions of ENABLE
REPLICA or ALWAYS triggers and of CHECK constraints run on apply and are warnings; those of
ordinary triggers run on apply only on PGD and are info.`,
		Fix: `Pin the search_path on the function (and schema-qualify names in its body):

` + "```sql" + `
ALTER FUNCTION public.audit() SET search_path = pg_catalog, public;
` + "```",
		Example: `CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO order_log VALUES (NEW.id); RETURN NEW; END $$;`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
			"https://www.postgresql.org/docs/current/logical-replication-security.html",
			"https://www.postgresql.org/support/security/CVE-2020-14349/ (apply runs with an empty search_path)",
		},
	},
	Check: func(p *Pass) {
		type use struct {
			onApply bool
			uses    []string
			seen    map[string]bool
		}
		uses := map[*inspect.Function]*use{}
		var order []*inspect.Function
		add := func(f *inspect.Function, onApply bool, what string) {
			if f == nil {
				return
			}
			u := uses[f]
			if u == nil {
				u = &use{seen: map[string]bool{}}
				uses[f] = u
				order = append(order, f)
			}
			u.onApply = u.onApply || onApply
			if !u.seen[what] {
				u.seen[what] = true
				u.uses = append(u.uses, what)
			}
		}
		for _, t := range replicatedTables(p.DB) {
			for _, tr := range t.Triggers {
				if tr.Enabled == inspect.TriggerDisabled {
					continue
				}
				add(userFunction(p, tr.Function), tr.Enabled == inspect.TriggerReplica || tr.Enabled == inspect.TriggerAlways,
					"trigger "+inspect.QuoteIdent(tr.Name)+" on "+t.QualifiedName())
			}
			for _, c := range t.Constraints {
				if c.Type != inspect.Check {
					continue
				}
				calls, _ := exprCalls(c.ExprFacts, c.Expression)
				for _, fn := range calls {
					add(userFunction(p, fn), true, "check constraint "+inspect.QuoteIdent(c.Name)+" on "+t.QualifiedName())
				}
			}
		}
		for _, f := range order {
			lang := strings.ToLower(f.Language)
			if lang == "c" || lang == "internal" || hasSearchPath(f) {
				continue
			}
			u := uses[f]
			usedBy := u.uses
			if len(usedBy) > 5 {
				usedBy = append(usedBy[:5:5], fmt.Sprintf("%d more", len(u.uses)-5))
			}
			sev, engines := Warning, []string(nil)
			where := "runs on apply with a different search_path"
			if !u.onApply {
				sev, engines = Info, []string{EnginePGD}
				where = "runs on apply on PGD (system default search_path)"
			}
			schema := f.Schema
			if schema == "" {
				schema = "public"
			}
			p.Report(Finding{
				Severity:   sev,
				Engines:    engines,
				Object:     f.QualifiedName(),
				ObjectKind: "function",
				Message:    fmt.Sprintf("function %s (used by %s) has no SET search_path and %s: unqualified names in it can fail and stop apply", f.QualifiedName(), strings.Join(usedBy, ", "), where),
				Fix:        "Pin the function's search_path and schema-qualify the names in its body.",
				FixSQL:     fmt.Sprintf("ALTER FUNCTION %s SET search_path = pg_catalog, %s;", functionIdent(f), inspect.QuoteIdent(schema)),
				Pos:        f.Pos,
			})
		}
	},
}

func hasSearchPath(f *inspect.Function) bool {
	for _, c := range f.Config {
		if strings.HasPrefix(strings.ToLower(strings.TrimSpace(c)), "search_path") {
			return true
		}
	}
	return false
}
