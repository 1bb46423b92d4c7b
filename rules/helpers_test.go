package rules

import (
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/google/go-cmp/cmp"
)

func TestNextvalSequence(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{`nextval('orders_id_seq'::regclass)`, "orders_id_seq", true},
		{`nextval('public."Mixed Case_Id_seq"'::regclass)`, `public."Mixed Case_Id_seq"`, true},
		{`NEXTVAL( 'a.b')`, "a.b", true},
		{`nextval('it''s'::regclass)`, "it's", true},
		{`gen_random_uuid()`, "", false},
		{`nextval(some_function())`, "", false},
		{`nextval('unterminated`, "", false},
		{``, "", false},
	}
	for _, tt := range tests {
		got, ok := nextvalSequence(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("nextvalSequence(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestExprTokens(t *testing.T) {
	tests := []struct {
		in           string
		calls, words []string
	}{
		{`md5((random())::text)`, []string{"md5", "random"}, []string{"text"}},
		{`(created_at <= now())`, []string{"now"}, []string{"created_at"}},
		{`(day >= (CURRENT_DATE - 30))`, nil, []string{"day", "current_date"}},
		{`public.new_token()`, []string{"new_token"}, nil},
		{`"Odd"."Fn" (x)`, []string{"fn"}, []string{"x"}},
		{`'random()'::text || note`, nil, []string{"text", "note"}},
		{`'it''s' || clock_timestamp()`, []string{"clock_timestamp"}, nil},
		{`"unterminated`, nil, []string{"unterminated"}},
		{``, nil, nil},
	}
	for _, tt := range tests {
		calls, words := exprTokens(tt.in)
		if diff := cmp.Diff(tt.calls, calls); diff != "" {
			t.Errorf("exprTokens(%q) calls (-want +got):\n%s", tt.in, diff)
		}
		if diff := cmp.Diff(tt.words, words); diff != "" {
			t.Errorf("exprTokens(%q) words (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000"} {
		if got := inspect.GroupThousands(in); got != want {
			t.Errorf("count(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[time.Duration]string{10 * time.Second: "<1m", 30 * time.Minute: "30m", 5 * time.Hour: "5h", 72 * time.Hour: "3d"} {
		if got := duration(in); got != want {
			t.Errorf("duration(%v) = %q, want %q", in, got, want)
		}
	}
	if got := shorten("SELECT  *\n  FROM t", 100); got != "SELECT * FROM t" {
		t.Errorf("shorten collapsed to %q", got)
	}
	if got := shorten("abcdef", 4); got != "abc…" {
		t.Errorf("shorten cut to %q", got)
	}
	if got := plural(1, "row", "rows") + " " + plural(2, "row", "rows"); got != "1 row 2 rows" {
		t.Errorf("plural: %q", got)
	}
}

func TestSplitOwned(t *testing.T) {
	tests := []struct {
		in     string
		schema string
		rest   [2]string
	}{
		{"public.orders.id", "public", [2]string{"orders", "id"}},
		{`public."Mixed Case"."Id"`, "public", [2]string{"Mixed Case", "Id"}},
		{"orders.id", "", [2]string{"orders", "id"}},
		{"id", "", [2]string{}},
	}
	for _, tt := range tests {
		s, r := splitOwned(tt.in)
		if s != tt.schema || r != tt.rest {
			t.Errorf("splitOwned(%q) = %q, %q", tt.in, s, r)
		}
	}
}

func TestMissingEvidence(t *testing.T) {
	live := &inspect.Database{Source: inspect.SourceInfo{Kind: inspect.SourceLive},
		Skipped: []inspect.Skipped{{Evidence: inspect.EvidenceStatements, Reason: "pg_stat_statements is not installed", Fix: "CREATE EXTENSION pg_stat_statements"}}}
	reason, fix, missing := missingEvidence(live, inspect.EvidenceStatements)
	if !missing || reason != "pg_stat_statements is not installed" || fix != "CREATE EXTENSION pg_stat_statements" {
		t.Errorf("live without pg_stat_statements: %q, %q, %v", reason, fix, missing)
	}
	if _, _, missing := missingEvidence(live, inspect.EvidenceSlots); missing {
		t.Error("live database: slots reported missing without a skip record")
	}
	if _, _, missing := missingEvidence(live, inspect.EvidenceSettings); !missing {
		t.Error("live database without settings: settings not reported missing")
	}
	file := &inspect.Database{Source: inspect.SourceInfo{Kind: inspect.SourceSQL}, Workload: inspect.WorkloadInfo{StatementsSource: "file"}}
	if _, _, missing := missingEvidence(file, inspect.EvidenceStatements); missing {
		t.Error("an empty query file counts as statement evidence")
	}
	if reason, _, missing := missingEvidence(file, inspect.EvidenceSettings); !missing || reason != reasonOfflineSettings {
		t.Errorf("offline settings: %q, %v", reason, missing)
	}
	stats := &inspect.Database{Tables: []*inspect.Table{{Name: "t", Stats: &inspect.TableStats{}}}}
	if _, _, missing := missingEvidence(stats, inspect.EvidenceTableStats); missing {
		t.Error("a table with stats counts as table-statistics evidence")
	}
}

func TestColumnSequence(t *testing.T) {
	seq := &inspect.Sequence{Schema: "public", Name: "orders_id_seq", Type: "bigint", Increment: 1, OwnedBy: "public.orders.id"}
	other := &inspect.Sequence{Schema: "app", Name: "shared_seq", Type: "integer", Increment: 1}
	orders := &inspect.Table{Schema: "public", Name: "orders", Columns: []*inspect.Column{
		{Name: "id", Type: "bigint", Identity: "by default"},
		{Name: "no", Type: "integer", Default: "nextval('app.shared_seq'::regclass)"},
		{Name: "ref", Type: "bigint", Default: "nextval('missing_seq'::regclass)"},
		{Name: "note", Type: "text", Default: "'x'::text"},
	}}
	db := &inspect.Database{Tables: []*inspect.Table{orders}, Sequences: []*inspect.Sequence{seq, other}}
	tests := []struct {
		col, name, how string
		seq            *inspect.Sequence
		ok             bool
	}{
		{"id", "public.orders_id_seq", "identity (by default)", seq, true},
		{"no", "app.shared_seq", "nextval default", other, true},
		{"ref", "public.missing_seq", "nextval default", nil, true},
		{"note", "", "", nil, false},
	}
	for _, tt := range tests {
		ref, ok := columnSequence(&Pass{DB: db}, orders, orders.Column(tt.col))
		if ok != tt.ok || ref.Name != tt.name || ref.How != tt.how || ref.Seq != tt.seq {
			t.Errorf("columnSequence(%s) = %+v, %v", tt.col, ref, ok)
		}
	}
}
