package inspect

import (
	"regexp"
	"strings"
)

var (
	// postgres://user:secret@host -> postgres://user:xxxxx@host
	urlPassword = regexp.MustCompile(`(?i)(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)`)
	// password=secret or password='se cret' in a keyword/value DSN.
	kvPassword = regexp.MustCompile(`(?i)((?:^|\s)password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)
	// ?password=secret&... in a URL query.
	queryPassword = regexp.MustCompile(`(?i)([?&]password=)([^&\s]*)`)
)

// Redact hides every password in s: URL user info, password=... pairs and
// URL query parameters. Use it on anything that may hold a DSN before it is
// printed, logged or written to a report.
func Redact(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}xxxxx${3}")
	s = queryPassword.ReplaceAllString(s, "${1}xxxxx")
	s = kvPassword.ReplaceAllString(s, "${1}xxxxx")
	return s
}

var lineBreaks = regexp.MustCompile(`\s*\n\s*`)

// OneLine joins the lines of a multi-line message (the driver lists each
// address it tried on a line of its own) with "; ", so that an error stays
// on one line.
func OneLine(s string) string {
	return lineBreaks.ReplaceAllString(strings.TrimSpace(s), "; ")
}
