package stmt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/inspect/benchgen"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

// jsonPathStatements reach every rule of the JSON path: each must be
// handled there (not sent to the protobuf path) and give the same facts.
var jsonPathStatements = []string{
	"SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1",
	"UPDATE counters SET value = value + $1, updated_at = now() WHERE name = $2",
	"UPDATE t SET a = coalesce(a, 0) - 1, b = 1 + b, c = c::int + 1, d = x.d + 1 FROM x",
	"UPDATE t SET (a, b) = (a + 1, $1), (c) = (SELECT 1)",
	"UPDATE t SET (a, b) = ROW(b + 1, a + 2)",
	"INSERT INTO events (id, n) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET n = events.n + excluded.n",
	"INSERT INTO s.t (a, b) VALUES (1, 2) ON CONFLICT (a, b) DO NOTHING",
	"INSERT INTO t VALUES (1) ON CONFLICT ON CONSTRAINT t_pkey DO UPDATE SET n = excluded.n",
	"INSERT INTO t (id) VALUES ((SELECT max(id) FROM t) + 1)",
	"INSERT INTO t (id) SELECT coalesce(max(id), 0) + 1 FROM t",
	"SELECT max(x.id) + 1 FROM s.t x",
	"SELECT 1 + max(id) FROM t",
	"SELECT max(t.id) + 1 FROM t, u",
	"SELECT * FROM jobs WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
	"SELECT * FROM a JOIN b USING (id) FOR SHARE OF a FOR KEY SHARE OF b",
	"SELECT * FROM a FOR NO KEY UPDATE NOWAIT",
	"DELETE FROM sessions WHERE expires_at < now() - $1::interval",
	"WITH x AS (UPDATE stock SET qty = qty - $1 WHERE sku = $2 RETURNING sku) INSERT INTO audit (sku) SELECT sku FROM x",
	"WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r, s.r",
	"SELECT pg_notify($1, $2), nextval('seq'), nextval('s.\"Seq\"'::regclass), setval($1, 5), currval('x')",
	"SELECT pg_advisory_xact_lock($1), pg_try_advisory_lock(1, 2)",
	"SELECT lo_import('/tmp/x'), loread(1, 2), lowrite(1, 'x')",
	"SELECT set_config('default_transaction_isolation', 'serializable', false)",
	"SELECT set_config('transaction_isolation', 'SERIALIZABLE'::text, true)",
	"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET (a, b) = (a + 1, 2) WHEN NOT MATCHED THEN INSERT VALUES (s.id)",
	"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED AND s.x THEN DELETE",
	"TRUNCATE a, s.b RESTART IDENTITY CASCADE",
	"TRUNCATE ONLY a",
	"LOCK TABLE x, s.y IN SHARE ROW EXCLUSIVE MODE NOWAIT",
	"LOCK x",
	"LISTEN chan", "UNLISTEN *", "NOTIFY chan, 'payload'",
	"BEGIN ISOLATION LEVEL SERIALIZABLE; UPDATE t SET a = 1; COMMIT",
	"START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
	"SET default_transaction_isolation = 'serializable'",
	"SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
	"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SHOW work_mem", "RESET ALL",
	"COPY t (a, b) FROM STDIN", "COPY t TO STDOUT", "COPY (SELECT * FROM t) TO STDOUT",
	"CALL p($1, 'x')",
	"SELECT * FROM (VALUES (1), (max(2) + 1)) v(x)",
	`SELECT "Weird Col" FROM "Odd"."Table" WHERE "x" = 'it''s \ here' AND y = E'\\n\u00e9\t'`,
	"SELECT 'ünïcødé', '😀' FROM t",
	"SELECT $1::jsonb -> 'a', ARRAY[1,2], (1, 2)::record, x IS NOT NULL, CASE WHEN a THEN b END FROM t",
	"SELECT count(*) FILTER (WHERE a) OVER (PARTITION BY b ORDER BY c) FROM t GROUP BY CUBE (a, b)",
	"SELECT * FROM t WHERE id IN (SELECT id FROM u WHERE EXISTS (SELECT 1 FROM v))",
	"UPDATE a SET x = 1 FROM b WHERE a.id = b.id RETURNING a.*",
	"DELETE FROM a USING b WHERE a.id = b.id",
	"SELECT 1; SELECT 2; UPDATE t SET a = a + 1",
	"UPDATE district SET d_next_o_id = d_next_o_id + 1 WHERE d_id = $1 RETURNING d_next_o_id - 1 AS o_id, district.*",
	"INSERT INTO orders (o_id, o_d_id) VALUES ($1, $2) RETURNING o_id; DELETE FROM q RETURNING *",
	"SELECT d.d_next_o_id, (SELECT max(x) FROM t) FROM district d UNION SELECT u.* FROM u",
	"", "-- only a comment", ";",
	// PostgreSQL's own foreign-key queries (Internal), and look-alikes.
	`SELECT $2 FROM ONLY "pgboss"."queue" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`,
	`DELETE FROM ONLY "public"."child" WHERE $1 OPERATOR(pg_catalog.=) "parent_id"`,
	`UPDATE ONLY "public"."child" SET "parent_id" = NULL WHERE $1 OPERATOR(pg_catalog.=) "parent_id"`,
	`SELECT 1 FROM ONLY a x WHERE id = $1 FOR KEY SHARE OF x`,
	`SELECT 1 FROM a x WHERE id OPERATOR(pg_catalog.=) $1`,
}

