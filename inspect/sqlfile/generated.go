package sqlfile

import (
	"strings"

	"github.com/aadvisor/aadvisor/inspect/stmt"
)

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
	toks := stmt.Tokens(text)
	var b strings.Builder
	copied := 0
	for i := 0; i+3 < len(toks); i++ {
		if !toks[i].Is("generated") || !toks[i+1].Is("always") || !toks[i+2].Is("as") || toks[i+3].Text != "(" {
			continue
		}
		closing := stmt.MatchParen(toks, i+3)
		if closing < 0 {
			break
		}
		end := toks[closing].End
		switch {
		case closing+1 < len(toks) && toks[closing+1].Is("stored"):
		case closing+1 < len(toks) && toks[closing+1].Is("virtual"):
			at := toks[closing+1].Start
			b.WriteString(text[copied:at])
			rw.virtual = append(rw.virtual, b.Len())
			b.WriteString("STORED ")
			copied = toks[closing+1].End
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
