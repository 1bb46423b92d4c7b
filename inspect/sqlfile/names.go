package sqlfile

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxIdent is NAMEDATALEN - 1: the longest identifier PostgreSQL keeps.
const maxIdent = 63

// makeObjectName builds name1_name2_label as PostgreSQL's makeObjectName
// does, shortening name1 and name2 (the longer first) so the result fits
// in 63 bytes.
func makeObjectName(name1, name2, label string) string {
	overhead := 0
	n1, n2 := len(name1), len(name2)
	if name2 != "" {
		overhead++
	}
	if label != "" {
		overhead += len(label) + 1
	}
	avail := maxIdent - overhead
	for n1+n2 > avail && (n1 > 0 || n2 > 0) {
		if n1 > n2 {
			n1--
		} else {
			n2--
		}
	}
	out := clipUTF8(name1, n1)
	if name2 != "" {
		out += "_" + clipUTF8(name2, n2)
	}
	if label != "" {
		out += "_" + label
	}
	return out
}

// clipUTF8 cuts s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// chooseName picks name1_name2_label, or with label1, label2... appended
// when taken, as ChooseRelationName and ChooseConstraintName do.
func chooseName(name1, name2, label string, taken func(string) bool) string {
	mod := label
	for pass := 1; ; pass++ {
		name := makeObjectName(name1, name2, mod)
		if !taken(name) {
			return name
		}
		mod = label + strconv.Itoa(pass)
	}
}

// nameAddition joins column names with "_" and cuts the result to 63
// bytes (ChooseIndexNameAddition, ChooseForeignKeyConstraintNameAddition).
func nameAddition(cols []string) string {
	return clipUTF8(strings.Join(cols, "_"), maxIdent)
}
