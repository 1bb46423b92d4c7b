package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
)

func TestPrintBootstrapHidesPasswords(t *testing.T) {
	res := &replicate.Result{SchemaVersion: 1, Topology: "active-active", Engine: "native", DryRun: true,
		Checks: []replicate.Check{{Node: "a", Name: "wal_level", Status: replicate.StatusFail, Detail: "is replica",
			Fix: "ALTER SYSTEM SET wal_level = logical; then restart", Restart: true}},
		Steps: []replicate.Step{
			{Node: "b", Action: "subscribe", Status: replicate.StepPlanned,
				SQL: "CREATE SUBSCRIPTION s CONNECTION 'postgres://repl:hunter2@10.0.0.1/app' PUBLICATION p"},
			{Node: "b", Action: "subscribe", Status: replicate.StepPlanned,
				SQL: "CREATE SUBSCRIPTION s2 CONNECTION 'host=10.0.0.2 user=repl password=hunter2 dbname=app' PUBLICATION p"},
			{Node: "c", Action: "rebuild", Status: replicate.StepManual,
				Shell: "pg_basebackup -d 'host=10.0.0.1 user=repl password=hunter2' -R"},
		},
		Nodes: []replicate.NodeReadiness{{Name: "a", DSN: "postgres://repl:xxxxx@10.0.0.1/app"}},
	}
	for _, format := range []string{"text", "json"} {
		var b bytes.Buffer
		if err := printBootstrap(&b, res, format); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s output shows the password:\n%s", format, out)
		}
		if !strings.Contains(out, "CREATE SUBSCRIPTION s2") {
			t.Errorf("%s output lacks the SQL:\n%s", format, out)
		}
		if format == "text" && !strings.Contains(out, "Needs a server restart") {
			t.Errorf("text output does not say what needs a restart:\n%s", out)
		}
	}
	if strings.Contains(res.Steps[0].SQL, "xxxxx") {
		t.Error("printing changed the result's SQL")
	}
}

// bootstrap prints the home-routing rule of every table with a write mode.
func TestPrintBootstrapRouting(t *testing.T) {
	top := replicate.Topology{WriteModes: []replicate.WriteMode{
		{Table: "public.inventory", Mode: replicate.WriteHome, Home: "us_east_1"},
		{Table: "public.sessions", Mode: replicate.WriteLocal},
	}}
	res := &replicate.Result{SchemaVersion: 1, Topology: "active-active", Engine: "native", DryRun: true, Routing: top.Routing()}
	var b bytes.Buffer
	if err := printBootstrap(&b, res, "text"); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Write routing (the plan's write modes; local tables are left out of replication)",
		"public.inventory", "write only on node us_east_1 (its home)", "public.sessions", "node-local: not replicated"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, b.String())
		}
	}
}

// TestSandboxDefaultEngine: bootstrap on a sandbox without --engine picks
// native from 16 (origin = none), pglogical before.
func TestSandboxDefaultEngine(t *testing.T) {
	for _, c := range []struct {
		major int
		want  string
	}{{15, replicate.EnginePglogical}, {16, replicate.EngineNative}, {17, replicate.EngineNative}, {18, replicate.EngineNative}} {
		in := &sandbox.Install{Major: c.major, Version: fmt.Sprint(c.major)}
		sb := &sandbox.Sandbox{Nodes: []*sandbox.Node{{Name: "node1", Port: 5001, Install: in}, {Name: "node2", Port: 5002, Install: in}}}
		p, err := (&bootstrapOptions{}).planFromFlags(sb)
		if err != nil {
			t.Fatal(err)
		}
		if p.Topology.Engine != c.want || p.Topology.Kind != replicate.TopologyActiveActive {
			t.Errorf("PostgreSQL %d: %s %s, want active-active %s", c.major, p.Topology.Kind, p.Topology.Engine, c.want)
		}
	}
}

// A node that cannot be reached fails its connect precheck on one line,
// without the password, although the driver reports each address it tried
// on a line of its own.
func TestBootstrapConnectPrecheckOneLine(t *testing.T) {
	code, out, errs := runCLI(t, "", "bootstrap", "--topology", "active-active", "--engine", "native", "--dry-run",
		"--node", "a=postgres://app:s3cret@127.0.0.1:1/app", "--node", "b=postgres://app:s3cret@127.0.0.1:2/app")
	if code != exitRuntime {
		t.Errorf("exit %d, want %d (stderr %q)", code, exitRuntime, errs)
	}
	fails := 0
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "\t") {
			t.Errorf("a precheck runs over several lines: %q\n%s", line, out)
		}
		if strings.Contains(line, "FAIL") && strings.Contains(line, "connect") {
			fails++
		}
	}
	if fails != 2 || strings.Contains(out+errs, "s3cret") {
		t.Errorf("want two connect failures without the password:\n%s%s", out, errs)
	}
}
