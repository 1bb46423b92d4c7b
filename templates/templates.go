// Package templates holds the embedded report templates and renders them.
// Markdown templates (*.md.tmpl) use text/template; HTML templates
// (*.html.tmpl) use html/template, which escapes every value, so an
// identifier such as <script> renders as text.
package templates

import (
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
)

//go:embed *.tmpl
var files embed.FS

var funcs = map[string]any{
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"join":  strings.Join,
	"add":   func(a, b int) int { return a + b },
	"mdcell": func(s string) string {
		s = strings.ReplaceAll(s, "|", `\|`)
		return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
	},
	"code": func(s string) string {
		// Inline code that survives backticks in the value.
		fence := "`"
		for strings.Contains(s, fence) {
			fence += "`"
		}
		pad := ""
		if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
			pad = " "
		}
		return fence + pad + s + pad + fence
	},
	"verdictClass": func(v string) string { return strings.ReplaceAll(v, " ", "-") },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

// Names lists the embedded templates.
func Names() []string {
	ents, _ := files.ReadDir(".")
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

// Render executes the named template ("assess.md.tmpl") with data.
func Render(w io.Writer, name string, data any) error {
	src, err := files.ReadFile(name)
	if err != nil {
		return fmt.Errorf("render %s: no such template", name)
	}
	if strings.HasSuffix(name, ".html.tmpl") {
		t, err := htmltemplate.New(name).Funcs(funcs).Parse(string(src))
		if err != nil {
			return fmt.Errorf("parse %s: %w", name, err)
		}
		return t.Execute(w, data)
	}
	t, err := texttemplate.New(name).Funcs(funcs).Parse(string(src))
	if err != nil {
		return fmt.Errorf("parse %s: %w", name, err)
	}
	return t.Execute(w, data)
}
