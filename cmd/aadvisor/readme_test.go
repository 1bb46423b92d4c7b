package main

import (
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate"
)

// The README shows the start of 'make run”s output; every line it shows
// is in the real output, in order ("..." stands for lines left out).
func TestReadmeMakeRunExcerpt(t *testing.T) {
	readme := readFile(t, "../../README.md")
	const intro = "Its output starts like this:\n\n```\n"
	i := strings.Index(readme, intro)
	if i < 0 {
		t.Fatal("README: no 'make run' excerpt")
	}
	excerpt := readme[i+len(intro):]
	excerpt = excerpt[:strings.Index(excerpt, "\n```")]
	t.Chdir("../..")
	t.Setenv("NO_COLOR", "1")
	code, out, errs := runCLI(t, "", "assess", "--schema", "examples/shop/schema.sql", "--queries", "examples/shop/queries.sql", "--fail-on", "none")
	if code != exitOK {
		t.Fatalf("make run's assess: exit %d: %s", code, errs)
	}
	rest := out
	for _, l := range strings.Split(excerpt, "\n") {
		if strings.TrimSpace(l) == "..." {
			continue
		}
		j := strings.Index(rest, l+"\n")
		if j < 0 {
			t.Fatalf("README's 'make run' excerpt is out of date at:\n%s\nthe output is now:\n%s", l, out)
		}
		rest = rest[j+len(l)+1:]
	}
}

// The files the README and the docs tell a reader to write in the
// checkout are ignored by git.
func TestReadmeOutputsIgnored(t *testing.T) {
	ignore := map[string]bool{}
	for _, l := range strings.Split(readFile(t, "../../.gitignore"), "\n") {
		ignore[strings.TrimSpace(l)] = true
	}
	written := regexp.MustCompile(`(?:-o|--output|--save|--repair-sql) ([A-Za-z0-9_.-]+\.(?:yaml|json|html|bin|sql))\b`)
	docs, _ := filepath.Glob("../../docs/*.md")
	for _, f := range append(docs, "../../README.md") {
		for _, m := range written.FindAllStringSubmatch(readFile(t, f), -1) {
			if !ignore["/"+m[1]] {
				t.Errorf("%s writes %s in the checkout, which .gitignore does not list", filepath.Base(f), m[1])
			}
		}
	}
}

// The walk-throughs (README, docs/bootstrap.md) start a sandbox of one
// PostgreSQL version and bootstrap the plan that their answers file makes:
// that plan's engine must run there, and its nodes fit the sandbox. (The
// README's answers said pg_version 17 once the engine followed the
// version, so the plan asked for pglogical, which the PostgreSQL 18
// sandbox does not have, and the walk-through stopped at bootstrap.)
func TestWalkthroughPlanRunsOnItsSandbox(t *testing.T) {
	up := regexp.MustCompile(`aadvisor sandbox up --nodes (\d+) --pg (\d+)`)
	rec := regexp.MustCompile(`aadvisor recommend --answers (\S+) -o`)
	for _, f := range []string{"README.md", "docs/bootstrap.md"} {
		text := readFile(t, "../../"+f)
		i := strings.Index(text, "## Walk-through")
		if i < 0 {
			t.Fatalf("%s: no walk-through", f)
		}
		text = text[i:]
		u, r := up.FindStringSubmatch(text), rec.FindStringSubmatch(text)
		if u == nil || r == nil {
			t.Fatalf("%s: the walk-through has no 'sandbox up --nodes N --pg V' or 'recommend --answers FILE -o'", f)
		}
		nodes, _ := strconv.Atoi(u[1])
		version, _ := strconv.Atoi(u[2])
		plan := filepath.Join(t.TempDir(), "plan.yaml")
		if code, _, errs := runCLI(t, "", "recommend", "--answers", filepath.Join("../..", r[1]), "-o", plan); code != exitOK {
			t.Fatalf("%s: recommend --answers %s: exit %d: %s", f, r[1], code, errs)
		}
		p, err := replicate.ReadPlan(plan)
		if err != nil {
			t.Fatal(err)
		}
		tp := p.Topology
		switch {
		case tp.Engine == replicate.EngineNative && tp.Kind == replicate.TopologyActiveActive && version < 16:
			t.Errorf("%s: the plan is a native mesh, which needs PostgreSQL 16 or later; the sandbox runs %d", f, version)
		case tp.Engine == replicate.EnginePglogical && version != 15:
			t.Errorf("%s: the plan wants pglogical; the sandbox's PostgreSQL %d has none (only 15's, from Debian)", f, version)
		}
		if len(tp.Nodes) > nodes {
			t.Errorf("%s: the plan has %d nodes; the sandbox %d", f, len(tp.Nodes), nodes)
		}
	}
}
