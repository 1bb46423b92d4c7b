// Command gen writes a generated schema and workload for the scale
// benchmarks (see docs/performance.md):
//
//	go run ./inspect/benchgen/gen -tables 10000 -statements 5000 -dir /tmp/scale
//
// writes /tmp/scale/schema.sql and /tmp/scale/queries.sql. With -dsn it
// builds the same schema in that (empty) database instead, runs the
// statements so that pg_stat_statements holds them, and writes nothing:
//
//	go run ./inspect/benchgen/gen -tables 10000 -statements 5000 -dsn postgres://postgres@127.0.0.1:5432/bench
//
// It imports benchgen and pgx only.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aadvisor/aadvisor/inspect/benchgen"
	"github.com/jackc/pgx/v5"
)

func main() {
	tables := flag.Int("tables", 10000, "number of tables")
	statements := flag.Int("statements", 5000, "number of workload statements (at most 8 per table)")
	dir := flag.String("dir", ".", "directory to write schema.sql and queries.sql to")
	dsn := flag.String("dsn", "", "build the schema and run the workload in this database instead")
	flag.Parse()
	var err error
	if *dsn != "" {
		err = load(*dsn, *tables, *statements)
	} else {
		err = write(*dir, *tables, *statements)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func load(dsn string, tables, statements int) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return err
	}
	if err := benchgen.Load(ctx, conn, tables, 0); err != nil {
		return err
	}
	// Only the workload in pg_stat_statements, not the DDL.
	if _, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
		return err
	}
	return benchgen.Run(ctx, conn, tables, statements)
}

func write(dir string, tables, statements int) error {
	if tables < 1 || statements < 0 || statements > 8*tables {
		return fmt.Errorf("want 1 or more tables and 0 to 8 statements per table")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, fill := range map[string]func(*bufio.Writer){
		"schema.sql":  func(w *bufio.Writer) { benchgen.WriteSchema(w, 0, tables) },
		"queries.sql": func(w *bufio.Writer) { benchgen.WriteStatements(w, tables, statements) },
	} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		fill(w)
		if err := w.Flush(); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
