package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// module is the import path of this module.
const module = "github.com/aadvisor/aadvisor"

// layout is who may import whom, written once. Each rule names a package
// of the module (pkg, or pkg/... for it and every package below it; the
// longest match wins), the packages of the module it may import (the same
// patterns), and the modules outside the standard library it may import
// (path prefixes). The directions: cmd → assess/decide → assess → rules →
// inspect, assess/decide → assess/forecast → inspect, and cmd → replicate
// → inspect; templates draws what they make.
var layout = []struct {
	pkg     string
	imports []string
	outside []string
}{
	// The CLI: the only importer of cobra and the terminal libraries.
	{"cmd/aadvisor", []string{"assess/...", "rules", "inspect/...", "replicate/...", "templates"},
		[]string{"github.com/spf13/", "github.com/charmbracelet/", "golang.org/x/term", "github.com/jackc/pgx/v5", "go.yaml.in/yaml/v3"}},

	// The decision reads the audit and the forecast, draws the page with
	// templates and makes replicate's plan.
	{"assess/decide", []string{"assess", "assess/forecast", "rules", "inspect", "templates", "replicate"}, []string{"go.yaml.in/yaml/v3"}},
	// The audit and its rules.
	{"assess", []string{"rules", "inspect", "templates"}, []string{"go.yaml.in/yaml/v3"}},
	// The conflict forecast: the model and the change stream only.
	{"assess/forecast", []string{"inspect", "inspect/stream"}, nil},
	{"rules", []string{"inspect"}, nil},
	{"rules/internal/gendocs", []string{"rules"}, nil},

	// The model, standard library only; its readers and the statement
	// analyser they share.
	{"inspect", nil, nil},
	{"inspect/pglive", []string{"inspect", "inspect/stmt"}, []string{"github.com/jackc/pgx/v5"}},
	{"inspect/sqlfile", []string{"inspect", "inspect/stmt"}, []string{"github.com/pganalyze/pg_query_go/", "google.golang.org/protobuf/"}},
	{"inspect/stmt", []string{"inspect"}, []string{"github.com/pganalyze/pg_query_go/", "google.golang.org/protobuf/"}},
	{"inspect/stream", []string{"inspect"}, []string{"github.com/jackc/pglogrepl", "github.com/jackc/pgx/v5"}},

	// Replication: never rules or assess.
	{"replicate", []string{"inspect", "replicate/sandbox"},
		[]string{"github.com/jackc/pgx/v5", "github.com/prometheus/client_golang/", "go.yaml.in/yaml/v3"}},
	{"replicate/sandbox", []string{"inspect"}, []string{"github.com/jackc/pgx/v5"}},
	{"replicate/drill", []string{"replicate", "replicate/sandbox", "inspect"}, []string{"github.com/jackc/pgx/v5"}},

	// The embedded templates: standard library only.
	{"templates", nil, nil},
}

// testOnly are the packages only tests import (with the commands that
// serve them): they may import what they need, and no other package may
// import them.
var testOnly = []string{"replicate/sandbox/sandboxtest", "assess/forecast/forecasttest", "inspect/benchgen/..."}

// topLevel is the fixed top-level layout of the repository.
var topLevel = []string{"cmd", "inspect", "rules", "assess", "replicate", "templates", "docs", "examples",
	"go.mod", "go.sum", "Makefile", "README.md", ".ci", ".gitignore"}

// match reports whether the package path (relative to the module) is
// named by pattern, and how specific the match is.
func match(pattern, pkg string) (bool, int) {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/"), len(base)
	}
	return pkg == pattern, len(pattern) + 1
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { ok, _ := match(p, pkg); return ok })
}

type listedPackage struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// goList runs go list -json in the module's root and decodes its stream
// of packages.
func goList(t *testing.T, args ...string) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.String())
	}
	var pkgs []listedPackage
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// TestLayout holds every package of the module to the directions of
// layout: what it imports of the module, and from outside the standard
// library.
func TestLayout(t *testing.T) {
	std := map[string]bool{}
	for _, p := range goList(t, "std") {
		std[p.ImportPath] = true
	}
	for _, p := range goList(t, "./...") {
		pkg := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		for _, imp := range p.Imports {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok && matchAny(testOnly, rel) && !matchAny(testOnly, pkg) {
				t.Errorf("%s imports %s, which only tests may import", pkg, rel)
			}
		}
		if matchAny(testOnly, pkg) {
			continue
		}
		best, bestLen := -1, -1
		for i, r := range layout {
			if ok, n := match(r.pkg, pkg); ok && n > bestLen {
				best, bestLen = i, n
			}
		}
		if best < 0 {
			t.Errorf("%s has no place in the layout: add it to layout in %s", pkg, "cmd/aadvisor/layout_test.go")
			continue
		}
		rule := layout[best]
		for _, imp := range p.Imports {
			switch rel, ok := strings.CutPrefix(imp, module+"/"); {
			case std[imp]:
			case ok:
				if !matchAny(rule.imports, rel) {
					t.Errorf("%s imports %s: %s may import %v", pkg, rel, rule.pkg, rule.imports)
				}
			case !slices.ContainsFunc(rule.outside, func(o string) bool { return strings.HasPrefix(imp, o) }):
				t.Errorf("%s imports %s: outside the standard library %s may import %v", pkg, imp, rule.pkg, rule.outside)
			}
		}
	}
}

// The binary links no test code: testing is not among its dependencies.
func TestBinaryLinksNoTesting(t *testing.T) {
	for _, p := range goList(t, "-deps", "./cmd/aadvisor") {
		if p.ImportPath == "testing" {
			t.Errorf("go list -deps ./cmd/aadvisor lists testing: a package the binary links imports it")
		}
	}
}

// The top level of the repository is the layout the product fixes: what
// git tracks there (files it ignores, a local plan.yaml, build output, the
// server binaries in .cache, are no part of it).
func TestTopLevel(t *testing.T) {
	cmd := exec.Command("git", "ls-files", "--full-name", ":/")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	seen := map[string]bool{}
	for _, f := range strings.Fields(string(out)) {
		top, _, _ := strings.Cut(f, "/")
		if !seen[top] && !slices.Contains(topLevel, top) {
			t.Errorf("%s at the top level: the layout is %v", top, topLevel)
		}
		seen[top] = true
	}
}
