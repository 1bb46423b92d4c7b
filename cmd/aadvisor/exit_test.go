package main

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// Bad input of every kind exits 2 with one short line that names the
// place and never echoes a password or megabytes of a value.
func TestBadInputExitCodes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const badDSN = "postgres://app:s3cret@db.example:notaport/app"
	plan := write("plan.yaml", "version: 1\ntopology:\n  kind: active-active\n  engine: native\n  nodes:\n"+
		"    - {name: a, role: peer, dsn: \""+badDSN+"\"}\n    - {name: b, role: peer, dsn: \"postgres://app@127.0.0.1:1/app\"}\n")
	good := write("good.yaml", "version: 2\ntopology:\n  kind: active-active\n  engine: native\n  nodes:\n"+
		"    - {name: a, role: peer, dsn: \"postgres://app@127.0.0.1:1/app\"}\n    - {name: b, role: peer, dsn: \"postgres://app@127.0.0.1:2/app\"}\n")
	huge := write("huge.yaml", "slo_target: "+strings.Repeat("9", 5<<20)+"\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"assess dsn", []string{"assess", "--dsn", badDSN}, "--dsn: parse dsn: "},
		{"observe dsn", []string{"observe", "--dsn", badDSN, "--duration", "1s"}, "--dsn: parse dsn: "},
		{"observe cleanup dsn", []string{"observe", "--dsn", badDSN, "--cleanup"}, "--dsn: parse dsn: "},
		{"recommend dsn", []string{"recommend", "--answers", profiles + "5.1-saas-cool.yaml", "--dsn", badDSN}, "--dsn: parse dsn: "},
		{"bootstrap node dsn", []string{"bootstrap", "--topology", "active-active", "--engine", "native", "--dry-run",
			"--node", "a=" + badDSN, "--node", "b=postgres://app@127.0.0.1:1/app"}, "topology.nodes[0].dsn: does not parse: invalid port"},
		{"mesh plan dsn", []string{"mesh", "status", "--plan", plan}, plan + ":6: topology.nodes[0].dsn: does not parse: invalid port"},
		{"huge answer", []string{"recommend", "--answers", huge}, `slo_target: want a number, got "` + strings.Repeat("9", 80) + `"… (5242880 characters)`},
		{"sandbox name", []string{"sandbox", "up", "--name", "../../x"}, `--name "../../x": want a plain name`},
		{"sandbox status name", []string{"sandbox", "status", "--name", "a/b"}, `--name "a/b": want a plain name`},
		{"sandbox zero nodes", []string{"sandbox", "up", "--nodes", "0", "--dir", filepath.Join(dir, "sb")}, "--nodes 0: want 1 to 16"},
		{"assess statement timeout", []string{"assess", "--dsn", "postgres://app@127.0.0.1:1/app", "--statement-timeout", "500us"}, "--statement-timeout 500µs: want 1ms or more"},
		{"assess lock timeout", []string{"assess", "--dsn", "postgres://app@127.0.0.1:1/app", "--lock-timeout", "-1s"}, "--lock-timeout -1s: want 1ms or more"},
		{"observe statement timeout", []string{"observe", "--dsn", "postgres://app@127.0.0.1:1/app", "--statement-timeout", "0"}, "--statement-timeout 0s: want 1ms or more"},
		{"mesh watch json", []string{"mesh", "status", "--plan", good, "--watch", "--format", "json"}, "--watch is a dashboard on the terminal: leave out --format json"},
		{"mesh watch no terminal", []string{"mesh", "status", "--plan", good, "--watch"}, "--watch needs a terminal"},
		{"mesh verify source", []string{"mesh", "verify", "--plan", good, "--source", "nosuch"}, "--source nosuch: not a node of the plan (nodes: a, b)"},
		{"mesh verify max rows", []string{"mesh", "verify", "--plan", good, "--max-rows", "-1"}, "--max-rows -1: want 1 or more"},
		{"mesh verify recheck", []string{"mesh", "verify", "--plan", good, "--recheck", "-1s"}, "--recheck -1s: want a wait of 0 (no recheck) or more"},
		{"observe trace directory", []string{"observe", "--trace", dir}, "--trace " + dir + ": is a directory, want a file"},
		{"bootstrap wait", []string{"bootstrap", "--plan", good, "--wait", "-5s", "--dry-run"}, "--wait -5s: want more than 0"},
		{"bootstrap sandbox nodes", []string{"bootstrap", "--sandbox", "99", "--sandbox-dir", filepath.Join(dir, "sb")}, "--sandbox 99: want 2 to 16 nodes"},
		{"bootstrap sequences", []string{"bootstrap", "--topology", "active-active", "--engine", "native", "--dry-run", "--sequences", "random",
			"--node", "a=postgres://app@127.0.0.1:1/app", "--node", "b=postgres://app@127.0.0.1:2/app"}, `topology.sequences: unknown strategy "random"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, "", tc.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, errs)
			}
			if out != "" {
				t.Errorf("stdout should be empty: %.200q", out)
			}
			if !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 || len(errs) > 2000 {
				t.Errorf("stderr = %.500q\nwant one short line containing %q", errs, tc.want)
			}
			if strings.Contains(errs, "s3cret") {
				t.Errorf("password in stderr: %q", errs)
			}
		})
	}
}

// sandbox down with nothing to stop is not an error.
func TestSandboxDownNothing(t *testing.T) {
	code, out, errs := runCLI(t, "", "sandbox", "down", "--dir", filepath.Join(t.TempDir(), "none"))
	if code != exitOK || out != "" || !strings.Contains(errs, "nothing to stop") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit 0 saying there is nothing to stop", code, out, errs)
	}
}

// The exit code comes from the error's type, not its words: a failure
// inside a command is 1 even when its text reads like one of cobra's
// usage messages, and cobra's own refusals are 2 whatever they say.
func TestExitCodeFromErrorType(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"runtime error worded like usage", []string{"work"}, exitRuntime},
		{"usage error from the run", []string{"work", "--bad-input"}, exitUsage},
		{"unknown command", []string{"nosuch"}, exitUsage},
		{"unknown flag", []string{"work", "--nosuch"}, exitUsage},
		{"extra argument", []string{"work", "extra"}, exitUsage},
		{"required flag", []string{"needs"}, exitUsage},
		{"ok", []string{"work", "--ok"}, exitOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			a := newApp(strings.NewReader(""), io.Discard, &stderr)
			root := &cobra.Command{Use: "aadvisor", SilenceUsage: true, SilenceErrors: true}
			var bad, ok bool
			work := &cobra.Command{Use: "work", Args: cobra.NoArgs, RunE: func(*cobra.Command, []string) error {
				switch {
				case ok:
					return nil
				case bad:
					return usagef("--bad-input: no such file")
				}
				return errors.New(`read plan: unknown flag in "accepts 1 arg": invalid argument`)
			}}
			work.Flags().BoolVar(&bad, "bad-input", false, "")
			work.Flags().BoolVar(&ok, "ok", false, "")
			needs := &cobra.Command{Use: "needs", RunE: func(*cobra.Command, []string) error { return nil }}
			needs.Flags().String("answers", "", "")
			_ = needs.MarkFlagRequired("answers")
			root.AddCommand(work, needs)
			markRuns(root)
			root.SetArgs(tc.args)
			if got := a.exit(root.Execute()); got != tc.want {
				t.Errorf("exit %d, want %d (stderr %q)", got, tc.want, stderr.String())
			}
		})
	}
}

// A table named with --tables that no node has is bad input (exit 2
// naming the flag), not a runtime failure.
func TestVerifyUnknownTable(t *testing.T) {
	if testing.Short() {
		t.Skip("PostgreSQL servers: not with -short")
	}
	sb := sandboxtest.ForTest(t, 0, 2)
	plan := filepath.Join(t.TempDir(), "mesh.yaml")
	body := "version: 2\ntopology:\n  kind: active-active\n  engine: native\n  nodes:\n" +
		"    - {name: a, role: peer, dsn: \"" + sb.Nodes[0].DSN("postgres") + "\"}\n" +
		"    - {name: b, role: peer, dsn: \"" + sb.Nodes[1].DSN("postgres") + "\"}\n"
	if err := os.WriteFile(plan, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "", "mesh", "verify", "--plan", plan, "--tables", "public.nope")
	if code != exitUsage || out != "" || !strings.Contains(errs, "--tables: verify: table public.nope: not found on any node") {
		t.Errorf("exit %d, stdout %q, stderr %q; want exit %d naming --tables", code, out, errs, exitUsage)
	}
}
