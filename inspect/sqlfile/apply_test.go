package sqlfile

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/aadvisor/aadvisor/inspect"
)

// TestApplyFacts reads what the apply side meets (testdata/schema_apply.sql,
// which the parity test also reads live): row-level security as the
// ALTER TABLE and POLICY statements leave it, and the side effects of the
// functions triggers run, parsed rather than scanned (a comment is not a
// write), with the functions they call.
func TestApplyFacts(t *testing.T) {
	db, err := Read(context.Background(), Options{Schema: []string{"testdata/schema_apply.sql"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(db.Errors) > 0 {
		t.Fatalf("input errors: %v", db.Errors)
	}
	type rls struct {
		Enabled, Forced bool
		Policies        []string
	}
	gotRLS := map[string]rls{}
	for _, name := range []string{"docs", "ledger", "notes", "audit"} {
		tb := db.Table("public", name)
		gotRLS[name] = rls{tb.RowSecurity, tb.ForceRowSecurity, tb.Policies}
	}
	wantRLS := map[string]rls{
		"docs":   {Enabled: true, Policies: []string{"docs_owner", "docs_write"}},
		"ledger": {Enabled: true, Forced: true, Policies: []string{"ledger_tenant"}},
		"notes":  {},
		"audit":  {},
	}
	if diff := cmp.Diff(wantRLS, gotRLS); diff != "" {
		t.Errorf("row security (-want +got):\n%s", diff)
	}
	gotFx := map[string]*inspect.FunctionEffects{}
	for _, f := range db.Functions {
		gotFx[f.Name] = f.Effects
	}
	wantFx := map[string]*inspect.FunctionEffects{
		"docs_changed":   {Writes: []inspect.TableRef{{Name: "audit"}}, Notify: true, Calls: []string{"pg_notify", "bump_total"}},
		"bump_total":     {Writes: []inspect.TableRef{{Name: "totals"}}},
		"docs_stamp":     {},
		"ledger_forward": {Dynamic: true, Calls: []string{"format"}},
	}
	if diff := cmp.Diff(wantFx, gotFx); diff != "" {
		t.Errorf("function effects (-want +got):\n%s", diff)
	}
}
