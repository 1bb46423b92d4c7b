package pglive

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/sqlfile"
)

// paritySources are the offline reader's own fixtures: DDL covering every
// object kind of the model, and what the apply side meets (row-level
// security, trigger functions with side effects).
var paritySources = []string{"../sqlfile/testdata/schema_source.sql", "../sqlfile/testdata/schema_apply.sql"}

// parityModel is the part of a model both readers fill. The differences
// that are intended, and why:
//
//   - Positions exist offline only; owners, TOAST sizes, statistics and
//     view definitions live only (a DDL file has no ALTER ... OWNER, sizes
//     or counters, and sqlfile keeps no view query).
//   - Views and materialized views carry columns live only: sqlfile does
//     not derive a view's columns from its query.
//   - An index key that is an expression reads as pg_get_indexdef prints
//     it live ("lower(email::text)", implicit casts shown) and as written
//     offline ("lower(email)"); both become "<expr>" here.
//   - plpgsql is installed in every database; only the live reader sees
//     it. Extension versions and schemas are live only.
//   - Trigger events keep the order written offline and the catalog order
//     live; they are sorted here.
//   - A SQL-standard body (BEGIN ATOMIC) is read live with
//     pg_get_function_sqlbody; sqlfile leaves it empty today. Such bodies
//     are left out; every other body is compared.
//   - Database-level evidence (settings, roles, databases, slots, large
//     objects, workload, skips) is live only.
type parityModel struct {
	Tables        []inspect.Table
	Sequences     []inspect.Sequence
	Functions     []inspect.Function
	EventTriggers []inspect.EventTrigger
	Extensions    []string
}

func project(db *inspect.Database) parityModel {
	var m parityModel
	for _, t := range db.Tables {
		c := *t
		c.Pos, c.Owner, c.ToastBytes, c.Stats, c.Definition = inspect.Position{}, "", 0, nil, ""
		if c.Kind == inspect.RelView || c.Kind == inspect.RelMatView {
			c.Columns = nil
		}
		c.Columns = mapPtrs(c.Columns, func(x inspect.Column) inspect.Column { x.Pos = inspect.Position{}; return x })
		c.Indexes = mapPtrs(c.Indexes, func(x inspect.Index) inspect.Index {
			x.Pos = inspect.Position{}
			x.Columns = slices.Clone(x.Columns)
			for i, col := range x.Columns {
				if t.Column(col) == nil {
					x.Columns[i] = "<expr>"
				}
			}
			return x
		})
		c.Constraints = mapPtrs(c.Constraints, func(x inspect.Constraint) inspect.Constraint { x.Pos = inspect.Position{}; return x })
		c.Triggers = mapPtrs(c.Triggers, func(x inspect.Trigger) inspect.Trigger {
			x.Pos = inspect.Position{}
			x.Events = slices.Sorted(slices.Values(x.Events))
			return x
		})
		c.Rules = mapPtrs(c.Rules, func(x inspect.Rule) inspect.Rule { x.Pos = inspect.Position{}; return x })
		m.Tables = append(m.Tables, c)
	}
	for _, s := range db.Sequences {
		c := *s
		c.Pos = inspect.Position{}
		m.Sequences = append(m.Sequences, c)
	}
	for _, f := range db.Functions {
		c := *f
		c.Pos = inspect.Position{}
		if strings.HasPrefix(c.Body, "BEGIN ATOMIC") {
			c.Body = ""
		}
		m.Functions = append(m.Functions, c)
	}
	for _, e := range db.EventTriggers {
		c := *e
		c.Pos = inspect.Position{}
		m.EventTriggers = append(m.EventTriggers, c)
	}
	for _, e := range db.Extensions {
		if e.Name != "plpgsql" {
			m.Extensions = append(m.Extensions, e.Name)
		}
	}
	return m
}

func mapPtrs[T any](in []*T, f func(T) T) []*T {
	var out []*T
	for _, p := range in {
		v := f(*p)
		out = append(out, &v)
	}
	return out
}

var parityOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmpopts.SortSlices(func(a, b inspect.Table) bool { return a.Schema+"."+a.Name < b.Schema+"."+b.Name }),
	cmpopts.SortSlices(func(a, b *inspect.Index) bool { return a.Name < b.Name }),
	cmpopts.SortSlices(func(a, b *inspect.Constraint) bool { return a.Name < b.Name }),
	cmpopts.SortSlices(func(a, b *inspect.Trigger) bool { return a.Name < b.Name }),
	cmpopts.SortSlices(func(a, b inspect.Sequence) bool { return a.Schema+"."+a.Name < b.Schema+"."+b.Name }),
	cmpopts.SortSlices(func(a, b inspect.Function) bool {
		return a.Schema+"."+a.Name+"("+a.Args < b.Schema+"."+b.Name+"("+b.Args
	}),
	cmpopts.SortSlices(func(a, b string) bool { return a < b }),
}

// TestParity applies the offline fixture to a live server and checks that
// pglive reads the same model sqlfile reads from the file; on PostgreSQL 15
// also from pg_dump --schema-only of that database.
func TestParity(t *testing.T) {
	for _, source := range paritySources {
		t.Run(strings.TrimSuffix(filepath.Base(source), ".sql"), func(t *testing.T) { testParity(t, source) })
	}
}

func testParity(t *testing.T, paritySource string) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, paritySource)
		live, _ := mustRead(t, d.dsn, Options{})
		got := project(live)

		offline, err := sqlfile.Read(context.Background(), sqlfile.Options{Schema: []string{paritySource}})
		if err != nil {
			t.Fatal(err)
		}
		if len(offline.Errors) > 0 {
			t.Fatalf("sqlfile errors: %v", offline.Errors)
		}
		if diff := cmp.Diff(project(offline), got, parityOpts); diff != "" {
			t.Errorf("sqlfile(source) vs pglive (-offline +live):\n%s", diff)
		}

		t.Run("pg_dump", func(t *testing.T) {
			pgDump := filepath.Join(d.node.Install.BinDir, "pg_dump")
			if _, err := os.Stat(pgDump); err != nil {
				t.Skipf("no pg_dump next to the PostgreSQL %d server", major)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			dump := filepath.Join(t.TempDir(), "dump.sql")
			cmd := exec.CommandContext(ctx, pgDump, "--schema-only", "--no-owner", "-f", dump, "-d", d.dsn)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("pg_dump: %v\n%s", err, out)
			}
			fromDump, err := sqlfile.Read(ctx, sqlfile.Options{Schema: []string{dump}})
			if err != nil {
				t.Fatal(err)
			}
			if len(fromDump.Errors) > 0 {
				t.Fatalf("sqlfile errors: %v", fromDump.Errors)
			}
			if diff := cmp.Diff(project(fromDump), got, parityOpts); diff != "" {
				t.Errorf("sqlfile(pg_dump) vs pglive (-offline +live):\n%s", diff)
			}
		})
	})
}
