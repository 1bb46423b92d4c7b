package stmt

import (
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/aadvisor/aadvisor/inspect"
)

// AnalyzeExpressions fills Column.DefaultFacts and Constraint.ExprFacts
// (CHECK constraints) from the parsed expressions, so that the rules read
// what a default or a check calls instead of scanning its text. Both
// readers call it; an expression that does not parse keeps nil facts.
// Equal texts (now(), the same check on many tables) are parsed once and
// share their facts, which are read-only.
func AnalyzeExpressions(db *inspect.Database) {
	seen := map[string]*inspect.ExprFacts{}
	factsOf := func(expr string) *inspect.ExprFacts {
		f, ok := seen[expr]
		if !ok {
			f = ExprFactsOf(expr)
			seen[expr] = f
		}
		return f
	}
	for _, t := range db.Tables {
		for _, c := range t.Columns {
			if c.Default != "" {
				c.DefaultFacts = factsOf(c.Default)
			}
		}
		for _, c := range t.Constraints {
			if c.Type == inspect.Check && c.Expression != "" {
				c.ExprFacts = factsOf(c.Expression)
			}
		}
	}
}

// ExprFactsOf parses one expression, as pg_get_expr prints it, and
// returns the functions it calls, the SQL value functions it names and
// the sequence of its first nextval(); nil when it does not parse.
func ExprFactsOf(expr string) *inspect.ExprFacts {
	if !mayCall(expr) {
		// Nothing to call without parentheses or a value function
		// key word: 42, 'x'::text, true.
		return &inspect.ExprFacts{}
	}
	tree, err := Parse("SELECT " + expr)
	if err != nil || len(tree.GetStmts()) != 1 {
		return nil
	}
	sel := tree.GetStmts()[0].GetStmt().GetSelectStmt()
	if sel == nil || len(sel.GetTargetList()) != 1 || sel.GetFromClause() != nil {
		return nil
	}
	f := &inspect.ExprFacts{}
	seenSeq := false
	Walk(sel.GetTargetList()[0].GetResTarget().GetVal(), func(m proto.Message) bool {
		switch n := m.(type) {
		case *pg_query.FuncCall:
			_, name := FuncNameParts(n.GetFuncname())
			name = strings.ToLower(name)
			f.Calls = appendUnique(f.Calls, name)
			if name == "nextval" && !seenSeq && len(n.GetArgs()) > 0 {
				seenSeq = true
				f.NextvalSequence, _ = StringArg(n.GetArgs()[0])
			}
		case *pg_query.SQLValueFunction:
			if w, ok := sqlValueFunctions[n.GetOp()]; ok {
				f.Words = appendUnique(f.Words, strings.ToLower(w))
			}
		}
		return true
	})
	return f
}

// mayCall reports whether an expression may call a function or name a
// SQL value function: it has a parenthesis or one of their key words
// (AT TIME ZONE is a call of timezone()).
func mayCall(expr string) bool {
	if strings.IndexByte(expr, '(') >= 0 {
		return true
	}
	lower := strings.ToLower(expr)
	for _, k := range []string{"current_", "localtime", "user", "zone"} {
		if strings.Contains(lower, k) {
			return true
		}
	}
	return false
}
