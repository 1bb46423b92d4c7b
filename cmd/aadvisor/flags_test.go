package main

import (
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every command that writes a file names the flag -o/--output; --out, the
// former spelling of a few, is hidden.
func TestOutputFlagSpelling(t *testing.T) {
	root := newApp(strings.NewReader(""), io.Discard, io.Discard).rootCommand()
	var walk func(c *cobra.Command)
	seen := 0
	walk = func(c *cobra.Command) {
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			switch f.Name {
			case "output":
				seen++
				if f.Shorthand != "o" {
					t.Errorf("%s --output has shorthand %q, want o", c.CommandPath(), f.Shorthand)
				}
			case "out":
				if !f.Hidden || c.LocalFlags().Lookup("output") == nil {
					t.Errorf("%s has --out as its output flag: want -o/--output (--out hidden)", c.CommandPath())
				}
			default:
				if f.Shorthand == "o" {
					t.Errorf("%s uses -o for --%s", c.CommandPath(), f.Name)
				}
			}
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	if seen < 6 {
		t.Errorf("%d commands have -o/--output, want assess, ask, recommend, bootstrap, report, mesh add-node and remove-node", seen)
	}
	// The old spelling still works, and stdout stays the JSON alone.
	plan := t.TempDir() + "/plan.yaml"
	code, out, errs := runCLI(t, "", "recommend", "--answers", profiles+"5.4-payments-five-nines.yaml", "--out", plan, "--format", "json")
	if code != exitOK || !strings.HasPrefix(out, "{") || !strings.Contains(errs, "plan written to "+plan) {
		t.Errorf("--out: exit %d, stdout %.40q, stderr %q", code, out, errs)
	}
}

// observe's --lag help gives one default, the replication window ask
// assumes.
func TestObserveLagDefault(t *testing.T) {
	_, out, _ := runCLI(t, "", "observe", "--help")
	var line string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "--lag duration") {
			line = l
		}
	}
	q, _ := decide.Lookup("replication_window_ms")
	want := fmt.Sprintf("(default %s)", time.Duration(q.Default.(float64)*float64(time.Millisecond)))
	if strings.Count(line, "default") != 1 || !strings.HasSuffix(line, want) {
		t.Errorf("--lag help %q: want one default, %s, as ask's", line, want)
	}
}

// explain without a rule lists the rules, and the catalogue says what its
// severity means next to the findings' own.
func TestExplainListsRules(t *testing.T) {
	code, out, errs := runCLI(t, "", "explain")
	if code != exitOK || !strings.Contains(out, "AR101  missing-primary-key") || !strings.Contains(out, "SEVERITY is each rule's usual severity") {
		t.Errorf("explain: exit %d, stderr %q, stdout:\n%s", code, errs, out)
	}
	code, _, _ = runCLI(t, "", "explain", "AR101", "AR102")
	if code != exitUsage {
		t.Errorf("explain with two rules: exit %d, want %d", code, exitUsage)
	}
}
