package rules

import (
	"fmt"
	"strings"
)

//go:generate go run ./internal/gendocs -dir ../docs/rules

// evidenceNames are the people-facing names of evidence kinds.
var evidenceNames = map[string]string{
	"pg_stat_statements":  "workload statements (pg_stat_statements or --queries)",
	"pg_stat_user_tables": "table statistics (pg_stat_user_tables)",
	"settings":            "server settings (pg_settings)",
	"large_objects":       "large objects (pg_largeobject_metadata)",
	"replication_slots":   "replication slots (pg_replication_slots)",
	"subscriptions":       "subscriptions (pg_subscription)",
	"toast_sizes":         "TOAST sizes",
	"databases":           "the instance's databases (pg_database)",
	"superuser_settings":  "the settings pg_settings shows only to superusers and pg_read_all_settings",
}

// DocFileName is the file of a rule's page in docs/rules: "AR101-missing-primary-key.md".
func DocFileName(r *Rule) string { return r.ID + "-" + r.Name + ".md" }

// Markdown renders a rule's documentation page. `aadvisor explain` prints
// it and docs/rules holds it.
func Markdown(r *Rule) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s %s\n\n%s.\n\n", r.ID, r.Name, r.Title)
	b.WriteString("| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| Severity | %s |\n", r.Severity)
	fmt.Fprintf(&b, "| Category | %s |\n", r.Category)
	fmt.Fprintf(&b, "| Engines | %s |\n", strings.Join(r.Engines, ", "))
	if len(r.Needs) > 0 {
		var needs []string
		for _, n := range r.Needs {
			if name, ok := evidenceNames[n]; ok {
				n = name
			}
			needs = append(needs, n)
		}
		fmt.Fprintf(&b, "| Needs | %s |\n", strings.Join(needs, "; "))
	}
	if r.Effect != "" {
		fmt.Fprintf(&b, "| Table effect | %s |\n", r.Effect)
	}
	section(&b, "Why it breaks under multi-primary", r.Doc.Why)
	if len(r.Doc.Engines) > 0 {
		b.WriteString("\n## Engines\n\n")
		for _, e := range AllEngines {
			if txt, ok := r.Doc.Engines[e]; ok {
				fmt.Fprintf(&b, "- **%s**: %s\n", e, strings.TrimSpace(txt))
			}
		}
		for _, e := range sortedKeys(r.Doc.Engines) {
			if !containsFold(AllEngines, e) {
				fmt.Fprintf(&b, "- **%s**: %s\n", e, strings.TrimSpace(r.Doc.Engines[e]))
			}
		}
	}
	section(&b, "How aadvisor detects it", r.Doc.Detection)
	section(&b, "Fix", r.Doc.Fix)
	if r.Effect != "" {
		text := r.Effect.Describe()
		if r.EffectNote != "" {
			text += " " + strings.TrimSpace(r.EffectNote)
		}
		section(&b, "Effect on the table", text+"\n\n`aadvisor assess` turns the effects of a table's findings into its per-table advice; the most restrictive wins.")
	}
	if ex := strings.TrimSpace(r.Doc.Example); ex != "" {
		fmt.Fprintf(&b, "\n## Example\n\n```sql\n%s\n```\n", ex)
	}
	if len(r.Doc.References) > 0 {
		b.WriteString("\n## References\n\n")
		for _, ref := range r.Doc.References {
			fmt.Fprintf(&b, "- %s\n", ref)
		}
	}
	return b.String()
}

func section(b *strings.Builder, title, text string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	fmt.Fprintf(b, "\n## %s\n\n%s\n", title, text)
}

// Catalogue renders the table of all rules (docs/rules/README.md).
func Catalogue(rs []*Rule) string {
	var b strings.Builder
	b.WriteString("# Rules\n\n")
	b.WriteString("Generated from the rule definitions in `rules/` by `go generate ./rules`; do not edit.\n")
	b.WriteString("`aadvisor explain ID` prints the same pages.\n\n")
	b.WriteString("Severity: **error** = replication stops or data is lost; **warning** = conflicts need a design; **info** = worth knowing.\n")
	b.WriteString("A rule whose evidence is missing is reported as skipped, with the reason, never as a pass.\n")
	cat := Category("")
	for _, r := range rs {
		if r.Category != cat {
			cat = r.Category
			fmt.Fprintf(&b, "\n## %s\n\n| ID | Name | Severity | Title | Engines |\n|---|---|---|---|---|\n", cat)
		}
		fmt.Fprintf(&b, "| [%s](%s) | %s | %s | %s | %s |\n", r.ID, DocFileName(r), r.Name, r.Severity, r.Title, strings.Join(r.Engines, ", "))
	}
	return b.String()
}

// DocFiles returns the generated docs/rules files by name.
func DocFiles(rs []*Rule) map[string]string {
	files := map[string]string{"README.md": Catalogue(rs)}
	for _, r := range rs {
		files[DocFileName(r)] = Markdown(r)
	}
	return files
}
