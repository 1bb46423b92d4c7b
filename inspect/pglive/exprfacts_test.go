package pglive

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/sqlfile"
)

const exprFactsSource = "testdata/expr_facts.sql"

// wantExprFacts are the facts of testdata/expr_facts.sql: what the
// defaults and checks call, not what their text mentions.
var wantExprFacts = map[string]*inspect.ExprFacts{
	"id":              {Calls: []string{"nextval"}, NextvalSequence: `"it's"`},
	"note":            {},
	"shout":           {Calls: []string{"myfunc"}},
	"stamp":           {Calls: []string{"stamp"}},
	"created":         {Words: []string{"current_timestamp"}},
	"made":            {Calls: []string{"timezone", "now"}},
	"t_created_check": {Words: []string{"current_timestamp"}},
	"t_shout_check":   {Calls: []string{"quoted"}},
}

// exprFactsOf collects the facts of public.t's defaults and checks by
// column or constraint name.
func exprFactsOf(t *testing.T, db *inspect.Database) map[string]*inspect.ExprFacts {
	t.Helper()
	var tbl *inspect.Table
	for _, x := range db.Tables {
		if x.Schema == "public" && x.Name == "t" {
			tbl = x
		}
	}
	if tbl == nil {
		t.Fatal("table public.t not read")
	}
	got := map[string]*inspect.ExprFacts{}
	for _, c := range tbl.Columns {
		if c.Default != "" {
			got[c.Name] = c.DefaultFacts
		}
	}
	for _, c := range tbl.Constraints {
		if c.Type == inspect.Check {
			got[c.Name] = c.ExprFacts
		}
	}
	return got
}

// TestExprFacts holds both readers to the same facts of tricky defaults
// and checks.
func TestExprFacts(t *testing.T) {
	t.Run("sqlfile", func(t *testing.T) {
		db, err := sqlfile.Read(context.Background(), sqlfile.Options{Schema: []string{exprFactsSource}})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantExprFacts, exprFactsOf(t, db), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("facts (-want +got):\n%s", diff)
		}
	})
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, exprFactsSource)
		db, _ := mustRead(t, d.dsn, Options{})
		if diff := cmp.Diff(wantExprFacts, exprFactsOf(t, db), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("facts (-want +got):\n%s", diff)
		}
	})
}
