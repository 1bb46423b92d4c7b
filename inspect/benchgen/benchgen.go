// Package benchgen generates the schemas and workloads the scale
// benchmarks read: n tables in schema gen, each with an identity key, a
// unique key, a foreign key to the previous table, a check, a default and a
// partial index. Every 20th table has no primary key (its identity column
// is only unique), every 25th a serial integer key, every 30th REPLICA
// IDENTITY FULL, every 3rd foreign key cascades; a trigger on every 10th
// table, a PL/pgSQL function that updates it on every 8th, a view on every
// 50th. The m workload
// statements take the shapes pg_stat_statements records, spread over the
// tables, half of them with unqualified table names.
//
// Only tests and benchmarks import it, and its command gen, which writes
// the same schema and workload to files or into a database.
package benchgen

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Schema returns the DDL of tables from..to-1; from 0 also creates the
// schema and the trigger function.
func Schema(from, to int) string {
	var b strings.Builder
	WriteSchema(&b, from, to)
	return b.String()
}

// WriteSchema writes the DDL of tables from..to-1 to w.
func WriteSchema(w io.Writer, from, to int) {
	if from == 0 {
		io.WriteString(w, "CREATE SCHEMA gen;\nCREATE FUNCTION gen.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n")
	}
	for i := from; i < to; i++ {
		key := "id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
		switch {
		case i%20 == 5:
			key = "id bigint GENERATED ALWAYS AS IDENTITY UNIQUE"
		case i%25 == 0:
			key = "id serial PRIMARY KEY"
		}
		ref := ""
		switch {
		case i > 0 && (i-1)%20 == 5:
			ref = fmt.Sprintf(" REFERENCES gen.t%d (id)", i-1)
		case i > 0:
			// The referenced columns are the primary key.
			ref = fmt.Sprintf(" REFERENCES gen.t%d", i-1)
		}
		if i > 0 {
			if i%3 == 0 {
				ref += " ON DELETE CASCADE"
			}
		}
		fmt.Fprintf(w, `CREATE TABLE gen.t%[1]d (%[2]s, parent bigint%[3]s,
	name text NOT NULL CHECK (name <> ''), note text, created timestamptz DEFAULT now(), UNIQUE (name));
CREATE INDEX ON gen.t%[1]d (created) WHERE note IS NOT NULL;
`, i, key, ref)
		if i%30 == 0 {
			fmt.Fprintf(w, "ALTER TABLE gen.t%d REPLICA IDENTITY FULL;\n", i)
		}
		if i%10 == 0 {
			fmt.Fprintf(w, "CREATE TRIGGER t%[1]d_touch BEFORE UPDATE ON gen.t%[1]d FOR EACH ROW EXECUTE FUNCTION gen.touch();\n", i)
		}
		if i%8 == 7 {
			fmt.Fprintf(w, "CREATE FUNCTION gen.f%[1]d(k bigint) RETURNS void LANGUAGE plpgsql AS $$ BEGIN UPDATE gen.t%[1]d SET note = 'seen' WHERE id = k; END $$;\n", i)
		}
		if i%50 == 0 {
			fmt.Fprintf(w, "CREATE VIEW gen.v%[1]d AS SELECT id, name FROM gen.t%[1]d;\n", i)
		}
	}
}

// A shape is a workload statement: %[1]d is the table, %[2]d the one
// before it (a parent); args gives values for its parameters.
type shape struct {
	sql  string
	args func(j int) []any
}

var shapes = []shape{
	{"SELECT id, name, note FROM gen.t%[1]d WHERE id = $1", func(j int) []any { return []any{int64(j)} }},
	{"UPDATE gen.t%[1]d SET note = $1 WHERE id = $2", func(j int) []any { return []any{"seen", int64(j)} }},
	{"INSERT INTO gen.t%[1]d (parent, name, note) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET note = excluded.note",
		func(j int) []any { return []any{nil, fmt.Sprintf("row%d", j), "new"} }},
	{"DELETE FROM gen.t%[1]d WHERE created < now() - $1::interval", func(int) []any { return []any{"10 years"} }},
	// No aliases: PostgreSQL 18 jumbles a table by its alias, so the same
	// aliases on other tables would make one pg_stat_statements entry.
	{"SELECT t%[1]d.id, t%[2]d.name FROM gen.t%[1]d JOIN gen.t%[2]d ON t%[2]d.id = t%[1]d.parent WHERE t%[1]d.name = $1",
		func(j int) []any { return []any{fmt.Sprintf("row%d", j)} }},
	{"SELECT id FROM gen.t%[1]d WHERE note IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED", func(int) []any { return []any{int64(10)} }},
	{"UPDATE gen.t%[1]d SET parent = parent + $1 WHERE id = $2", func(j int) []any { return []any{int64(1), int64(j)} }},
	{"SELECT gen.f%[1]d($1)", func(j int) []any { return []any{int64(j)} }},
}

// spare replaces a function call on a table that has no function.
var spare = shape{"SELECT count(*) FROM gen.t%[1]d WHERE parent = $1", func(j int) []any { return []any{int64(j)} }}

// Statement is one generated workload statement.
type Statement struct {
	SQL  string
	Args []any // values for its parameters, to run it
}

// Statements returns m distinct workload statements over tables tables
// (m at most 8 × tables): statement j is on table j mod tables, in a shape
// that differs from the other statements on that table; odd ones name
// their tables without the schema (run them with search_path = gen).
func Statements(tables, m int) []Statement {
	out := make([]Statement, m)
	for j := range out {
		k := j % tables
		sh := shapes[(j+j/tables)%len(shapes)]
		if sh.sql == shapes[7].sql && k%8 != 7 {
			sh = spare
		}
		sql := sh.sql
		if j%2 == 1 {
			sql = strings.ReplaceAll(sql, "gen.t", "t")
		}
		out[j] = Statement{SQL: fmt.Sprintf(sql, k, (k+tables-1)%tables), Args: sh.args(j)}
	}
	return out
}

// WriteStatements writes Statements(tables, m) as a query file.
func WriteStatements(w io.Writer, tables, m int) {
	for _, s := range Statements(tables, m) {
		io.WriteString(w, s.SQL)
		io.WriteString(w, ";\n")
	}
}

// Load creates the schema of n tables in the connected database, in
// transactions of 500 tables, then runs the workload (see Run).
func Load(ctx context.Context, conn *pgx.Conn, n, m int) error {
	for from := 0; from < n; from += 500 {
		if _, err := conn.Exec(ctx, "BEGIN;\n"+Schema(from, min(from+500, n))+"COMMIT;"); err != nil {
			return fmt.Errorf("create tables %d to %d: %w", from, min(from+500, n)-1, err)
		}
	}
	return Run(ctx, conn, n, m)
}

// Run runs each of the m workload statements over n tables once, twice or
// three times, so that pg_stat_statements holds m entries with different
// call counts.
func Run(ctx context.Context, conn *pgx.Conn, n, m int) error {
	if _, err := conn.Exec(ctx, "SET search_path = gen, public"); err != nil {
		return err
	}
	for j, s := range Statements(n, m) {
		for range j%3 + 1 {
			if _, err := conn.Exec(ctx, s.SQL, s.Args...); err != nil {
				return fmt.Errorf("statement %d %q: %w", j, s.SQL, err)
			}
		}
	}
	return nil
}
