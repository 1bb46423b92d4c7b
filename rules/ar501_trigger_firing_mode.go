package rules

import (
	"fmt"
	"slices"
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
		Detection: `User triggers on replicated tables, by pg_trigger.tgenabled, with what their functions do outside
their row: the tables they write, NOTIFY, calls out of the database (dblink, http and pg_net,
pg_background, lo_export, ...) and dynamic SQL, read from the parse trees of the function bodies
(SQL and PL/pgSQL) and of the user functions they call, a few levels deep. ALWAYS triggers are
warnings. Ordinary triggers, which do not fire when other nodes apply the change, are warnings when
their side effects stay on the node that fired them (NOTIFY, calls out, writes to tables that are
not replicated, dynamic SQL) and info when they only write replicated tables (those writes
replicate from the origin). REPLICA triggers are info. Disabled triggers, and ordinary triggers
with no side effects (a BEFORE trigger that only changes NEW), are not reported.`,
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
				if tr.Enabled == inspect.TriggerDisabled {
					continue
				}
				fn := userFunction(p, tr.Function)
				fx := triggerEffects(p, fn)
				obj := constraintObject(t, tr.Name)
				f := Finding{Object: obj, ObjectKind: "trigger", Table: t.QualifiedName(), Pos: tr.Pos}
				desc := fmt.Sprintf("trigger %s on %s (%s %s, function %s)", inspect.QuoteIdent(tr.Name), t.QualifiedName(), tr.Timing, strings.Join(tr.Events, "/"), tr.Function)
				eff := ""
				if all := fx.all(); len(all) > 0 {
					eff = "; its function " + andList(all)
				}
				switch tr.Enabled {
				case inspect.TriggerAlways:
					f.Message = fmt.Sprintf("%s is ENABLE ALWAYS%s: it fires on the origin and again on every node that applies the change", desc, eff)
					f.Fix = "Make the trigger ordinary (origin only) unless it is idempotent and must run on every node."
					f.FixSQL = fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s;", t.Ident(), inspect.QuoteIdent(tr.Name))
				case inspect.TriggerReplica:
					f.Severity = Info
					f.Message = fmt.Sprintf("%s is ENABLE REPLICA%s: it fires only for changes applied from other nodes, not for local writes", desc, eff)
					f.Fix = "Check that the trigger is meant to run only on apply."
				default:
					switch {
					case len(fx.local) > 0:
						f.Message = fmt.Sprintf("%s does not fire when other nodes apply the change; its function %s: that happens on the node where the write is made and nowhere else%s",
							desc, andList(fx.local), replicatedToo(fx))
						f.Fix = "Decide where the side effect must happen: keep it in this trigger if once, on the origin, is right; add an ENABLE REPLICA trigger (or ALWAYS, made idempotent) if every node needs it; or move it to the application."
					case len(fx.replicated) > 0:
						f.Severity = Info
						f.Message = fmt.Sprintf("%s does not fire when other nodes apply the change; its function %s, which replicates from the origin; if the change loses a conflict on another node, the derived rows stay", desc, andList(fx.replicated))
						f.Fix = "Keep derived writes to replicated tables in this ordinary trigger."
					default:
						continue // nothing outside its row (a BEFORE trigger that only changes NEW)
					}
				}
				p.Report(f)
			}
		}
	},
}

// callsOut are functions that act outside the database (by prefix).
var callsOut = []string{"dblink", "http", "pg_background", "lo_export", "pg_file_write", "query_export_to_s3", "pgsql_http"}

// trigEffects sorts what a trigger function does outside its row into
// side effects that stay on the node (local) and writes that replicate.
type trigEffects struct {
	local, replicated []string
}

func (e trigEffects) all() []string { return append(slices.Clone(e.local), e.replicated...) }

func replicatedToo(e trigEffects) string {
	if len(e.replicated) == 0 {
		return ""
	}
	return "; it also " + andList(e.replicated) + ", which replicates from the origin"
}

// triggerEffects follows a trigger function and the user functions it
// calls (a few levels deep) and describes their side effects.
func triggerEffects(p *Pass, fn *inspect.Function) trigEffects {
	var out trigEffects
	seen := map[*inspect.Function]bool{}
	add := func(list *[]string, s string) {
		if !slices.Contains(*list, s) {
			*list = append(*list, s)
		}
	}
	var visit func(f *inspect.Function, via string, depth int)
	visit = func(f *inspect.Function, via string, depth int) {
		if f == nil || seen[f] || depth > 3 {
			return
		}
		seen[f] = true
		suffix := ""
		if via != "" {
			suffix = " (through " + via + ")"
		}
		fx := f.Effects
		if fx == nil {
			// Not analysed (a model from elsewhere): scan the body.
			writes, notify := bodyEffects(f)
			if writes {
				add(&out.replicated, "writes to tables"+suffix)
			}
			if notify {
				add(&out.local, "sends NOTIFY"+suffix)
			}
			return
		}
		for _, w := range fx.Writes {
			t := p.index().ref(w)
			switch {
			case t == nil:
				add(&out.local, "writes "+refName(w)+" (not in the schema: a temporary table or one created elsewhere)"+suffix)
			case t.Persistence == inspect.Unlogged || t.Persistence == inspect.Temporary:
				add(&out.local, "writes "+t.QualifiedName()+" ("+string(t.Persistence)+": not replicated)"+suffix)
			case t.Kind == inspect.RelForeign:
				add(&out.local, "writes "+t.QualifiedName()+" (a foreign table)"+suffix)
			default:
				add(&out.replicated, "writes "+t.QualifiedName()+suffix)
			}
		}
		if fx.Notify {
			add(&out.local, "sends NOTIFY"+suffix)
		}
		if fx.Dynamic {
			add(&out.local, "runs dynamic SQL (EXECUTE), which is not followed"+suffix)
		}
		for _, c := range fx.Calls {
			if slices.ContainsFunc(callsOut, func(prefix string) bool { return strings.HasPrefix(c, prefix) }) {
				add(&out.local, "calls "+c+" (outside the database)"+suffix)
				continue
			}
			if callee := userFunction(p, c); callee != nil && callee != f {
				visit(callee, callee.QualifiedName(), depth+1)
			}
		}
	}
	visit(fn, "", 0)
	return out
}

// bodyEffects scans a function body for writes and notifications, for
// models whose functions were not analysed (Function.Effects nil). It is
// a token scan, not a parse: dynamic SQL in strings is not seen.
func bodyEffects(fn *inspect.Function) (writes, notify bool) {
	if fn == nil || fn.Body == "" {
		return false, false
	}
	calls, words := exprTokens(fn.Body)
	has := func(list []string, w string) bool { return containsFold(list, w) }
	writes = (has(words, "insert") && has(words, "into")) || (has(words, "update") && has(words, "set")) || (has(words, "delete") && has(words, "from"))
	return writes, has(words, "notify") || has(calls, "pg_notify")
}