// fallbackStatements go to the protobuf path.
var fallbackStatements = []string{
	"CREATE TABLE t (id int PRIMARY KEY)",
	"ALTER DATABASE d SET default_transaction_isolation = 'serializable'",
	"SELECT * INTO t2 FROM t",
	"EXPLAIN ANALYZE UPDATE t SET a = a + 1",
	"EXPLAIN SELECT 1",
	"PREPARE p AS UPDATE t SET a = a + 1",
	"INSERT INTO t VALUES (1) ON CONFLICT (lower(email)) DO NOTHING",
	"SELEC 1",
	"UPDATE t SET a = 'bad \xff utf8'",
}

// TestAnalyzeJSONSameAsTree holds the JSON path to the protobuf path:
// the same facts (and errors) for every statement of the fixtures, the
// examples, the rules' test cases and the lists above.
func TestAnalyzeJSONSameAsTree(t *testing.T) {
	stmts := append(append([]string(nil), jsonPathStatements...), fallbackStatements...)
	stmts = append(stmts, benchgen.Queries(64)...)
	var files []string
	for _, pat := range []string{"../sqlfile/testdata/*.sql", "../../examples/*/*.sql", "../../rules/testdata/*.txtar"} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("found %d corpus files; want the fixtures, examples and rule cases", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts := []string{string(src)}
		if strings.HasSuffix(f, ".txtar") {
			texts = nil
			for _, af := range txtar.Parse(src).Files {
				texts = append(texts, string(af.Data))
			}
		}
		for _, text := range texts {
			for _, sp := range SplitStatements(text) {
				stmts = append(stmts, text[sp.Start:sp.End])
			}
		}
	}
	onJSON := 0
	for _, q := range stmts {
		want, werr := analyzeTree(q)
		got, gerr := AnalyzeQuery(q)
		if (werr == nil) != (gerr == nil) || werr != nil && werr.Error() != gerr.Error() {
			t.Errorf("%q: error %v, want %v", q, gerr, werr)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%q: facts differ from the protobuf path (-want +got):\n%s", q, diff)
		}
		if _, ok := analyzeJSON(q); ok {
			onJSON++
		}
	}
	for _, q := range jsonPathStatements {
		if _, ok := analyzeJSON(q); !ok {
			t.Errorf("%q: went to the protobuf path; want the JSON path", q)
		}
	}
	for _, q := range fallbackStatements {
		if _, ok := analyzeJSON(q); ok {
			t.Errorf("%q: handled by the JSON path; want the protobuf path", q)
		}
	}
	t.Logf("%d statements, %d on the JSON path", len(stmts), onJSON)
}

