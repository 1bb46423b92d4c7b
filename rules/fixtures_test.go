package rules_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/sqlfile"
	"github.com/aadvisor/aadvisor/rules"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the want files of testdata/*.txtar")

// A fixture is testdata/<ID>-<name>.txtar (or clean.txtar) with the files
//
//	schema.sql     schema, read by sqlfile
//	queries.sql    workload (optional)
//	queries.json   pg_stat_statements export: [{"query", "calls", "rows", ...}] (optional)
//	stats.json     {"table": {"n_tup_ins": ...}} -> Table.Stats (optional)
//	settings.json  {"name": "value"} -> Database.Settings (optional)
//	db.json        a partial inspect.Database laid over the model (optional)
//	toast.json     {"table": bytes} -> Table.ToastBytes (optional)
//	config.json    rules.Config (optional)
//	want           golden findings: "severity ID object: message" (then "    effect: ..."
//	               when the finding's effect on its table is not the rule's, or it
//	               marks other tables), "skipped ID: reason"
//	fixes          golden fix SQL of the findings that have one
//
// Problems sqlfile reports in the input end the want file as "input
// error:" lines, so a fixture that does not parse as intended shows up.
//
// Files under a prefix ("fixed/schema.sql", "skip/db.json") form a variant
// that overrides the base files; an empty file removes the base file. The
// base variant must fire the rule; "fixed*" variants must neither fire nor
// skip it; "skip*" variants must skip it. Every variant but "fixed*" has a
// golden "<variant>/want". clean.txtar runs every rule and must give no
// warnings or errors.
func TestFixtures(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no fixtures in testdata")
	}
	for _, path := range paths {
		base := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(base, func(t *testing.T) {
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var rule *rules.Rule
			rs := rules.All()
			if base != "clean" {
				id, name, _ := strings.Cut(base, "-")
				r, ok := rules.Lookup(id)
				if !ok || r.Name != name {
					t.Fatalf("fixture %s names no rule (want <ID>-<name>.txtar)", base)
				}
				rule, rs = r, []*rules.Rule{r}
			}
			changed := false
			for _, v := range variants(ar) {
				name := v
				if name == "" {
					name = "base"
				}
				t.Run(name, func(t *testing.T) {
					files := variantFiles(ar, v)
					db, cfg := load(t, files)
					res := rules.Run(db, cfg, rs)
					got := render(res)
					for _, e := range db.Errors {
						got += "input error: " + filepath.Base(e.Pos.File) + ":" + fmt.Sprint(e.Pos.Line) + ": " + e.Message + "\n"
					}
					if rule != nil {
						checkVariant(t, v, rule, res)
					} else {
						for _, f := range res.Findings {
							if f.Severity >= rules.Warning {
								t.Errorf("clean schema: %s %s %s: %s", f.Severity, f.RuleID, f.Object, f.Message)
							}
						}
					}
					if strings.HasPrefix(v, "fixed") {
						return
					}
					goldens := map[string]string{"want": got}
					if fixes := renderFixes(res); fixes != "" || files["fixes"] != "" {
						goldens["fixes"] = fixes
					}
					for _, g := range []string{"want", "fixes"} {
						got, ok := goldens[g]
						if !ok {
							continue
						}
						name := path2(v, g)
						if *update {
							changed = setFile(ar, name, got) || changed
							continue
						}
						want, ok := files[g]
						if !ok {
							t.Errorf("no %s section; run go test ./rules -update", name)
							continue
						}
						if diff := cmp.Diff(want, got); diff != "" {
							t.Errorf("%s mismatch (-want +got); run go test ./rules -update:\n%s", name, diff)
						}
					}
				})
			}
			if changed {
				if err := os.WriteFile(path, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func checkVariant(t *testing.T, v string, rule *rules.Rule, res rules.Result) {
	t.Helper()
	n := 0
	for _, f := range res.Findings {
		if f.RuleID == rule.ID {
			n++
		}
	}
	skipped := slices.ContainsFunc(res.Skipped, func(s rules.SkippedRule) bool { return s.RuleID == rule.ID })
	switch {
	case strings.HasPrefix(v, "fixed"):
		if n > 0 || skipped {
			t.Errorf("fixed variant: want no findings and no skip, got:\n%s", render(res))
		}
	case strings.HasPrefix(v, "skip"):
		if !skipped {
			t.Errorf("skip variant: rule %s was not skipped", rule.ID)
		}
	case v == "":
		if n == 0 {
			t.Errorf("base variant: rule %s did not fire:\n%s", rule.ID, render(res))
		}
	}
}

func path2(variant, name string) string {
	if variant == "" {
		return name
	}
	return variant + "/" + name
}

// variants lists "" and every prefix used by the archive's files.
func variants(ar *txtar.Archive) []string {
	vs := []string{""}
	for _, f := range ar.Files {
		if i := strings.LastIndex(f.Name, "/"); i > 0 && !slices.Contains(vs, f.Name[:i]) {
			vs = append(vs, f.Name[:i])
		}
	}
	return vs
}

// variantFiles merges the base files with a variant's overrides.
func variantFiles(ar *txtar.Archive, v string) map[string]string {
	files := map[string]string{}
	for _, f := range ar.Files {
		if !strings.Contains(f.Name, "/") && f.Name != "want" && f.Name != "fixes" {
			files[f.Name] = string(f.Data)
		}
	}
	for _, f := range ar.Files {
		name, ok := strings.CutPrefix(f.Name, v+"/")
		if v == "" || !ok {
			continue
		}
		if len(strings.TrimSpace(string(f.Data))) == 0 && name != "want" && name != "fixes" {
			delete(files, name)
			continue
		}
		files[name] = string(f.Data)
	}
	if v == "" {
		for _, f := range ar.Files {
			if f.Name == "want" || f.Name == "fixes" {
				files[f.Name] = string(f.Data)
			}
		}
	}
	return files
}

func setFile(ar *txtar.Archive, name, data string) bool {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			if string(ar.Files[i].Data) == data {
				return false
			}
			ar.Files[i].Data = []byte(data)
			return true
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: []byte(data)})
	return true
}

// load reads the fixture's SQL through sqlfile (as `assess --schema`
// does) and lays the JSON evidence over the model.
func load(t *testing.T, files map[string]string) (*inspect.Database, rules.Config) {
	t.Helper()
	dir := t.TempDir()
	var opts sqlfile.Options
	for _, name := range []string{"schema.sql", "queries.sql", "queries.json"} {
		src, ok := files[name]
		if !ok {
			continue
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		if name == "schema.sql" {
			opts.Schema = append(opts.Schema, p)
		} else {
			opts.Queries = append(opts.Queries, p)
		}
	}
	db, err := sqlfile.Read(context.Background(), opts)
	if err != nil {
		t.Fatalf("sqlfile.Read: %v", err)
	}
	if src, ok := files["stats.json"]; ok {
		var stats map[string]inspect.TableStats
		decode(t, "stats.json", src, &stats)
		for name, s := range stats {
			tbl := db.TableByQualified(name)
			if tbl == nil {
				t.Fatalf("stats.json: no table %q in the schema", name)
			}
			tbl.Stats = &s
		}
		db.Workload.TableStats = true
		dropSkip(db, inspect.EvidenceTableStats)
	}
	if src, ok := files["settings.json"]; ok {
		var settings map[string]string
		decode(t, "settings.json", src, &settings)
		db.Settings = map[string]inspect.Setting{}
		for k, v := range settings {
			db.Settings[k] = inspect.Setting{Name: k, Value: v}
		}
		dropSkip(db, inspect.EvidenceSettings)
	}
	if src, ok := files["db.json"]; ok {
		var keys map[string]json.RawMessage
		decode(t, "db.json", src, &keys)
		decode(t, "db.json", src, db)
		for key, ev := range map[string]string{
			"replication_slots": inspect.EvidenceSlots, "subscriptions": inspect.EvidenceSubscription,
			"databases": inspect.EvidenceDatabases, "large_objects": inspect.EvidenceLargeObjects,
		} {
			if _, ok := keys[key]; ok {
				dropSkip(db, ev)
			}
		}
	}
	if src, ok := files["toast.json"]; ok {
		var sizes map[string]int64
		decode(t, "toast.json", src, &sizes)
		for name, n := range sizes {
			tbl := db.TableByQualified(name)
			if tbl == nil {
				t.Fatalf("toast.json: no table %q in the schema", name)
			}
			tbl.ToastBytes = n
		}
		dropSkip(db, inspect.EvidenceToast)
	}
	var cfg rules.Config
	if src, ok := files["config.json"]; ok {
		decode(t, "config.json", src, &cfg)
	}
	return db, cfg
}

func decode(t *testing.T, name, src string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(src))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func dropSkip(db *inspect.Database, evidence string) {
	db.Skipped = slices.DeleteFunc(db.Skipped, func(s inspect.Skipped) bool { return s.Evidence == evidence })
}

// render writes findings and skips one per line for the goldens.
func render(res rules.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s %s %s: %s\n", f.Severity, f.RuleID, f.Object, f.Message)
		if f.Effect != "" || f.EffectWhy != "" || len(f.Related) > 0 {
			// A finding's own effect on its table, and the other tables it
			// marks, are judgements too.
			r, _ := rules.Lookup(f.RuleID)
			line := "    effect: " + string(f.TableEffect(r))
			if f.EffectWhy != "" {
				line += " (" + f.EffectWhy + ")"
			}
			if len(f.Related) > 0 {
				line += "; also on " + strings.Join(f.Related, ", ")
			}
			b.WriteString(line + "\n")
		}
	}
	for _, s := range res.Skipped {
		fmt.Fprintf(&b, "skipped %s: %s\n", s.RuleID, s.Reason)
	}
	return b.String()
}

// renderFixes writes the fix SQL of each finding for the "fixes" golden.
func renderFixes(res rules.Result) string {
	var b strings.Builder
	for _, f := range res.Findings {
		if f.FixSQL == "" {
			continue
		}
		fmt.Fprintf(&b, "%s %s:\n", f.RuleID, f.Object)
		for line := range strings.Lines(f.FixSQL) {
			b.WriteString("    " + strings.TrimRight(line, "\n") + "\n")
		}
	}
	return b.String()
}

// TestEveryRuleHasFixtures checks that each rule has a fixture that
// fires it and a fixed variant.
func TestEveryRuleHasFixtures(t *testing.T) {
	for _, r := range rules.All() {
		path := filepath.Join("testdata", r.ID+"-"+r.Name+".txtar")
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Errorf("%s: %v", r.ID, err)
			continue
		}
		if !slices.ContainsFunc(variants(ar), func(v string) bool { return strings.HasPrefix(v, "fixed") }) {
			t.Errorf("%s has no fixed/ variant", path)
		}
	}
}
