package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var counterUpdate = &Rule{
	ID:       "AR602",
	Name:     "counter-update",
	Title:    "Workload increments columns in place",
	Severity: Warning,
	Category: CategoryWorkload,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `UPDATE ... SET n = n + 1 is replicated as the resulting value, not as "+1". When two nodes
increment the same row concurrently, each sends its own result (say 11), and last-update-wins keeps
one: the other increment is lost. Balances, stock levels, counters and quotas maintained this way
silently drift between nodes and away from the truth.`,
		Engines: map[string]string{
			EngineNative:    `The later update wins (update_origin_differs); one increment is lost.`,
			EnginePglogical: `Last-update-wins keeps one increment.`,
			EnginePgactive:  `Last-update-wins keeps one increment.`,
			EngineSpock:     `Delta-apply columns (log_old_value, delta_apply_function = spock.delta_apply) apply the difference instead; the column must be NOT NULL.`,
			EnginePGD:       `CRDT types (crdt_gcounter, crdt_pncounter, crdt_delta_counter, ...) merge concurrent increments.`,
		},
		Detection: `Columns the workload assigns from themselves (x = x + 1, x = x - $1, x = coalesce(x, 0) + 1),
as parse-tree facts of UPDATE, MERGE and INSERT ... ON CONFLICT DO UPDATE statements, grouped by
column with the number of statements and calls. When the schema is known, columns of json, jsonb,
text, array and similar types, whose + and - are not arithmetic, do not count: jsonb - 'key'
removes a key. Counters that hand out key values are left to id-allocator.`,
		Fix: `Record the changes instead of the running total (an append-only ledger table, summed when read),
route all increments of a row to its home node, or use the engine's conflict-free columns. This is
for totals only: a counter whose value becomes a key (UPDATE ids SET next_id = next_id + 1 ...
RETURNING, then an INSERT with it) is an id allocator, reported by id-allocator (AR206) and not
here, because delta apply makes the counter agree while two nodes still hand out the same key.

` + "```sql" + `
-- Spock (patched server): apply increments as deltas
ALTER TABLE public.accounts ALTER COLUMN balance SET NOT NULL;
ALTER TABLE public.accounts ALTER COLUMN balance SET (log_old_value = true, delta_apply_function = spock.delta_apply);
` + "```",
		Example: `UPDATE public.accounts SET balance = balance - $1 WHERE id = $2;`,
		References: []string{
			"pgEdge/spock:docs/conflicts.md, docs/conflict_types.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/conflict-management/crdt/06_crdt-implemented.mdx",
			"aws/pgactive:docs/best-practices.md",
		},
	},
	Check: func(p *Pass) {
		type agg struct {
			table string
			t     *inspect.Table
			col   string
			stmts []*inspect.Statement
			calls int64
		}
		groups := map[string]*agg{}
		allocs := map[string]bool{}
		for _, a := range idAllocators(p) {
			allocs[colObject(a.t, a.col)] = true
		}
		for _, w := range writes(p) {
			for _, col := range w.W.Increments {
				obj := refName(w.W.Table) + "." + inspect.QuoteIdent(col)
				if w.Table != nil {
					obj = colObject(w.Table, col)
					if c := w.Table.Column(col); c != nil && !countable(c.Type) {
						continue // jsonb - 'key', array || x, text || x: not a count
					}
				}
				if allocs[obj] {
					continue // it hands out keys: id-allocator
				}
				g := groups[obj]
				if g == nil {
					g = &agg{table: tableName(w.Table, w.W.Table), t: w.Table, col: col}
					groups[obj] = g
				}
				if !slices.Contains(g.stmts, w.Stmt) {
					g.stmts = append(g.stmts, w.Stmt)
					g.calls += w.Stmt.Calls
				}
			}
		}
		for _, obj := range sortedKeys(groups) {
			g := groups[obj]
			top := g.stmts[0]
			for _, s := range g.stmts {
				if s.Calls > top.Calls {
					top = s
				}
			}
			calls := ""
			if g.calls > 0 {
				calls = ", " + plural(g.calls, "call", "calls")
			}
			f := Finding{
				Object:     obj,
				ObjectKind: "column",
				Table:      g.table,
				Message: fmt.Sprintf("%s is incremented in place by %s%s, e.g. %s: concurrent increments on two nodes lose one of them",
					obj, plural(int64(len(g.stmts)), "statement", "statements"), calls, stmtText(top)),
				Fix: "Record changes in an append-only ledger, route increments of a row to its home node, or use Spock delta-apply / PGD CRDT columns.",
				Pos: top.Pos,
			}
			if g.t != nil {
				c := inspect.QuoteIdent(g.col)
				f.FixSQL = ""
				if col := g.t.Column(g.col); col != nil && !col.NotNull {
					f.FixSQL = fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n", g.t.Ident(), c)
				}
				f.FixSQL = "-- Spock (patched server): apply increments as deltas\n" + f.FixSQL +
					fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET (log_old_value = true, delta_apply_function = spock.delta_apply);", g.t.Ident(), c)
			}
			p.Report(f)
		}
	},
}

// countable reports whether a column type can hold a count: anything but
// the types whose + and - are not arithmetic (jsonb - 'key', array ||,
// text, ...). Domains over numbers, and types not known here, count.
func countable(typ string) bool {
	t := strings.ToLower(typ)
	if strings.HasSuffix(t, "[]") {
		return false
	}
	for _, p := range []string{"json", "jsonb", "text", "character varying", "varchar", "character", "char", "bytea",
		"hstore", "tsvector", "tsquery", "xml", "boolean", "inet", "cidr", "uuid", "ltree"} {
		if t == p || strings.HasPrefix(t, p+"(") {
			return false
		}
	}
	return true
}