// TestInternalQueries: PostgreSQL's own foreign-key checks, which
// pg_stat_statements records with track = all, are marked (found trying
// pg-boss live: its FK check showed up as application row locking).
func TestInternalQueries(t *testing.T) {
	for q, want := range map[string]bool{
		`SELECT $2 FROM ONLY "pgboss"."queue" x WHERE "name" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`:                      true,
		`SELECT 1 FROM ONLY "s"."p" x WHERE "a" OPERATOR(pg_catalog.=) $1 AND "b" OPERATOR(pg_catalog.=) $2 FOR KEY SHARE OF x`: true,
		// a partitioned referenced table is checked without ONLY
		`SELECT 1 FROM "public"."parts" x WHERE "id" OPERATOR(pg_catalog.=) $1 FOR KEY SHARE OF x`: true,
		// cascades are writes the application's deletes cause: workload
		`DELETE FROM ONLY "public"."child" WHERE $1 OPERATOR(pg_catalog.=) "parent_id"`: false,
		`SELECT 1 FROM ONLY a x WHERE id = $1 FOR KEY SHARE OF x`:                       false,
		`SELECT 1 FROM a x WHERE id OPERATOR(pg_catalog.=) $1`:                          false,
		`SELECT 1 FROM ONLY a JOIN b ON a.id OPERATOR(pg_catalog.=) b.id`:               false,
	} {
		f, err := AnalyzeQuery(q)
		if err != nil || f.Internal != want {
			t.Errorf("%s: Internal = %v (err %v), want %v", q, f != nil && f.Internal, err, want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	v, ok := parseJSON(`{"a": [1, -2.5e3, "x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00", true, false, null, {}], "b": {"c": []}}`)
	if !ok {
		t.Fatal("valid JSON refused")
	}
	a := v.get("a")
	if a.len() != 7 || a.at(0).int() != 1 || a.at(1).kind() != jnum || a.at(2).str() != "x\"\\/\b\f\n\r\té😀" ||
		!a.at(3).boolean() || a.at(4).boolean() || a.at(4).kind() != jbool || a.at(5).kind() != jnull || a.at(6).kind() != jobj ||
		v.get("b").get("c").kind() != jarr || v.get("b").get("nope").ok() || a.at(0).str() != "" || v.get("b").at(0).key() != "c" {
		t.Errorf("parsed wrong: %v", a.at(2).str())
	}
	// A tree is reused: a second parse replaces the first.
	tr := &jtree{}
	tr.parse(`{"x": "one"}`)
	r, ok := tr.parse(`{"y": ["two"]}`)
	if !ok || r.get("x").ok() || r.get("y").at(0).str() != "two" {
		t.Errorf("reused tree: %+v", tr.nodes)
	}
	for _, bad := range []string{``, `{`, `{"a"}`, `{"a":1,}`, `[1 2]`, `"abc`, `"\x"`, `"\u12"`, "\"a\x01\"", `{} x`, `tru`,
		strings.Repeat("[", maxJSONDepth+1) + strings.Repeat("]", maxJSONDepth+1)} {
		if _, ok := parseJSON(bad); ok {
			t.Errorf("%q: accepted", bad)
		}
	}
}

// FuzzAnalyzeJSON: whatever the JSON path handles, it handles as the
// protobuf path does.
func FuzzAnalyzeJSON(f *testing.F) {
	for _, s := range jsonPathStatements {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, ok := analyzeJSON(q)
		if !ok {
			return
		}
		want, err := analyzeTree(q)
		if err != nil {
			t.Fatalf("JSON path gave facts, protobuf path an error: %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("facts differ (-tree +json):\n%s", diff)
		}
	})
}
