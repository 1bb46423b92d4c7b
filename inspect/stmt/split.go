package stmt

import (
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// Span is one statement of a file: the byte range from its first token to
// the end of its last token, without the terminating semicolon and without
// surrounding comments.
type Span struct{ Start, End int }

// SplitStatements cuts SQL text into statements the way psql does:
// semicolons end statements except inside quotes, dollar quotes, comments,
// parentheses and the BEGIN ... END body of CREATE FUNCTION/PROCEDURE
// (BEGIN ATOMIC). psql meta-commands (a backslash outside quotes, to the
// end of the line, like \connect or \restrict) are skipped; one met inside
// a statement ends that statement, as \g would.
//
// It never fails: an unterminated quote or comment runs to the end of the
// text, inside the statement it starts (a comment is a statement of its
// own then), where the parser reports it and resync finds the statements
// it swallowed.
func SplitStatements(src string) []Span {
	var out []Span
	s := splitter{src: src, start: -1}
	n := len(src)
	for i := 0; i < n; {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '-' && i+1 < n && src[i+1] == '-':
			for i < n && src[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && src[i+1] == '*':
			end, closed := blockComment(src, i)
			if !closed {
				// An unterminated comment is kept in a statement, for the
				// parser to report, rather than hiding the rest of the text.
				s.token(i, end)
			}
			i = end
		case c == '\\':
			if s.start >= 0 {
				out = s.finish(out)
			}
			for i < n && src[i] != '\n' {
				i++
			}
		case c == ';':
			if s.parens == 0 && s.begins == 0 {
				copyData := s.start >= 0 && isCopyFromStdin(src[s.start:s.end])
				if s.start >= 0 {
					out = s.finish(out)
				}
				s.reset()
				if copyData {
					// The rows of COPY ... FROM stdin (a full pg_dump) follow
					// the statement up to a line holding \. alone.
					i = skipCopyData(src, i+1)
					continue
				}
			} else {
				s.token(i, i+1)
			}
			i++
		case c == '\'':
			escape := i > 0 && (src[i-1] == 'e' || src[i-1] == 'E') && (i < 2 || !isIdentByte(src[i-2]))
			end := skipQuoted(src, i, '\'', escape)
			s.token(i, end)
			i = end
		case c == '"':
			end := skipQuoted(src, i, '"', false)
			s.token(i, end)
			i = end
		case c == '$' && (i == 0 || !isIdentByte(src[i-1])):
			if end, ok := skipDollarQuoted(src, i); ok {
				s.token(i, end)
				i = end
				break
			}
			j := i + 1
			for j < n && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			s.token(i, j)
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentByte(src[j]) {
				j++
			}
			s.word(src[i:j])
			s.token(i, j)
			i = j
		case c == '(':
			s.parens++
			s.token(i, i+1)
			i++
		case c == ')':
			if s.parens > 0 {
				s.parens--
			}
			s.token(i, i+1)
			i++
		default:
			s.token(i, i+1)
			i++
		}
	}
	if s.start >= 0 {
		out = s.finish(out)
	}
	return out
}

// isCopyFromStdin reports whether a statement is COPY ... FROM STDIN,
// whose data rows follow it in the same file.
func isCopyFromStdin(stmt string) bool {
	toks := Tokens(stmt)
	if len(toks) < 3 || !toks[0].Is("copy") {
		return false
	}
	for i := 1; i+1 < len(toks); i++ {
		if toks[i].Is("from") && toks[i+1].Is("stdin") {
			return true
		}
	}
	return false
}

// skipCopyData returns the offset after the end-of-data line (\.) that
// ends COPY rows starting on the line after offset i, or the end of src.
func skipCopyData(src string, i int) int {
	if nl := strings.IndexByte(src[i:], '\n'); nl >= 0 {
		i += nl + 1
	} else {
		return len(src)
	}
	for i < len(src) {
		line := src[i:]
		end := strings.IndexByte(line, '\n')
		if end >= 0 {
			line = line[:end]
		}
		if strings.TrimRight(line, "\r") == "\\." {
			if end < 0 {
				return len(src)
			}
			return i + end + 1
		}
		if end < 0 {
			return len(src)
		}
		i += end + 1
	}
	return len(src)
}

type splitter struct {
	src        string
	start, end int
	parens     int
	begins     int
	words      int
	head       [4]byte // first letters of leading CREATE/OR/REPLACE/FUNCTION/PROCEDURE words
}

func (s *splitter) token(from, to int) {
	if s.start < 0 {
		s.start = from
	}
	s.end = to
}

func (s *splitter) finish(out []Span) []Span {
	out = append(out, Span{s.start, s.end})
	s.reset()
	return out
}

func (s *splitter) reset() {
	*s = splitter{src: s.src, start: -1}
}

// word tracks psql's heuristic for BEGIN ATOMIC bodies: inside a statement
// that starts CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN (and CASE
// within it) opens a block that END closes.
func (s *splitter) word(w string) {
	if s.words < len(s.head) {
		switch lw := strings.ToLower(w); lw {
		case "create", "or", "replace", "function", "procedure":
			s.head[s.words] = lw[0]
		}
	}
	s.words++
	h := s.head
	routine := h[0] == 'c' && (h[1] == 'f' || h[1] == 'p' || (h[1] == 'o' && h[2] == 'r' && (h[3] == 'f' || h[3] == 'p')))
	if !routine || s.parens != 0 || len(w) > 5 {
		return
	}
	switch {
	case strings.EqualFold(w, "begin"):
		s.begins++
	case strings.EqualFold(w, "case"):
		if s.begins > 0 {
			s.begins++
		}
	case strings.EqualFold(w, "end"):
		if s.begins > 0 {
			s.begins--
		}
	}
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$'
}

// skipBlockComment returns the offset after the (nested) comment at i.
func skipBlockComment(src string, i int) int {
	end, _ := blockComment(src, i)
	return end
}

// blockComment returns the offset after the (nested) comment at i, and
// whether it is closed (else it runs to the end of src).
func blockComment(src string, i int) (end int, closed bool) {
	depth := 0
	for i < len(src) {
		switch {
		case src[i] == '/' && i+1 < len(src) && src[i+1] == '*':
			depth++
			i += 2
		case src[i] == '*' && i+1 < len(src) && src[i+1] == '/':
			depth--
			i += 2
			if depth == 0 {
				return i, true
			}
		default:
			i++
		}
	}
	return i, false
}

// skipQuoted returns the offset after the quoted text starting at i; a
// doubled quote stays inside, and with escape a backslash escapes.
func skipQuoted(src string, i int, q byte, escape bool) int {
	for j := i + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if escape {
				j++
			}
		case q:
			if j+1 < len(src) && src[j+1] == q {
				j++
				continue
			}
			return j + 1
		}
	}
	return len(src)
}

