package rules_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/aadvisor/aadvisor/rules"
	"golang.org/x/tools/txtar"
)

// TestFixSQLOnServer applies each fixture's schema to a real server and
// runs the fix SQL of every finding against it (inside a rolled-back
// transaction unless it uses ALTER SYSTEM). It needs psql and a server
// the tests may create databases on:
//
//	AADVISOR_RULES_PSQL='host=127.0.0.1 port=5432 user=postgres' go test ./rules -run FixSQL
//
// Without AADVISOR_RULES_PSQL it starts a sandbox node of PostgreSQL 18.
//
// The server needs shared_preload_libraries = 'pg_stat_statements'.
// Fixtures that install pglogical are left out (it must be preloaded, and
// with it loaded DROP DATABASE waits forever on PostgreSQL 15).
// A fix run with psql -v replication_role=... gets the test role crm.
// Fixes that need an engine (Spock column options) or an object the
// fixture only describes (the mesh publication, slots and subscriptions
// from db.json) are not run.
func TestFixSQLOnServer(t *testing.T) {
	conn := fixServer(t)
	for _, role := range []string{"crm", "billing"} {
		psql(t, conn, "postgres", fmt.Sprintf("DO $$ BEGIN CREATE ROLE %s; EXCEPTION WHEN duplicate_object THEN NULL; END $$;", role), false)
	}
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	unsafe := regexp.MustCompile(`[^a-z0-9]+`)
	for _, path := range paths {
		base := strings.TrimSuffix(filepath.Base(path), ".txtar")
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range variants(ar) {
			files := variantFiles(ar, v)
			schema, ok := files["schema.sql"]
			if !ok || strings.Contains(schema, "EXTENSION IF NOT EXISTS pglogical") {
				continue // pglogical must be preloaded, and then DROP DATABASE hangs on PostgreSQL 15
			}
			name := strings.Trim(base+"-"+v, "-")
			t.Run(name, func(t *testing.T) {
				dbname := "aadv_" + strings.Trim(unsafe.ReplaceAllString(strings.ToLower(name), "_"), "_")
				psql(t, conn, "postgres", "DROP DATABASE IF EXISTS "+dbname+" WITH (FORCE)", true)
				psql(t, conn, "postgres", "CREATE DATABASE "+dbname, true)
				t.Cleanup(func() { psql(t, conn, "postgres", "DROP DATABASE IF EXISTS "+dbname+" WITH (FORCE)", false) })
				if out, err := runPsql(conn, dbname, schema, true); err != nil {
					t.Fatalf("schema.sql does not apply: %v\n%s", err, out)
				}
				db, cfg := load(t, files)
				res := rules.Run(db, cfg, rules.All())
				for _, f := range res.Findings {
					sql := f.FixSQL
					if sql == "" || strings.Contains(sql, "spock.") ||
						strings.HasPrefix(f.Object, "slot ") || strings.HasPrefix(f.Object, "subscription ") {
						continue
					}
					if strings.Contains(sql, `:"publication"`) {
						// Run as the fix says, with psql -v publication=...,
						// against a publication that holds the table.
						sql = "\\set publication aadv_pub_fixtest\nCREATE PUBLICATION aadv_pub_fixtest FOR TABLE " + f.Object + ";\n" + sql
					}
					if strings.Contains(sql, `:"replication_role"`) {
						// Run as the fix says, with psql -v replication_role=...
						sql = "\\set replication_role crm\n" + sql
					}
					if m := alterSystemRE.FindStringSubmatch(sql); m != nil {
						// A setting of newer minor releases (output_plugin_libraries) is
						// not on every server the test may run on.
						if out, err := runPsql(conn, dbname, "SELECT 1/count(*) FROM pg_settings WHERE name = '"+m[1]+"'", false); err != nil {
							t.Logf("%s %s: the server has no setting %s, fix SQL not run (%s)", f.RuleID, f.Object, m[1], strings.TrimSpace(out))
							continue
						}
					}
					if !strings.Contains(sql, "ALTER SYSTEM") {
						sql = "BEGIN;\n" + sql + "\nROLLBACK;"
					}
					if out, err := runPsql(conn, dbname, sql, false); err != nil {
						t.Errorf("%s %s: fix SQL fails: %v\n%s\n%s", f.RuleID, f.Object, err, f.FixSQL, out)
					}
				}
			})
		}
	}
}

// fixServer returns the libpq connection string of the server fix SQL
// runs on: AADVISOR_RULES_PSQL, or a sandbox node. It skips the test in
// -short mode and without psql (fails without psql in CI).
func fixServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test")
	}
	if _, err := exec.LookPath("psql"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("psql is required in CI")
		}
		t.Skip("psql not found")
	}
	conn := os.Getenv("AADVISOR_RULES_PSQL")
	if conn == "" {
		// A throwaway PostgreSQL 18 node: it has pg_stat_statements and
		// no pglogical, whose PostgreSQL 15 build makes DROP DATABASE hang.
		n := sandboxtest.ForTest(t, 18, 1).Nodes[0]
		conn = fmt.Sprintf("host=%s port=%d user=%s sslmode=disable", sandbox.Host, n.Port, sandbox.Superuser)
	}
	return conn
}

var alterSystemRE = regexp.MustCompile(`ALTER SYSTEM SET ([a-z_.]+)`)

func psql(t *testing.T, conn, dbname, sql string, fatal bool) {
	t.Helper()
	if out, err := runPsql(conn, dbname, sql, false); err != nil && fatal {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
}

func runPsql(conn, dbname, sql string, quiet bool) (string, error) {
	cmd := exec.Command("psql", conn+" dbname="+dbname, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-f", "-")
	cmd.Stdin = strings.NewReader(sql)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}
