package sqlfile

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aadvisor/aadvisor/inspect"
)

// stmtSummary is what these tests check of a Statement.
type stmtSummary struct {
	Query      string
	QueryID    int64
	Calls      int64
	Rows       int64
	TotalMs    float64
	Kind       string
	ParseError string
	Pos        inspect.Position
}

func summarize(stmts []*inspect.Statement) []stmtSummary {
	var out []stmtSummary
	for _, s := range stmts {
		sum := stmtSummary{Query: s.Query, QueryID: s.QueryID, Calls: s.Calls, Rows: s.Rows, TotalMs: s.TotalMs, ParseError: s.ParseError, Pos: s.Pos}
		if s.Facts != nil {
			sum.Kind = s.Facts.Kind
		}
		out = append(out, sum)
	}
	return out
}

func TestReadQueries(t *testing.T) {
	tests := []struct {
		name, file, src string
		source          string
		want            []stmtSummary
		errors          int
	}{
		{
			name: "sql file", file: "app.sql", source: "file",
			src: "-- queries\nSELECT * FROM t WHERE id = $1;\n\n  UPDATE t SET n = n + 1\n  WHERE id = 2;\nSELEC oops;\n\\echo hi\nDELETE FROM t;\nSELECT 1,\n  2 3;",
			want: []stmtSummary{
				{Query: "SELECT * FROM t WHERE id = $1", Kind: "select", Pos: inspect.Position{File: "app.sql", Line: 2, Col: 1}},
				{Query: "UPDATE t SET n = n + 1\n  WHERE id = 2", Kind: "update", Pos: inspect.Position{File: "app.sql", Line: 4, Col: 3}},
				{Query: "SELEC oops", ParseError: `syntax error at or near "SELEC"`, Pos: inspect.Position{File: "app.sql", Line: 6, Col: 1}},
				{Query: "DELETE FROM t", Kind: "delete", Pos: inspect.Position{File: "app.sql", Line: 8, Col: 1}},
				{Query: "SELECT 1,\n  2 3", ParseError: `syntax error at or near "3" (at character 15)`, Pos: inspect.Position{File: "app.sql", Line: 9, Col: 1}},
			},
			errors: 2,
		},
		{
			name: "csv export", file: "pgss.csv", source: "pg_stat_statements",
			src: "queryid,query,calls,rows,total_exec_time,mean_exec_time\n" +
				"-4242,\"UPDATE counters SET v = v + $1\nWHERE k = $2\",120,120,35.5,0.29\n" +
				"77,SELECT 1,3,3,0.01,0.003\n",
			want: []stmtSummary{
				{Query: "UPDATE counters SET v = v + $1\nWHERE k = $2", QueryID: -4242, Calls: 120, Rows: 120, TotalMs: 35.5, Kind: "update", Pos: inspect.Position{File: "pgss.csv", Line: 2, Col: 1}},
				{Query: "SELECT 1", QueryID: 77, Calls: 3, Rows: 3, TotalMs: 0.01, Kind: "select", Pos: inspect.Position{File: "pgss.csv", Line: 4, Col: 1}},
			},
		},
		{
			name: "csv export with total_time (PostgreSQL 12)", file: "old.csv", source: "pg_stat_statements",
			src:  "query,calls,total_time\nSELECT 2,5,1.5\n",
			want: []stmtSummary{{Query: "SELECT 2", Calls: 5, TotalMs: 1.5, Kind: "select", Pos: inspect.Position{File: "old.csv", Line: 2, Col: 1}}},
		},
		{
			name: "json array", file: "pgss.json", source: "pg_stat_statements",
			src: "[\n  {\"query\": \"INSERT INTO t VALUES ($1)\", \"calls\": 10, \"rows\": 10, \"total_exec_time\": 2.5, \"queryid\": 9007199254740993},\n" +
				"  {\"query\": \"SELECT 1\", \"calls\": \"4\", \"queryid\": \"-1\"}\n]",
			want: []stmtSummary{
				{Query: "INSERT INTO t VALUES ($1)", QueryID: 9007199254740993, Calls: 10, Rows: 10, TotalMs: 2.5, Kind: "insert", Pos: inspect.Position{File: "pgss.json", Line: 2, Col: 3}},
				{Query: "SELECT 1", QueryID: -1, Calls: 4, Kind: "select", Pos: inspect.Position{File: "pgss.json", Line: 3, Col: 3}},
			},
		},
		{
			name: "json rows object, recognised by content", file: "export.txt", source: "pg_stat_statements",
			src:  `{"version": 1, "rows": [{"query": "SELECT 3", "calls": 2}]}`,
			want: []stmtSummary{{Query: "SELECT 3", Calls: 2, Kind: "select", Pos: inspect.Position{File: "export.txt", Line: 1, Col: 25}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDatabase()
			if err := ReadQueries(db, tt.file, []byte(tt.src)); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, summarize(db.Statements), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("statements differ (-want +got):\n%s", diff)
			}
			if db.Workload.StatementsSource != tt.source {
				t.Errorf("StatementsSource = %q, want %q", db.Workload.StatementsSource, tt.source)
			}
			if len(db.Errors) != tt.errors {
				t.Errorf("errors = %v, want %d", db.Errors, tt.errors)
			}
			if tt.errors == 2 {
				want := []inspect.InputError{
					{Pos: inspect.Position{File: "app.sql", Line: 6, Col: 1}, Message: `syntax error at or near "SELEC"`, Skipped: &inspect.LineRange{From: 6, To: 6}},
					{Pos: inspect.Position{File: "app.sql", Line: 10, Col: 5}, Message: `syntax error at or near "3"`, Skipped: &inspect.LineRange{From: 9, To: 10}},
				}
				if diff := cmp.Diff(want, db.Errors); diff != "" {
					t.Errorf("errors differ (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestReadQueriesErrors(t *testing.T) {
	tests := []struct {
		name, file, src, want string
	}{
		{"csv without query column", "x.csv", "a,b\n1,2\n", "x.csv:1: CSV header has no query column"},
		{"csv bad quoting", "x.csv", "query,calls\n\"SELECT 1,2\n", "x.csv:2:"},
		{"csv bad number", "x.csv", "query,calls\nSELECT 1,many\n", `x.csv:2:1: calls "many" is not a number`},
		{"json not an array", "x.json", `{"a": 1}`, `expected an array of statements or an object with "rows"`},
		{"json broken", "x.json", "[{\"query\": \"SELECT 1\"},\n {\"query\": ]", "x.json:2:"},
		{"sql file of comments", "x.sql", "-- nothing", "holds no SQL statements"},
		{"empty", "x.csv", "", "file is empty"},
		{"binary", "x.json", "[\x00]", "binary file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ReadQueries(newDatabase(), tt.file, []byte(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ReadQueries error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReadQueriesKeepsExportSource(t *testing.T) {
	db := newDatabase()
	if err := ReadQueries(db, "a.csv", []byte("query\nSELECT 1\n")); err != nil {
		t.Fatal(err)
	}
	if err := ReadQueries(db, "b.sql", []byte("SELECT 2;")); err != nil {
		t.Fatal(err)
	}
	if db.Workload.StatementsSource != "pg_stat_statements" || len(db.Statements) != 2 {
		t.Errorf("source %q with %d statements, want pg_stat_statements with 2", db.Workload.StatementsSource, len(db.Statements))
	}
}

func TestQueryFormat(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"x.CSV", "anything", "csv"},
		{"x.json", "anything", "json"},
		{"x.sql", "query,calls\n", "sql"},
		{"export", "queryid,\"query\",calls\nx", "csv"},
		{"export", "  [{\"query\": 1}]", "json"},
		{"notes.txt", "-- query log, part 1\nSELECT 1;", "sql"},
		{"notes.txt", "SELECT query, calls FROM pg_stat_statements", "sql"},
	}
	for _, tt := range tests {
		if got := queryFormat(tt.name, []byte(tt.src)); got != tt.want {
			t.Errorf("queryFormat(%q, %q) = %s, want %s", tt.name, tt.src, got, tt.want)
		}
	}
}

// TestExportTrackUtility: an export that holds utility statements (DDL,
// SET, BEGIN) was taken with pg_stat_statements.track_utility on; one
// without them says nothing, and a .sql file says nothing either (found
// trying an export with DDL: ddl-in-workload claimed track_utility was
// off).
func TestExportTrackUtility(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            bool
	}{
		{"json export with DDL", "pgss.json", `[{"query": "SELECT 1", "calls": 3}, {"query": "ALTER TABLE t ADD COLUMN c int", "calls": 1}]`, true},
		{"csv export with BEGIN", "pgss.csv", "query,calls\nBEGIN,10\nUPDATE t SET a = $1,10\n", true},
		{"export of plannable statements only", "pgss.csv", "query,calls\nSELECT 1,5\nMERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE,1\n", false},
		{"sql file with DDL", "q.sql", "CREATE TABLE x (a int);", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDatabase()
			if err := ReadQueries(db, tt.file, []byte(tt.src)); err != nil {
				t.Fatal(err)
			}
			if db.Workload.TrackUtility != tt.want {
				t.Errorf("TrackUtility = %v, want %v", db.Workload.TrackUtility, tt.want)
			}
		})
	}
}
