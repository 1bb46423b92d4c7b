package sandboxtest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestTestDatabase(t *testing.T) {
	for _, v := range TestVersions {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			n, dsn := TestDatabase(t, v)
			if !strings.Contains(dsn, "/t_") {
				t.Errorf("dsn %s", dsn)
			}
			if err := n.Exec(context.Background(), dsn[strings.LastIndex(dsn, "/")+1:strings.Index(dsn, "?")], "CREATE TABLE x (id int)"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// recordTB records a skip or a failure instead of ending the test.
type recordTB struct {
	testing.TB
	skipped, failed string
}

func (r *recordTB) Helper()                      {}
func (r *recordTB) Skip(args ...any)             { r.skipped = fmt.Sprint(args...) }
func (r *recordTB) Skipf(f string, args ...any)  { r.skipped = fmt.Sprintf(f, args...) }
func (r *recordTB) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }

// A test that needs an extension module the server lacks is skipped with
// the package to install, and fails under CI.
func TestNeedModule(t *testing.T) {
	NeedServer(t, 15)
	t.Setenv("CI", "")
	r := &recordTB{TB: t}
	NeedModule(r, 15, "no_such_module")
	if !strings.Contains(r.skipped, "install postgresql-15-no_such_module") || r.failed != "" {
		t.Errorf("without CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	t.Setenv("CI", "true")
	r = &recordTB{TB: t}
	NeedModule(r, 15, "no_such_module")
	if !strings.Contains(r.failed, "required in CI") || r.skipped != "" {
		t.Errorf("with CI: skipped %q, failed %q", r.skipped, r.failed)
	}
	r = &recordTB{TB: t}
	NeedModule(r, 15, "pg_stat_statements")
	if r.skipped != "" || r.failed != "" {
		t.Errorf("an installed module: skipped %q, failed %q", r.skipped, r.failed)
	}
}
