package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
