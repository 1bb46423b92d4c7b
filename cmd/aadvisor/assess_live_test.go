package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// TestAssessLive runs 'assess --dsn' end to end on real servers: as the
// superuser it finds the shop example's hazards; as a role with no extra
// privileges it still produces a complete report (exit 0 with
// --fail-on none) whose missing evidence is listed as skipped; a wrong
// password is never echoed.
func TestAssessLive(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, v := range sandboxtest.TestVersions {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			ctx := context.Background()
			s := sandboxtest.ForTest(t, v, 1)
			n := s.Nodes[0]
			schema := readFile(t, "../../examples/shop/schema.sql")
			if err := n.Exec(ctx, "postgres", "CREATE DATABASE shop"); err != nil {
				t.Fatal(err)
			}
			for _, sql := range []string{schema,
				"CREATE EXTENSION pg_stat_statements",
				"UPDATE product_stats SET views = views + 1 WHERE product_id = 1",
				"SELECT * FROM inventory WHERE product_id = 1 FOR UPDATE",
				"CREATE ROLE reader LOGIN PASSWORD 'Sup3r-secret'",
				"GRANT CONNECT ON DATABASE shop TO reader",
			} {
				if err := n.Exec(ctx, "shop", sql); err != nil {
					t.Fatal(err)
				}
			}
			var out, errb bytes.Buffer
			code := run(ctx, []string{"assess", "--dsn", n.DSN("shop"), "--format", "json"}, nil, &out, &errb)
			if code != exitFindings {
				t.Fatalf("superuser: exit %d, want %d; stderr: %s", code, exitFindings, errb.String())
			}
			var rep struct {
				Verdict  string `json:"verdict"`
				Findings []struct {
					Name   string `json:"name"`
					Object string `json:"object"`
				} `json:"findings"`
				Skipped []struct {
					Reason string `json:"reason"`
					Fix    string `json:"fix"`
				} `json:"skipped"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			found := map[string]bool{}
			for _, f := range rep.Findings {
				found[f.Name+" "+f.Object] = true
			}
			for _, want := range []string{"missing-primary-key public.audit_log", "sequence-key public.orders.id",
				"exclusion-constraint public.deliveries.deliveries_courier_id_slot_excl", "unlogged-table public.sessions",
				"counter-update public.product_stats.views"} {
				if !found[want] {
					t.Errorf("superuser: no finding %q", want)
				}
			}
			if rep.Verdict != "NOT READY" {
				t.Errorf("verdict %q", rep.Verdict)
			}

			// An unprivileged role: complete report, skipped evidence, exit 0.
			dsn := strings.Replace(n.DSN("shop"), "postgres@", "reader:Sup3r-secret@", 1)
			out.Reset()
			errb.Reset()
			code = run(ctx, []string{"assess", "--dsn", dsn, "--format", "json", "--fail-on", "none"}, nil, &out, &errb)
			if code != exitOK {
				t.Fatalf("reader: exit %d; stderr: %s", code, errb.String())
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) == 0 {
				t.Errorf("reader: no findings")
			}
			grant := false
			for _, s := range rep.Skipped {
				if strings.Contains(s.Fix, "pg_read_all_stats") || strings.Contains(s.Fix, "GRANT") {
					grant = true
				}
			}
			if !grant {
				t.Errorf("reader: no skipped entry says which grant fixes it: %+v", rep.Skipped)
			}
			if strings.Contains(out.String()+errb.String(), "Sup3r-secret") {
				t.Errorf("password in output")
			}

			// Wrong password: runtime error, one line, password not echoed.
			out.Reset()
			errb.Reset()
			bad := strings.Replace(n.DSN("shop"), "postgres@", "reader:wr0ng-Passw0rd@", 1)
			code = run(ctx, []string{"assess", "--dsn", bad}, nil, &out, &errb)
			if code != exitRuntime {
				t.Errorf("wrong password: exit %d", code)
			}
			if strings.Contains(errb.String(), "wr0ng-Passw0rd") || strings.Count(strings.TrimSpace(errb.String()), "\n") > 0 {
				t.Errorf("wrong password: stderr %q", errb.String())
			}
		})
	}
}

// TestAssessLiveSharedNames: from PostgreSQL 18 pg_stat_statements keeps
// one entry for statements that differ only in the tables behind the same
// aliases (the query id is computed from the names), so the report says
// that the workload's calls may belong to other tables; on 15 each join
// has its entry, and the report says nothing.
func TestAssessLiveSharedNames(t *testing.T) {
	for _, v := range []int{15, 18} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			ctx := context.Background()
			node, dsn := sandboxtest.TestDatabase(t, v)
			db := dsn[strings.LastIndex(dsn, "/")+1:]
			if i := strings.IndexByte(db, '?'); i >= 0 {
				db = db[:i]
			}
			if err := node.Exec(ctx, db, `CREATE EXTENSION pg_stat_statements;
				CREATE TABLE t3 (id int PRIMARY KEY, v int); CREATE TABLE t4 (id int PRIMARY KEY, parent int, v int);
				CREATE TABLE t75 (id int PRIMARY KEY, v int); CREATE TABLE t76 (id int PRIMARY KEY, parent int, v int)`); err != nil {
				t.Fatal(err)
			}
			conn, err := node.Connect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			for i, q := range []string{
				"SELECT c.v, p.v FROM t4 c JOIN t3 p ON p.id = c.parent WHERE c.id = $1",
				"SELECT c.v, p.v FROM t76 c JOIN t75 p ON p.id = c.parent WHERE c.id = $1",
				"SELECT c.v, p.v FROM t76 c JOIN t75 p ON p.id = c.parent WHERE c.id = $1",
			} {
				if _, err := conn.Exec(ctx, q, i); err != nil {
					t.Fatal(err)
				}
			}
			var entries, calls int
			if err := conn.QueryRow(ctx, `SELECT count(*), coalesce(sum(calls), 0) FROM pg_stat_statements
				WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE 'SELECT c.v, p.v FROM %'`).
				Scan(&entries, &calls); err != nil {
				t.Fatal(err)
			}
			merged := v >= 18
			if want := map[bool]int{true: 1, false: 2}[merged]; entries != want || calls != 3 {
				t.Fatalf("PostgreSQL %d: %d pg_stat_statements entries with %d calls for the two joins, want %d with 3", v, entries, calls, want)
			}

			var out, errb bytes.Buffer
			if code := run(ctx, []string{"assess", "--dsn", dsn, "--format", "json", "--fail-on", "none"}, nil, &out, &errb); code != exitOK {
				t.Fatalf("exit %d; stderr: %s", code, errb.String())
			}
			var rep struct {
				Findings []struct {
					Name    string `json:"name"`
					Message string `json:"message"`
				} `json:"findings"`
			}
			if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
			noted := false
			for _, f := range rep.Findings {
				if f.Name == "workload-evidence" && strings.Contains(f.Message, "name tables by an alias") {
					noted = true
					if !strings.Contains(f.Message, "t4 c JOIN t3 p") {
						t.Errorf("the note's example is not the join pg_stat_statements shows: %s", f.Message)
					}
				}
			}
			if noted != merged {
				t.Errorf("PostgreSQL %d: note that calls may belong to other tables: %v, want %v", v, noted, merged)
			}
		})
	}
}
