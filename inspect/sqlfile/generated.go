package sqlfile

import "strings"

// rewritten is a statement's text as handed to the parser, which knows
// PostgreSQL 17: a generated column that is VIRTUAL (PostgreSQL 18, where
// it is also the kind when none is written) reads as STORED, and the
// reader marks it virtual again.
type rewritten struct {
	text    string
	virtual []int // offsets in text of the STORED that stands for VIRTUAL
	inserts []int // offsets in text where " STORED" was inserted
}

const storedWord = " STORED"

// original maps an offset in the rewritten text back to the statement.
func (rw rewritten) original(off int) int {
	shift := 0
	for _, at := range rw.inserts {
		switch {
		case off >= at+len(storedWord):
			shift += len(storedWord)
		case off > at:
			return at - shift
		}
	}
	return off - shift
}

// isVirtual reports whether a virtual column's marker lies between the
// parser locations from and to (-1: the end) of the statement.
func (r *schemaReader) isVirtual(from, to int32) bool {
	for _, off := range r.rw.virtual {
		if off > int(from) && (to < 0 || off < int(to)) {
			return true
		}
	}
	return false
}

// rewriteGenerated finds GENERATED ALWAYS AS (expr) followed by VIRTUAL
// (rewritten in place to STORED) or by neither STORED nor VIRTUAL
// (" STORED" inserted). Quoted text and comments are left alone.
func rewriteGenerated(text string) rewritten {
	rw := rewritten{text: text}
	if !strings.Contains(asciiLower(text), "generated") {
		return rw
	}
	toks := sqlTokens(text)
	var b strings.Builder
	copied := 0
	for i := 0; i+3 < len(toks); i++ {
		if !toks[i].is("generated") || !toks[i+1].is("always") || !toks[i+2].is("as") || toks[i+3].text != "(" {
			continue
		}
		closing := matchParen(toks, i+3)
		if closing < 0 {
			break
		}
		end := toks[closing].end
		switch {
		case closing+1 < len(toks) && toks[closing+1].is("stored"):
		case closing+1 < len(toks) && toks[closing+1].is("virtual"):
			at := toks[closing+1].start
			b.WriteString(text[copied:at])
			rw.virtual = append(rw.virtual, b.Len())
			b.WriteString("STORED ")
			copied = toks[closing+1].end
		default:
			b.WriteString(text[copied:end])
			rw.inserts = append(rw.inserts, b.Len())
			rw.virtual = append(rw.virtual, b.Len()+1)
			b.WriteString(storedWord)
			copied = end
		}
		i = closing
	}
	if copied == 0 && len(rw.virtual) == 0 {
		return rw
	}
	b.WriteString(text[copied:])
	rw.text = b.String()
	return rw
}

// token is one lexical token of SQL text: a word, a quoted string or
// identifier, or one other character.
type token struct {
	text       string
	start, end int
}

func (t token) is(word string) bool { return strings.EqualFold(t.text, word) }

// sqlTokens splits SQL into tokens, skipping white space and comments.
func sqlTokens(text string) []token {
	var out []token
	for i := 0; i < len(text); {
		c := text[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			i = skipBlockComment(text, i)
			continue
		case c == '\'' || c == '"':
			i = skipQuoted(text, i, c, c == '\'' && i > 0 && (text[i-1] == 'e' || text[i-1] == 'E'))
		case c == '$' && (i == 0 || !isIdentByte(text[i-1])):
			if end, ok := skipDollarQuoted(text, i); ok {
				i = end
			} else {
				i++
			}
		case isIdentStart(c):
			i++
			for i < len(text) && isIdentByte(text[i]) {
				i++
			}
		default:
			i++
		}
		out = append(out, token{text: text[start:i], start: start, end: i})
	}
	return out
}

// matchParen returns the index of the ")" closing the "(" at open, or -1.
func matchParen(toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch toks[i].text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}
