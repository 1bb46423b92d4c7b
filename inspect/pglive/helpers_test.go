package pglive

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(sandboxtest.Main(m)) }

// testDB is a fresh database on a shared node of one major version.
type testDB struct {
	node *sandbox.Node
	dsn  string // superuser
	name string
}

func newTestDB(t *testing.T, major int) *testDB {
	t.Helper()
	n, dsn := sandboxtest.TestDatabase(t, major)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return &testDB{node: n, dsn: dsn, name: strings.TrimPrefix(u.Path, "/")}
}

// exec runs SQL (several statements allowed) as the superuser.
func (d *testDB) exec(t *testing.T, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := d.node.Exec(ctx, d.name, sql); err != nil {
		t.Fatalf("%v\nin: %.300s", err, sql)
	}
}

func (d *testDB) execFile(t *testing.T, name string) {
	t.Helper()
	src, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	d.exec(t, string(src))
}

// role creates a login role with a password, dropped when the test ends,
// and returns a DSN for it.
func (d *testDB) role(t *testing.T, password string) (role, dsn string) {
	t.Helper()
	role = "r_" + d.name
	if len(role) > 60 {
		role = role[:60]
	}
	d.exec(t, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD %s", pgx.Identifier{role}.Sanitize(), inspect.QuoteLiteral(password)))
	t.Cleanup(func() {
		ctx := context.Background()
		// Privileges granted in the test database go first, or DROP ROLE fails.
		if err := d.node.Exec(ctx, d.name, "DROP OWNED BY "+pgx.Identifier{role}.Sanitize()); err != nil {
			t.Errorf("drop owned: %v", err)
		}
		if err := d.node.Exec(ctx, "", "DROP ROLE IF EXISTS "+pgx.Identifier{role}.Sanitize()); err != nil {
			t.Errorf("drop role: %v", err)
		}
	})
	return role, d.dsnAs(role, password)
}

func (d *testDB) dsnAs(role, password string) string {
	u := url.URL{Scheme: "postgres", User: url.UserPassword(role, password),
		Host: fmt.Sprintf("%s:%d", sandbox.Host, d.node.Port), Path: "/" + d.name, RawQuery: "sslmode=disable"}
	return u.String()
}

func eachVersion(t *testing.T, f func(t *testing.T, major int)) {
	for _, v := range sandboxtest.TestVersions {
		t.Run(fmt.Sprintf("pg%d", v), func(t *testing.T) { f(t, v) })
	}
}

func mustRead(t *testing.T, dsn string, o Options) (*inspect.Database, Stats) {
	t.Helper()
	var st Stats
	o.Stats = &st
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := Read(ctx, dsn, o)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return db, st
}
