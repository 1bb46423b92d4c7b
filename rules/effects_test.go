package rules_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/rules"
	"golang.org/x/tools/txtar"
)

// TestEffects holds every rule to its per-table effect: a rule whose
// findings name a table (in any variant of its fixture) declares an
// Effect, which its page documents; a finding that says otherwise uses a
// known effect and a rule whose EffectNote says when.
func TestEffects(t *testing.T) {
	for _, r := range rules.All() {
		if r.Effect != "" && !slices.Contains(rules.Effects, r.Effect) {
			t.Errorf("%s: unknown effect %q", r.ID, r.Effect)
		}
		ar, err := txtar.ParseFile(filepath.Join("testdata", r.ID+"-"+r.Name+".txtar"))
		if err != nil {
			t.Errorf("%s: %v", r.ID, err)
			continue
		}
		for _, v := range variants(ar) {
			db, cfg := load(t, variantFiles(ar, v))
			for _, f := range rules.Run(db, cfg, []*rules.Rule{r}).Findings {
				if f.Table != "" && r.Effect == "" {
					t.Errorf("%s %s: finding on table %s, but the rule declares no Effect", r.ID, r.Name, f.Table)
				}
				if f.Effect != "" {
					if !slices.Contains(rules.Effects, f.Effect) {
						t.Errorf("%s %s: finding with unknown effect %q", r.ID, f.Object, f.Effect)
					}
					if r.EffectNote == "" {
						t.Errorf("%s %s: finding with effect %q, but the rule's EffectNote does not say when", r.ID, f.Object, f.Effect)
					}
				}
			}
		}
		if r.Effect != "" && !strings.Contains(rules.Markdown(r), "## Effect on the table") {
			t.Errorf("%s: page does not document the effect", r.ID)
		}
	}
}
