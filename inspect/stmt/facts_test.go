package stmt

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aadvisor/aadvisor/inspect"
)

func ref(name string) inspect.TableRef {
	schema, rel := inspect.SplitQualified(name)
	return inspect.TableRef{Schema: schema, Name: rel}
}

func TestAnalyzeQuery(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  inspect.StatementFacts
	}{
		{
			name:  "plain select with join and sub-select",
			query: "SELECT u.id FROM users u JOIN app.orgs o ON o.id = u.org_id WHERE u.id IN (SELECT user_id FROM bans)",
			want: inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{ref("users"), ref("app.orgs"), ref("bans")}, Selected: []string{"id"},
				Aliased: []inspect.TableRef{ref("users"), ref("app.orgs")}},
		},
		{
			name:  "counter increment with placeholder",
			query: "UPDATE counters SET value = value + $1, updated_at = now() WHERE name = $2",
			want: inspect.StatementFacts{Kind: inspect.StmtUpdate, Functions: []string{"now"},
				Writes: []inspect.TableWrite{{Table: ref("counters"), Op: "update", SetColumns: []string{"value", "updated_at"}, Increments: []string{"value"}}}},
		},
		{
			name:  "increment forms: minus, coalesce, reversed, qualified",
			query: "UPDATE t SET a = a - 1, b = coalesce(b, 0) + 1, c = 1 + c, d = t.d + 2, e = 5, f = g + 1",
			want: inspect.StatementFacts{Kind: inspect.StmtUpdate,
				Writes: []inspect.TableWrite{{Table: ref("t"), Op: "update", SetColumns: []string{"a", "b", "c", "d", "e", "f"}, Increments: []string{"a", "b", "c", "d"}}}},
		},
		{
			name:  "subtraction from a constant is no increment",
			query: "UPDATE t SET a = 10 - a",
			want:  inspect.StatementFacts{Kind: inspect.StmtUpdate, Writes: []inspect.TableWrite{{Table: ref("t"), Op: "update", SetColumns: []string{"a"}}}},
		},
		{
			name: "increment inside a CTE, insert in the main query",
			query: `WITH bumped AS (UPDATE stock SET qty = qty - 1 WHERE sku = $1 RETURNING sku)
			        INSERT INTO audit (sku) SELECT sku FROM bumped`,
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, Writes: []inspect.TableWrite{
				{Table: ref("audit"), Op: "insert", Columns: []string{"sku"}},
				{Table: ref("stock"), Op: "update", SetColumns: []string{"qty"}, Increments: []string{"qty"}, Returning: []string{"sku"}},
			}},
		},
		{
			name:  "upsert on a named constraint with excluded increment",
			query: "INSERT INTO hits AS h (page, n) VALUES ($1, 1) ON CONFLICT ON CONSTRAINT hits_pkey DO UPDATE SET n = h.n + excluded.n, seen = excluded.seen",
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, Writes: []inspect.TableWrite{{Table: ref("hits"), Op: "insert", Columns: []string{"page", "n"},
				SetColumns: []string{"n", "seen"}, Increments: []string{"n"},
				OnConflict: &inspect.OnConflict{Constraint: "hits_pkey", Action: "update"}}}, Aliased: []inspect.TableRef{ref("hits")}},
		},
		{
			name:  "excluded.x alone is no increment",
			query: "INSERT INTO kv (k, v) VALUES ($1, $2) ON CONFLICT (k) DO UPDATE SET v = excluded.v + 1",
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, Writes: []inspect.TableWrite{{Table: ref("kv"), Op: "insert", Columns: []string{"k", "v"},
				SetColumns: []string{"v"}, OnConflict: &inspect.OnConflict{Columns: []string{"k"}, Action: "update"}}}},
		},
		{
			name:  "on conflict do nothing",
			query: "INSERT INTO tags (name) VALUES ('x') ON CONFLICT DO NOTHING",
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, Writes: []inspect.TableWrite{{Table: ref("tags"), Op: "insert", Columns: []string{"name"},
				OnConflict: &inspect.OnConflict{Action: "nothing"}}}},
		},
		{
			name:  "multi-column assignment",
			query: "UPDATE t SET (a, b) = (a + 1, $1)",
			want: inspect.StatementFacts{Kind: inspect.StmtUpdate, Writes: []inspect.TableWrite{{Table: ref("t"), Op: "update",
				SetColumns: []string{"a", "b"}, Increments: []string{"a"}}}},
		},
		{
			name:  "for no key update wins over for share",
			query: "SELECT * FROM jobs j JOIN queues q ON q.id = j.queue_id WHERE j.state = 'new' FOR SHARE OF q FOR NO KEY UPDATE OF j SKIP LOCKED",
			want: inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{ref("jobs"), ref("queues")}, RowLock: "for no key update", Selected: []string{"*"},
				Aliased: []inspect.TableRef{ref("jobs"), ref("queues")}},
		},
		{
			name:  "row lock in a sub-select",
			query: "DELETE FROM jobs WHERE id = (SELECT id FROM jobs ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)",
			want: inspect.StatementFacts{Kind: inspect.StmtDelete, RowLock: "for update",
				Writes: []inspect.TableWrite{{Table: ref("jobs"), Op: "delete"}}, Reads: []inspect.TableRef{ref("jobs")}},
		},
		{
			name: "counter handed back by RETURNING, insert with a column list",
			query: `WITH n AS (UPDATE district SET d_next_o_id = d_next_o_id + 1 WHERE d_id = $1 RETURNING d_next_o_id - 1 AS o_id, d_tax)
			        INSERT INTO orders (o_id, o_d_id) SELECT o_id, $1 FROM n RETURNING *`,
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, Writes: []inspect.TableWrite{
				{Table: ref("orders"), Op: "insert", Columns: []string{"o_id", "o_d_id"}, Returning: []string{"*"}},
				{Table: ref("district"), Op: "update", SetColumns: []string{"d_next_o_id"}, Increments: []string{"d_next_o_id"}, Returning: []string{"d_next_o_id", "d_tax"}},
			}},
		},
		{
			name:  "selected columns: qualified, in expressions, both arms of a union, not in sub-selects",
			query: "SELECT d.d_next_o_id, d_tax * 2, (SELECT max(x) FROM t) FROM district d WHERE d_id = $1 UNION ALL SELECT u.*, 1, 2 FROM u",
			want: inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{ref("t"), ref("district"), ref("u")},
				Selected: []string{"d_next_o_id", "d_tax", "*"}, Functions: []string{"max"}, Aliased: []inspect.TableRef{ref("district")}},
		},
		{
			name:  "notify_email column is not a notify",
			query: "SELECT notify_email FROM users WHERE notify_email",
			want:  inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{ref("users")}, Selected: []string{"notify_email"}},
		},
		{
			name:  "pg_notify call",
			query: "SELECT pg_notify('jobs', $1::text)",
			want:  inspect.StatementFacts{Kind: inspect.StmtSelect, Notify: true, Functions: []string{"pg_notify"}},
		},
		{
			name:  "NOTIFY and LISTEN statements",
			query: "LISTEN jobs; NOTIFY jobs, 'hello'",
			want:  inspect.StatementFacts{Kind: inspect.StmtListen, Listen: true, Notify: true},
		},
		{
			name:  "advisory locks",
			query: "SELECT pg_try_advisory_xact_lock(hashtext($1)), pg_advisory_lock(42)",
			want: inspect.StatementFacts{Kind: inspect.StmtSelect, AdvisoryLocks: []string{"pg_try_advisory_xact_lock", "pg_advisory_lock"},
				Functions: []string{"pg_try_advisory_xact_lock", "hashtext", "pg_advisory_lock"}},
		},
		{
			name:  "lock table",
			query: "LOCK TABLE ONLY app.accounts, ledger IN SHARE ROW EXCLUSIVE MODE",
			want:  inspect.StatementFacts{Kind: inspect.StmtLock, LockTables: []inspect.TableRef{ref("app.accounts"), ref("ledger")}, LockMode: "share row exclusive"},
		},
		{
			name:  "begin serializable",
			query: "BEGIN ISOLATION LEVEL SERIALIZABLE",
			want:  inspect.StatementFacts{Kind: inspect.StmtTransaction, Serializable: true},
		},
		{
			name:  "start transaction read committed is not serializable",
			query: "START TRANSACTION ISOLATION LEVEL READ COMMITTED",
			want:  inspect.StatementFacts{Kind: inspect.StmtTransaction},
		},
		{
			name:  "set transaction",
			query: "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE",
			want:  inspect.StatementFacts{Kind: inspect.StmtSet, Serializable: true},
		},
		{
			name:  "session characteristics",
			query: "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
			want:  inspect.StatementFacts{Kind: inspect.StmtSet, Serializable: true},
		},
		{
			name:  "default_transaction_isolation",
			query: "SET default_transaction_isolation = 'serializable'",
			want:  inspect.StatementFacts{Kind: inspect.StmtSet, Serializable: true},
		},
		{
			name:  "alter database default isolation",
			query: "ALTER DATABASE app SET default_transaction_isolation TO serializable",
			want:  inspect.StatementFacts{Kind: inspect.StmtDDL, DDLKind: "ALTER DATABASE", Serializable: true},
		},
		{
			name:  "nextval and setval",
			query: "SELECT nextval('orders_id_seq'), setval('app.s', 10), setval($1, 5)",
			want: inspect.StatementFacts{Kind: inspect.StmtSelect, Nextval: []string{"orders_id_seq"}, Setval: []string{"app.s", ""},
				Functions: []string{"nextval", "setval"}},
		},
		{
			name:  "max plus one in insert select",
			query: "INSERT INTO orders (id, note) SELECT coalesce(max(id), 0) + 1, $1 FROM orders",
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, MaxPlusOne: []string{"orders.id"}, Functions: []string{"max"},
				Writes: []inspect.TableWrite{{Table: ref("orders"), Op: "insert", Columns: []string{"id", "note"}}}, Reads: []inspect.TableRef{ref("orders")}},
		},
		{
			name:  "max plus one as a scalar sub-select in VALUES",
			query: `INSERT INTO app.invoices (no) VALUES ((SELECT max(i."No") FROM app.invoices i) + 1)`,
			want: inspect.StatementFacts{Kind: inspect.StmtInsert, MaxPlusOne: []string{`app.invoices."No"`}, Functions: []string{"max"},
				Writes: []inspect.TableWrite{{Table: ref("app.invoices"), Op: "insert", Columns: []string{"no"}}}, Reads: []inspect.TableRef{ref("app.invoices")},
				Aliased: []inspect.TableRef{ref("app.invoices")}},
		},
		{
			name:  "max without plus is not key generation",
			query: "SELECT max(id) FROM orders",
			want:  inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{ref("orders")}, Functions: []string{"max"}, Selected: []string{"id"}},
		},
		{
			name:  "large objects",
			query: "SELECT lo_import('/tmp/x'), lo_unlink($1)",
			want:  inspect.StatementFacts{Kind: inspect.StmtSelect, LargeObjects: true, Functions: []string{"lo_import", "lo_unlink"}},
		},
		{
			name:  "truncate cascade restart identity",
			query: "TRUNCATE a, b RESTART IDENTITY CASCADE",
			want: inspect.StatementFacts{Kind: inspect.StmtTruncate, Writes: []inspect.TableWrite{
				{Table: ref("a"), Op: "truncate", Cascade: true, RestartIdentity: true},
				{Table: ref("b"), Op: "truncate", Cascade: true, RestartIdentity: true}}},
		},
		{
			name: "merge with update increment",
			query: `MERGE INTO stock s USING deliveries d ON s.sku = d.sku
			        WHEN MATCHED THEN UPDATE SET qty = s.qty + d.qty
			        WHEN NOT MATCHED THEN INSERT (sku, qty) VALUES (d.sku, d.qty)`,
			want: inspect.StatementFacts{Kind: inspect.StmtMerge, Reads: []inspect.TableRef{ref("deliveries")},
				Writes:  []inspect.TableWrite{{Table: ref("stock"), Op: "merge", SetColumns: []string{"qty"}, Increments: []string{"qty"}}},
				Aliased: []inspect.TableRef{ref("stock"), ref("deliveries")}},
		},
		{
			name:  "aliases: the target's, not a CTE's",
			query: "WITH w AS (SELECT 1 AS id) UPDATE s.t x SET v = 1 FROM w ww WHERE x.id = ww.id",
			want: inspect.StatementFacts{Kind: inspect.StmtUpdate, Writes: []inspect.TableWrite{{Table: ref("s.t"), Op: "update", SetColumns: []string{"v"}}},
				Aliased: []inspect.TableRef{ref("s.t")}},
		},
		{
			name:  "ddl",
			query: "ALTER TABLE users ADD COLUMN x int",
			want:  inspect.StatementFacts{Kind: inspect.StmtDDL, DDLKind: "ALTER TABLE"},
		},
		{
			name:  "a rule's actions do not run when it is created",
			query: "CREATE RULE r AS ON INSERT TO t DO ALSO INSERT INTO log SELECT nextval('s') FOR UPDATE",
			want:  inspect.StatementFacts{Kind: inspect.StmtDDL, DDLKind: "CREATE RULE"},
		},
		{
			name:  "ddl create index",
			query: "CREATE INDEX CONCURRENTLY ON users (email)",
			want:  inspect.StatementFacts{Kind: inspect.StmtDDL, DDLKind: "CREATE INDEX"},
		},
		{
			name:  "copy from writes",
			query: "COPY items (a, b) FROM STDIN",
			want:  inspect.StatementFacts{Kind: inspect.StmtCopy, Writes: []inspect.TableWrite{{Table: ref("items"), Op: "insert"}}},
		},
		{
			name:  "plain explain does not run the update",
			query: "EXPLAIN UPDATE t SET a = a + 1",
			want:  inspect.StatementFacts{Kind: inspect.StmtOther},
		},
		{
			name:  "explain analyze runs it",
			query: "EXPLAIN (ANALYZE) UPDATE t SET a = a + 1",
			want: inspect.StatementFacts{Kind: inspect.StmtOther, Writes: []inspect.TableWrite{
				{Table: ref("t"), Op: "update", SetColumns: []string{"a"}, Increments: []string{"a"}}}},
		},
		{
			name:  "CTE names are not tables",
			query: "WITH recent AS (SELECT * FROM events WHERE at > now() - interval '1 day') SELECT count(*) FROM recent",
			want:  inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{ref("events")}, Functions: []string{"count", "now"}},
		},
		{
			name:  "call",
			query: "CALL bump(1)",
			want:  inspect.StatementFacts{Kind: inspect.StmtCall, Functions: []string{"bump"}},
		},
		{
			name:  "transaction then statement takes the statement kind",
			query: "BEGIN; UPDATE t SET a = 1; COMMIT",
			want:  inspect.StatementFacts{Kind: inspect.StmtUpdate, Writes: []inspect.TableWrite{{Table: ref("t"), Op: "update", SetColumns: []string{"a"}}}},
		},
	}
	opts := cmpopts.EquateEmpty()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AnalyzeQuery(tt.query)
			if err != nil {
				t.Fatalf("AnalyzeQuery: %v", err)
			}
			if diff := cmp.Diff(&tt.want, got, opts); diff != "" {
				t.Errorf("facts differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnalyzeQueryError(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		{"SELEC 1", `syntax error at or near "SELEC"`},
		{"SELECT * FROM t WHERE", "syntax error at end of input"},
		{"SELECT 'ü', * FRM t", `syntax error at or near "FRM" (at character 15)`},
		{"SELECT 'unterminated", "unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			_, err := AnalyzeQuery(tt.query)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("AnalyzeQuery(%q) error = %v, want it to contain %q", tt.query, err, tt.want)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	stmts := []*inspect.Statement{
		{Query: "UPDATE t SET n = n + 1"},
		{Query: "SELEC 1"},
		nil,
		{Query: "SELECT 1", Facts: &inspect.StatementFacts{Kind: "stale"}, ParseError: "stale"},
	}
	Analyze(stmts)
	if f := stmts[0].Facts; f == nil || f.Kind != inspect.StmtUpdate || len(f.Writes) != 1 {
		t.Errorf("stmts[0].Facts = %+v, want an update", f)
	}
	if stmts[1].Facts != nil || !strings.Contains(stmts[1].ParseError, "syntax error") {
		t.Errorf("stmts[1] = %+v, want a parse error and no facts", stmts[1])
	}
	if stmts[3].ParseError != "" || stmts[3].Facts.Kind != inspect.StmtSelect {
		t.Errorf("stmts[3] = %+v, want fresh facts", stmts[3])
	}
}

func TestAnalyzeQueryDeepChains(t *testing.T) {
	tests := []struct {
		query, want string
	}{
		// Left-deep trees the C parser cannot hand over whole: each must be
		// an error, never a crash.
		{"SELECT 1" + strings.Repeat(" + 1", 40000), "nests too deeply"},
		{"SELECT 'a'" + strings.Repeat(" || 'a'", 40000), "nests too deeply"},
		{"SELECT 1" + strings.Repeat(" UNION ALL SELECT 1", 40000), "nests too deeply"},
		{"SELECT 1" + strings.Repeat(" + 1", 8000), "exceeded maximum recursion depth"},
		{"SELECT " + strings.Repeat("(", 20000) + "1" + strings.Repeat(")", 20000), "memory exhausted"},
	}
	for _, tt := range tests {
		_, err := AnalyzeQuery(tt.query)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AnalyzeQuery(%.30q...) = %v, want an error containing %q", tt.query, err, tt.want)
		}
	}
	// A long flat statement is fine.
	in := "SELECT * FROM t WHERE a IN (" + strings.TrimSuffix(strings.Repeat("-1, ", 30000), ", ") + ") AND b = 1" + strings.Repeat(" AND b = 1", 12000)
	if _, err := AnalyzeQuery(in); err != nil {
		t.Errorf("long flat statement: %v", err)
	}
}
