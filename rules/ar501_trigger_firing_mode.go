package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var triggerFiringMode = &Rule{
	ID:       "AR501",
	Name:     "trigger-firing-mode",
	Title:    "Trigger behaves differently on apply",
	Severity: Warning,
	Category: CategoryTriggers,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Apply runs with session_replication_role = replica. Ordinary triggers (ENABLE, firing mode
"origin") do not fire for changes that arrive from another node, ENABLE REPLICA triggers fire only
for them, and ENABLE ALWAYS triggers fire for both.

- An ALWAYS trigger that writes to a replicated table writes on every node: the origin's derived
  row is replicated and each peer derives it again, so counters are bumped twice and audit rows
  duplicated (or collide).
- An ordinary trigger's derived writes to replicated tables are fine (they replicate from the
  origin), but its side effects that are not replicated (NOTIFY, writes to unlogged or unpublished
  tables, calls to other systems) happen on the origin node only.
- PGD does not run statement-level and column-specific UPDATE triggers on apply.`,
		Engines: map[string]string{
			EngineNative:    `Apply uses session_replication_role = replica; only REPLICA and ALWAYS triggers fire.`,
			EnginePglogical: `Same; documented under "Triggers".`,
			EnginePgactive:  `Same.`,
			EngineSpock:     `Same.`,
			EnginePGD:       `Row triggers fire per firing mode; statement-level and column-specific UPDATE triggers are not executed on apply.`,
		},
		Detection: `User triggers on replicated tables, by pg_trigger.tgenabled: ALWAYS triggers are warnings; REPLICA
triggers, and ordinary AFTER triggers or triggers whose function body contains INSERT, UPDATE,
DELETE or NOTIFY, are info. The body check is a token scan of the function source (not a parse),
so dynamic SQL is not seen. Disabled triggers and ordinary BEFORE row triggers that only change
NEW are not reported.`,
		Fix: `Decide per trigger where it must run. Keep derived writes to replicated tables in ordinary triggers
(they replicate from the origin); make ALWAYS triggers idempotent or turn them back into ordinary
ones; move node-local side effects to a REPLICA trigger on the receiving side if every node must
see them:

` + "```sql" + `
ALTER TABLE public.orders ENABLE TRIGGER orders_audit;   -- ordinary (origin only)
` + "```",
		Example: `CREATE TRIGGER orders_audit AFTER INSERT ON public.orders FOR EACH ROW EXECUTE FUNCTION audit();
ALTER TABLE public.orders ENABLE ALWAYS TRIGGER orders_audit;`,
		References: []string{
			"2ndQuadrant/pglogical:docs/README.md (Triggers)",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/appusage/behavior.mdx",
			"https://www.postgresql.org/docs/current/sql-altertable.html (ENABLE REPLICA / ALWAYS TRIGGER)",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			for _, tr := range t.Triggers {
				fn := userFunction(p, tr.Function)
				effects := bodyEffects(fn)
				obj := constraintObject(t, tr.Name)
				f := Finding{Object: obj, ObjectKind: "trigger", Table: t.QualifiedName(), Pos: tr.Pos}
				desc := fmt.Sprintf("trigger %s on %s (%s %s, function %s)", inspect.QuoteIdent(tr.Name), t.QualifiedName(), tr.Timing, strings.Join(tr.Events, "/"), tr.Function)
				eff := ""
				if len(effects) > 0 {
					eff = "; its function " + strings.Join(effects, " and ")
				}
				switch tr.Enabled {
				case inspect.TriggerDisabled:
					continue
				case inspect.TriggerAlways:
					f.Message = fmt.Sprintf("%s is ENABLE ALWAYS%s: it fires on the origin and again on every node that applies the change", desc, eff)
					f.Fix = "Make the trigger ordinary (origin only) unless it is idempotent and must run on every node."
					f.FixSQL = fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s;", t.Ident(), inspect.QuoteIdent(tr.Name))
				case inspect.TriggerReplica:
					f.Severity = Info
					f.Message = fmt.Sprintf("%s is ENABLE REPLICA%s: it fires only for changes applied from other nodes, not for local writes", desc, eff)
					f.Fix = "Check that the trigger is meant to run only on apply."
				default:
					if strings.EqualFold(tr.Timing, "before") && len(effects) == 0 {
						continue
					}
					if len(effects) == 0 && fn == nil {
						continue
					}
					f.Severity = Info
					f.Message = fmt.Sprintf("%s fires only where the write happens, not when other nodes apply it%s: side effects that are not replicated (NOTIFY, unlogged or unpublished tables, external calls) happen on the origin only", desc, eff)
					f.Fix = "Keep derived writes to replicated tables in this ordinary trigger; move node-local side effects elsewhere."
				}
				p.Report(f)
			}
		}
	},
}

// bodyEffects scans a function body for writes and notifications. It is a
// token scan, not a parse: dynamic SQL in strings is not seen.
func bodyEffects(fn *inspect.Function) []string {
	if fn == nil || fn.Body == "" {
		return nil
	}
	calls, words := exprTokens(fn.Body)
	has := func(list []string, w string) bool { return containsFold(list, w) }
	var out []string
	if (has(words, "insert") && has(words, "into")) || (has(words, "update") && has(words, "set")) || (has(words, "delete") && has(words, "from")) {
		out = append(out, "writes to tables")
	}
	if has(words, "notify") || has(calls, "pg_notify") {
		out = append(out, "sends NOTIFY")
	}
	return out
}
