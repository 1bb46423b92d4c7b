package stmt

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
)

// unknownVariable finds the name in the PL/pgSQL grammar's complaint
// about an undeclared INTO target.
var unknownVariable = regexp.MustCompile(`"([A-Za-z_][A-Za-z0-9_$]*)" is not a known variable`)

// maxCallDepth bounds how deep ExpandCalls follows functions that call
// functions.
const maxCallDepth = 3

// ExpandCalls adds to db.Statements the statements that run inside the
// SQL and PL/pgSQL functions the workload calls, so that the rules see
// them: `SELECT add_job($1)` runs an upsert and a NOTIFY that the call
// alone does not show (found trying graphile-worker and pg-boss, whose
// work happens in functions). Each added statement carries the calls of
// its callers and Via, the function it runs in; statements of one
// function are added once, whoever calls it. Dynamic SQL (EXECUTE) is
// not followed: what it runs is not known before it runs.
func ExpandCalls(db *inspect.Database) {
	byName := map[string][]*inspect.Function{}
	for _, f := range db.Functions {
		if f.Language == "sql" || f.Language == "plpgsql" {
			byName[strings.ToLower(f.Name)] = append(byName[strings.ToLower(f.Name)], f)
		}
	}
	if len(byName) == 0 {
		return
	}
	bodies := map[*inspect.Function][]*inspect.Statement{}
	body := func(f *inspect.Function) []*inspect.Statement {
		if ins, ok := bodies[f]; ok {
			return ins
		}
		var ins []*inspect.Statement
		for _, q := range functionStatements(f) {
			ins = append(ins, &inspect.Statement{Query: q, Pos: f.Pos, Via: f.Schema + "." + f.Name})
		}
		Analyze(ins)
		bodies[f] = ins
		return ins
	}
	// Calls flow down the call graph one level at a time: the workload's
	// calls of f, then the calls f's statements make, each as often as f
	// runs. Recursion stops at maxCallDepth.
	type arrival struct {
		order []*inspect.Function
		calls map[*inspect.Function]int64
	}
	arrive := func(a *arrival, stmts []*inspect.Statement, times func(*inspect.Statement) int64) {
		for _, s := range stmts {
			if s.Facts == nil {
				continue
			}
			for _, name := range s.Facts.Functions {
				for _, f := range byName[name] {
					if _, ok := a.calls[f]; !ok {
						a.order = append(a.order, f)
					}
					a.calls[f] += times(s)
				}
			}
		}
	}
	level := &arrival{calls: map[*inspect.Function]int64{}}
	arrive(level, db.Statements, func(s *inspect.Statement) int64 { return s.Calls }) // 0: unknown (a .sql file)
	total := map[*inspect.Function]int64{}
	var order []*inspect.Function
	for depth := 1; depth <= maxCallDepth && len(level.order) > 0; depth++ {
		next := &arrival{calls: map[*inspect.Function]int64{}}
		for _, f := range level.order {
			n := level.calls[f]
			if _, ok := total[f]; !ok {
				order = append(order, f)
			}
			total[f] += n
			arrive(next, body(f), func(*inspect.Statement) int64 { return n })
		}
		level = next
	}
	for _, f := range order {
		for _, s := range bodies[f] {
			s.Calls = total[f]
			if s.Facts != nil && doesSomething(s.Facts) {
				db.Statements = append(db.Statements, s)
			}
		}
	}
}

// functionStatements lists the SQL a function's body runs: the statements
// of a SQL function, or the queries and expressions of a PL/pgSQL one.
func functionStatements(f *inspect.Function) []string {
	body := f.Body
	if strings.TrimSpace(body) == "" {
		return nil
	}
	if f.Language == "sql" {
		if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(body)), "BEGIN ATOMIC") {
			return nil // the SQL-standard body was parsed with the function; not kept apart
		}
		var out []string
		for _, sp := range SplitStatements(body) {
			if q := strings.TrimSpace(body[sp.Start:sp.End]); q != "" {
				out = append(out, q)
			}
		}
		return out
	}
	return plpgsqlStatements(f.Args, body)
}

// plpgsqlStatements compiles a PL/pgSQL body with libpg_query's copy of
// the PL/pgSQL grammar and collects its SQL. The grammar checks RETURN
// against the result type, which the model does not keep: the usual
// result types are tried in turn.
func plpgsqlStatements(args, body string) []string {
	stmts, _, _ := plpgsqlBody(args, body)
	return stmts
}

// dynamicStatements are the PL/pgSQL statements that run SQL built at
// run time (EXECUTE, FOR ... IN EXECUTE, OPEN ... FOR EXECUTE, RETURN
// QUERY EXECUTE).
var dynamicStatements = []string{`"PLpgSQL_stmt_dynexecute"`, `"PLpgSQL_stmt_dynfors"`, `"dynquery"`}