// skipDollarQuoted recognises $tag$...$tag$ at i and returns the offset
// after it; ok is false when i does not start a dollar quote.
func skipDollarQuoted(src string, i int) (int, bool) {
	j := i + 1
	if j < len(src) && isIdentStart(src[j]) {
		for j < len(src) && isIdentByte(src[j]) && src[j] != '$' {
			j++
		}
	}
	if j >= len(src) || src[j] != '$' {
		return 0, false
	}
	tag := src[i : j+1]
	k := strings.Index(src[j+1:], tag)
	if k < 0 {
		return len(src), true
	}
	return j + 1 + k + len(tag), true
}

// statementStarts are the words a top-level statement begins with: where
// resync may start reading again.
var statementStarts = map[string]bool{
	"abort": true, "alter": true, "analyze": true, "begin": true, "call": true, "checkpoint": true,
	"close": true, "cluster": true, "comment": true, "commit": true, "copy": true, "create": true,
	"deallocate": true, "declare": true, "delete": true, "discard": true, "do": true, "drop": true,
	"end": true, "execute": true, "explain": true, "fetch": true, "grant": true, "import": true,
	"insert": true, "listen": true, "load": true, "lock": true, "merge": true, "move": true,
	"notify": true, "prepare": true, "reassign": true, "refresh": true, "reindex": true,
	"release": true, "reset": true, "revoke": true, "rollback": true, "savepoint": true,
	"security": true, "select": true, "set": true, "show": true, "start": true, "table": true,
	"truncate": true, "unlisten": true, "update": true, "vacuum": true, "values": true, "with": true,
}

// Resync finds where reading can start again in statement sp, which did
// not parse with its error at offset errAt. A missing parenthesis, an
// unterminated quote or a missing semicolon makes the splitter run one
// statement into the next ones; resync looks at the raw text instead
// and returns the first word, at or after errAt and after the
// statement's start, that begins a statement (statementStarts) at the
// start of a line or right after a semicolon. ok is false when there is
// none: the whole statement is lost.
func Resync(src string, sp Span, errAt int) (at int, ok bool) {
	for i := max(errAt, sp.Start+1); i < sp.End; i++ {
		c := src[i]
		if !isIdentStart(c) || isIdentByte(src[i-1]) {
			continue
		}
		j := i + 1
		for j < sp.End && isIdentByte(src[j]) {
			j++
		}
		if !statementStarts[strings.ToLower(src[i:j])] {
			i = j
			continue
		}
		k := i - 1
		for k >= sp.Start && (src[k] == ' ' || src[k] == '\t' || src[k] == '\r' || src[k] == '\f' || src[k] == '\v') {
			k--
		}
		if k < sp.Start || src[k] == '\n' || src[k] == ';' {
			return i, true
		}
		i = j
	}
	return sp.End, false
}

// SplitRange splits src[from:to] as splitStatements does, with offsets in
// src.
func SplitRange(src string, from, to int) []Span {
	spans := SplitStatements(src[from:to])
	for i := range spans {
		spans[i].Start += from
		spans[i].End += from
	}
	return spans
}

// SkippedLines is the range of lines of the text from..to (trailing
// blanks left out), for the report of what an input error cost.
func SkippedLines(li *LineIndex, from, to int) *inspect.LineRange {
	for to > from && strings.ContainsRune(" \t\r\n\f\v;", rune(li.Src[to-1])) {
		to--
	}
	if to <= from {
		to = from + 1
	}
	return &inspect.LineRange{From: li.Pos(from).Line, To: li.Pos(to - 1).Line}
}

// Token is one lexical token of SQL text: a word, a quoted string or
// identifier, or one other character.
type Token struct {
	Text       string
	Start, End int
}

func (t Token) Is(word string) bool { return strings.EqualFold(t.Text, word) }

// Tokens splits SQL into tokens, skipping white space and comments.
func Tokens(text string) []Token {
	var out []Token
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
		out = append(out, Token{Text: text[start:i], Start: start, End: i})
	}
	return out
}

// MatchParen returns the index of the ")" closing the "(" at open, or -1.
func MatchParen(toks []Token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch toks[i].Text {
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
