package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
