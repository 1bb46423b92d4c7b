package decide

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var (
	citeRE    = regexp.MustCompile(`\[(R\d+(?:\s*,\s*R\d+)*)\]`)
	refIDRE   = regexp.MustCompile(`R\d+`)
	definedRE = regexp.MustCompile(`(?m)^\*\*\[(R\d+)\]\*\*`)
)

// Every reference the code, the templates, the docs and the printed
// recommendations cite resolves in docs/references.md, and nothing points
// at notes outside the repository.
func TestReferencesResolve(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "references.md"))
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, m := range definedRE.FindAllStringSubmatch(string(doc), -1) {
		defined[m[1]] = true
	}
	for i := 1; i <= 25; i++ {
		if id := "R" + strconv.Itoa(i); !defined[id] {
			t.Errorf("docs/references.md lacks %s", id)
		}
	}
	texts := map[string]string{}
	var files []string
	for _, g := range []string{"*.go", "../*.go", "../forecast/*.go", "../../cmd/aadvisor/*.go", "../../templates/*.tmpl", "../../docs/*.md", "../../docs/rules/*.md", "../../rules/*.go", "../../README.md"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		texts[f] = string(b)
	}
	profiles, _ := filepath.Glob(filepath.Join("testdata", "profiles", "*.yaml"))
	as := shopAssessment(t)
	for _, p := range profiles {
		r := recommendProfile(t, filepath.Base(p), Inputs{Assessment: as})
		for _, f := range Formats {
			var b strings.Builder
			if err := r.Write(&b, f); err != nil {
				t.Fatal(err)
			}
			texts[filepath.Base(p)+" ("+f+")"] = b.String()
		}
	}
	cited := map[string][]string{}
	for name, s := range texts {
		for _, m := range citeRE.FindAllStringSubmatch(s, -1) {
			for _, id := range refIDRE.FindAllString(m[1], -1) {
				cited[id] = append(cited[id], name)
			}
		}
		if strings.Contains(s, "research/") {
			t.Errorf("%s points at research/ notes the repository does not ship", name)
		}
	}
	var ids []string
	for id := range cited {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !defined[id] {
			sort.Strings(cited[id])
			t.Errorf("[%s] is cited (%s) but docs/references.md does not define it", id, strings.Join(cited[id], ", "))
		}
	}
	if len(cited) < 20 {
		t.Errorf("only %d references cited: is the scan looking at the right files?", len(cited))
	}
}
