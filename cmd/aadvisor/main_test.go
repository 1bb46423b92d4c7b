package main

import (
	"context"
	"flag"
	"os"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/script")

func TestMain(m *testing.M) {
	testscript.Main(sharedNodesStopped{m}, map[string]func(){
		"aadvisor": func() { os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
		// main itself, with its signal handling (signals.txtar).
		"aadvisor-main": main,
	})
}

// sharedNodesStopped runs the tests through sandboxtest.Main, which stops the
// nodes that sandboxtest.TestDatabase shares between tests when they end.
type sharedNodesStopped struct{ m *testing.M }

func (s sharedNodesStopped) Run() int { return sandboxtest.Main(s.m) }

// TestScripts runs the CLI end to end: testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SOURCE_DATE_EPOCH", "1767225600")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
