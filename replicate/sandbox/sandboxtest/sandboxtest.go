// Package sandboxtest starts PostgreSQL for tests through the sandbox
// package: a sandbox per test (ForTest), a database of its own on a node
// the test binary shares (TestDatabase, with Main in TestMain), and the
// version matrix of the integration tests (TestVersions). Without server
// binaries a test is skipped, or fails when CI is set.
//
// Only tests import it: it imports testing, which the aadvisor binary
// must not link.
package sandboxtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

// TestVersions are the major versions the integration tests cover, oldest
// first: 15 from Debian (with pglogical), 16, 17 and 18 from the npm
// builds that 'make pg' fetches. This list is the whole version matrix.
var TestVersions = []int{15, 16, 17, 18}

// TestVersionsSince returns the TestVersions from min on, e.g. 16 for
// native active-active (origin = none).
func TestVersionsSince(min int) []int {
	var out []int
	for _, v := range TestVersions {
		if v >= min {
			out = append(out, v)
		}
	}
	return out
}

// InCI reports whether a missing server must fail tests instead of
// skipping them.
func InCI() bool { return os.Getenv("CI") != "" }

var testSeq atomic.Int64

// ForTest starts a sandbox of n nodes of the given major version (0 for
// any) and removes it when the test ends. Without server binaries the test
// is skipped, or fails when CI is set.
func ForTest(t testing.TB, major, n int) *sandbox.Sandbox {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	want := version(major)
	NeedServer(t, major)
	dir := filepath.Join(os.TempDir(), "aadvisor-test", fmt.Sprintf("%d-%d-%s", os.Getpid(), testSeq.Add(1), slug(t.Name())))
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	s, _, err := sandbox.Up(ctx, sandbox.Options{Nodes: n, PG: want, Dir: dir, Name: slug(t.Name())})
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Down(context.Background()); err != nil {
			t.Errorf("sandbox down: %v", err)
		}
	})
	return s
}

// NeedModule skips the test when the server of the given major version
// has no such extension module (pglogical), saying how to install it, or
// fails it when CI is set. Call it before configuring the module: without
// it the server rejects its settings ("unrecognized configuration
// parameter").
func NeedModule(t testing.TB, major int, module string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	in, err := sandbox.FindInstall(ctx, fmt.Sprint(major))
	if err != nil {
		missing(t, err)
		return
	}
	if in.HasModule(module) {
		return
	}
	msg := fmt.Sprintf("%s is not installed for PostgreSQL %d (%s has no %s.so): install postgresql-%d-%s", module, major, in.PkgLib, module, major, module)
	if InCI() {
		t.Fatalf("required in CI: %s", msg)
		return
	}
	t.Skip(msg)
}

// NeedHA skips the test when Patroni or etcd is not installed, or fails it
// when CI is set.
func NeedHA(t testing.TB) {
	t.Helper()
	for _, find := range []func() (string, error){sandbox.FindPatroni, sandbox.FindEtcd} {
		if _, err := find(); err != nil {
			if InCI() {
				t.Fatalf("Patroni and etcd required in CI: %v", err)
			}
			t.Skipf("no Patroni or etcd: %v", err)
		}
	}
}

// NeedServer returns the server binaries of the given major version (0
// for any). Without them the test is skipped, or fails when CI is set.
func NeedServer(t testing.TB, major int) *sandbox.Install {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	in, err := sandbox.FindInstall(ctx, version(major))
	if err != nil {
		missing(t, err)
	}
	return in
}

// version is the --pg of a major version, "" for any (0).
func version(major int) string {
	if major == 0 {
		return ""
	}
	return fmt.Sprint(major)
}

func missing(t testing.TB, err error) {
	t.Helper()
	if InCI() {
		t.Fatalf("PostgreSQL server required in CI: %v", err)
	}
	t.Skipf("no PostgreSQL server: %v", err)
}

var (
	sharedMu sync.Mutex
	shared   = map[int]*sandbox.Sandbox{}
)

// SharedNode returns a node of the given major version shared by all the
// tests of this test binary; Main stops it. Use it with TestDatabase for
// tests that need only a database of their own.
func SharedNode(t testing.TB, major int) *sandbox.Node {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if s := shared[major]; s != nil {
		return s.Nodes[0]
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	want := fmt.Sprint(major)
	NeedServer(t, major)
	dir := filepath.Join(os.TempDir(), "aadvisor-test", fmt.Sprintf("%d-shared-%d", os.Getpid(), major))
	os.MkdirAll(filepath.Dir(dir), 0o755)
	s, _, err := sandbox.Up(ctx, sandbox.Options{Nodes: 1, PG: want, Dir: dir, Name: "shared"})
	if err != nil {
		t.Fatalf("sandbox up: %v", err)
	}
	shared[major] = s
	return s.Nodes[0]
}

// TestDatabase creates a database for this test on a shared node of the
// given major version, drops it when the test ends, and returns the node
// and the database's DSN. The test binary must call Main from TestMain.
func TestDatabase(t testing.TB, major int) (*sandbox.Node, string) {
	t.Helper()
	n := SharedNode(t, major)
	db := fmt.Sprintf("t_%d_%s", testSeq.Add(1), slug(t.Name()))
	if len(db) > 60 {
		db = db[:60]
	}
	ctx := context.Background()
	if err := n.Exec(ctx, "", "CREATE DATABASE "+pgx.Identifier{db}.Sanitize()); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := n.DropDatabase(ctx, db); err != nil {
			t.Errorf("drop database: %v", err)
		}
	})
	return n, n.DSN(db)
}

// Main runs the tests and then stops the shared nodes.
func Main(m *testing.M) int {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for k, s := range shared {
		if err := s.Down(context.Background()); err != nil {
			fmt.Fprintf(os.Stderr, "sandbox down: %v\n", err)
		}
		delete(shared, k)
	}
	return code
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	s = nonWord.ReplaceAllString(strings.ToLower(s), "_")
	s = strings.Trim(s, "_")
	if len(s) > 40 {
		s = s[:40]
	}
	if s == "" {
		s = "t"
	}
	return s
}
