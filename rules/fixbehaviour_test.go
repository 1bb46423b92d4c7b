package rules_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/inspect/sqlfile"
	"github.com/aadvisor/aadvisor/rules"
)

// TestFixSQLBehaviour runs fix SQL on tables that hold data and checks
// what it leaves behind: the per-node setval of a sequence shared by two
// tables starts above the highest value of both and above the sequence's
// own last value (it never moves a shared sequence back), and the
// per-node counters of an id allocator start above every number handed
// out, each node on its own residue. See TestFixSQLOnServer for the
// server it needs.
func TestFixSQLBehaviour(t *testing.T) {
	conn := fixServer(t)
	const schema = `
CREATE SEQUENCE public.global_id;
CREATE TABLE public.a (id bigint PRIMARY KEY DEFAULT nextval('public.global_id'));
CREATE TABLE public.b (id bigint PRIMARY KEY DEFAULT nextval('public.global_id'));
INSERT INTO public.a (id) VALUES (50);
INSERT INTO public.b (id) VALUES (100);
SELECT setval('public.global_id', 120);
CREATE TABLE public.district (d_w_id int NOT NULL, d_id int NOT NULL, d_next_o_id int NOT NULL, PRIMARY KEY (d_w_id, d_id));
CREATE TABLE public.orders (o_w_id int NOT NULL, o_d_id int NOT NULL, o_id int NOT NULL, PRIMARY KEY (o_w_id, o_d_id, o_id));
INSERT INTO public.district VALUES (1, 1, 3001), (1, 2, 17);
`
	const queries = `BEGIN;
UPDATE district SET d_next_o_id = d_next_o_id + 1 WHERE d_w_id = $1 AND d_id = $2 RETURNING d_next_o_id - 1;
INSERT INTO orders (o_w_id, o_d_id, o_id) VALUES ($1, $2, $3);
COMMIT;
`
	dir := t.TempDir()
	for name, text := range map[string]string{"schema.sql": schema, "queries.sql": queries} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db, err := sqlfile.Read(context.Background(), sqlfile.Options{Schema: []string{filepath.Join(dir, "schema.sql")},
		Queries: []string{filepath.Join(dir, "queries.sql")}})
	if err != nil {
		t.Fatal(err)
	}
	res := rules.Run(db, rules.Config{Nodes: 3}, rules.All())
	fix := map[string]string{}
	for _, f := range res.Findings {
		fix[f.RuleID+" "+f.Object] = f.FixSQL
	}
	dbname := "aadv_fix_behaviour"
	psql(t, conn, "postgres", "DROP DATABASE IF EXISTS "+dbname+" WITH (FORCE)", true)
	psql(t, conn, "postgres", "CREATE DATABASE "+dbname, true)
	t.Cleanup(func() { psql(t, conn, "postgres", "DROP DATABASE IF EXISTS "+dbname+" WITH (FORCE)", false) })
	if out, err := runPsql(conn, dbname, schema, true); err != nil {
		t.Fatalf("schema: %v\n%s", err, out)
	}

	// Node 2 of 3 runs its part of the fix for public.a.id: the next value
	// is above 120 (the sequence) and 100 (public.b), and 2 modulo 3.
	seqFix := fix["AR201 public.a.id"]
	node2 := regexp.MustCompile(`(?s)-- node 2 of 3\n(.*?)\n-- node 3`).FindStringSubmatch(seqFix)
	if node2 == nil {
		t.Fatalf("no node 2 part in the fix of public.a.id:\n%s", seqFix)
	}
	out, err := runPsql(conn, dbname, node2[1]+"\n\\pset tuples_only on\nSELECT nextval('public.global_id');", false)
	if err != nil {
		t.Fatalf("fix: %v\n%s", err, out)
	}
	var next int64
	if _, err := fmt.Sscan(lastLine(out), &next); err != nil {
		t.Fatalf("nextval: %q", out)
	}
	if next <= 120 || next%3 != 2 {
		t.Errorf("after node 2's fix nextval = %d, want above 120 (last value; public.b holds 100) and 2 modulo 3", next)
	}

	// The per-node counters start above every order number handed out.
	ctrFix := fix["AR206 public.district.d_next_o_id"]
	if ctrFix == "" {
		t.Fatalf("no fix SQL for the id allocator; findings:\n%s", render(res))
	}
	out, err = runPsql(conn, dbname, ctrFix+"\n\\pset tuples_only on\n\\pset format unaligned\nSELECT d_id, node, d_next_o_id FROM public.district_d_next_o_id ORDER BY 1, 2;", false)
	if err != nil {
		t.Fatalf("fix: %v\n%s", err, out)
	}
	want := "1|1|3004\n1|2|3005\n1|3|3006\n2|1|19\n2|2|20\n2|3|21"
	if got := strings.TrimSpace(out); !strings.HasSuffix(got, want) {
		t.Errorf("per-node counters:\n%s\nwant (d_id|node|next):\n%s", got, want)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
