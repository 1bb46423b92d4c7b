// Package templates holds the embedded report templates and renders them.
// Markdown templates (*.md.tmpl) use text/template; HTML templates
// (*.html.tmpl) use html/template, which escapes every value, so an
// identifier such as <script> renders as text.
//
// It imports the standard library only: the packages that build a page
// import it, never the reverse.
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
	// mdcell makes text fit in a table cell: a pipe escaped, line breaks
	// as <br> (a name such as "a<newline>b" keeps its break, and the row
	// stays whole).
	"mdcell": func(s string) string {
		r := strings.NewReplacer("|", `\|`, "\r\n", "<br>", "\n", "<br>", "\r", "<br>")
		return r.Replace(strings.TrimSpace(s))
	},
	"code": mdCode,
	// fence is a code fence longer than any run of backticks in s.
	"fence": func(s string) string {
		fence := "```"
		for strings.Contains(s, fence) {
			fence += "`"
		}
		return fence
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

// mdCode renders s as inline code in Markdown, also in a table cell and a
// heading: a code span that survives backticks in the value, or, when s
// holds a line break or a pipe (which end a table row or cell even inside
// a code span), an HTML <code> element with them as <br> and &#124;, so
// an identifier such as "a<newline>b|c" shows as it is.
func mdCode(s string) string {
	if strings.ContainsAny(s, "\n\r|") {
		r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "|", "&#124;", "\r\n", "<br>", "\n", "<br>", "\r", "<br>",
			"`", "&#96;", "\\", "&#92;", "*", "&#42;", "_", "&#95;")
		return "<code>" + r.Replace(s) + "</code>"
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
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