// plpgsqlBody is plpgsqlStatements that also says whether the body runs
// dynamic SQL and whether it compiled at all.
func plpgsqlBody(args, body string) (stmts []string, dynamic, ok bool) {
	quote := "$aadv$"
	for strings.Contains(body, quote) {
		quote = "$aadv" + quote[1:]
	}
	// OUT arguments are not in the identity arguments the model keeps:
	// a variable the grammar does not know is declared and tried again.
	declare := ""
	for _, returns := range []string{"record", "SETOF record", "void", "trigger"} {
		js, err := pg_query.ParsePlPgSqlToJSON("CREATE FUNCTION aadv_f(" + args + ") RETURNS " + returns +
			" LANGUAGE plpgsql AS " + quote + declare + body + quote)
		for tries := 0; err != nil && tries < 8; tries++ {
			m := unknownVariable.FindStringSubmatch(err.Error())
			if m == nil {
				break
			}
			declare += "DECLARE " + m[1] + " text; "
			js, err = pg_query.ParsePlPgSqlToJSON("CREATE FUNCTION aadv_f(" + args + ") RETURNS " + returns +
				" LANGUAGE plpgsql AS " + quote + declare + body + quote)
		}
		if err != nil {
			continue
		}
		var tree any
		if json.Unmarshal([]byte(js), &tree) != nil {
			return nil, false, false
		}
		var out []string
		collectPlpgsqlSQL(tree, &out)
		for _, d := range dynamicStatements {
			dynamic = dynamic || strings.Contains(js, d)
		}
		return out, dynamic, true
	}
	return nil, false, false
}

// collectPlpgsqlSQL gathers the query of every PLpgSQL_expr, in order:
// whole statements as they are, expressions as SELECT expr, and
// assignments as SELECT of their value.
func collectPlpgsqlSQL(v any, out *[]string) {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			collectPlpgsqlSQL(e, out)
		}
	case map[string]any:
		if e, ok := x["PLpgSQL_expr"].(map[string]any); ok {
			q, _ := e["query"].(string)
			mode, _ := e["parseMode"].(float64)
			switch mode {
			case 0: // RAW_PARSE_DEFAULT: a statement
			case 3, 4, 5: // RAW_PARSE_PLPGSQL_ASSIGN1..3: target := value (or target = value)
				if i := strings.Index(q, ":="); i >= 0 {
					q = "SELECT " + strings.TrimSpace(q[i+2:])
				} else if i := strings.IndexByte(q, '='); i >= 0 {
					q = "SELECT " + strings.TrimSpace(q[i+1:])
				}
			default: // RAW_PARSE_PLPGSQL_EXPR: an expression
				q = "SELECT " + q
			}
			if q = strings.TrimSpace(q); q != "" {
				*out = append(*out, q)
			}
			return
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // JSON objects have no order; statements keep theirs through arrays
		for _, k := range keys {
			collectPlpgsqlSQL(x[k], out)
		}
	}
}

// doesSomething leaves out a function's plain expressions (IF x > 5,
// RETURN v) that read no table and call no function.
func doesSomething(f *inspect.StatementFacts) bool {
	return f.Kind != inspect.StmtSelect || len(f.Reads) > 0 || len(f.Functions) > 0 || f.RowLock != "" || len(f.MaxPlusOne) > 0
}

// AnalyzeTriggerFunctions fills Function.Effects for the functions
// triggers run, and for the user functions those call (maxCallDepth
// deep): the tables their bodies write, NOTIFY, the functions they call,
// dynamic SQL. Both readers call it, so the rules see the same facts
// offline and live. Functions no trigger reaches are left alone.
func AnalyzeTriggerFunctions(db *inspect.Database) {
	byName := map[string][]*inspect.Function{}
	for _, f := range db.Functions {
		byName[strings.ToLower(f.Name)] = append(byName[strings.ToLower(f.Name)], f)
	}
	find := func(name string) []*inspect.Function {
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
		parts := inspect.SplitIdents(strings.TrimSpace(name))
		if len(parts) == 0 {
			return nil
		}
		var out []*inspect.Function
		for _, f := range byName[strings.ToLower(parts[len(parts)-1])] {
			if len(parts) == 1 || f.Schema == parts[len(parts)-2] {
				out = append(out, f)
			}
		}
		return out
	}
	var level []*inspect.Function
	for _, t := range db.Tables {
		for _, tg := range t.Triggers {
			level = append(level, find(tg.Function)...)
		}
	}
	done := map[*inspect.Function]bool{}
	for depth := 0; depth <= maxCallDepth && len(level) > 0; depth++ {
		var next []*inspect.Function
		for _, f := range level {
			if done[f] {
				continue
			}
			done[f] = true
			f.Effects = functionEffects(f)
			if f.Effects == nil {
				continue
			}
			for _, c := range f.Effects.Calls {
				next = append(next, byName[c]...)
			}
		}
		level = next
	}
}

// functionEffects analyses one body; nil when the body is not known.
func functionEffects(f *inspect.Function) *inspect.FunctionEffects {
	if strings.TrimSpace(f.Body) == "" {
		return nil
	}
	e := &inspect.FunctionEffects{}
	var queries []string
	switch f.Language {
	case "sql":
		queries = functionStatements(f)
		e.Unparsed = len(queries) == 0
	case "plpgsql":
		var ok bool
		queries, e.Dynamic, ok = plpgsqlBody(f.Args, f.Body)
		e.Unparsed = !ok
	default:
		e.Unparsed = true
	}
	stmts := make([]*inspect.Statement, len(queries))
	for i, q := range queries {
		stmts[i] = &inspect.Statement{Query: q}
	}
	Analyze(stmts)
	for _, s := range stmts {
		if s.Facts == nil {
			e.Unparsed = true
			continue
		}
		for _, w := range s.Facts.Writes {
			if !slices.Contains(e.Writes, w.Table) {
				e.Writes = append(e.Writes, w.Table)
			}
		}
		e.Notify = e.Notify || s.Facts.Notify
		for _, c := range s.Facts.Functions {
			e.Calls = appendUnique(e.Calls, c)
		}
	}
	return e
}
