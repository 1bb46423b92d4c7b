package stmt

import (
	"errors"
	"sort"
	"strings"
	"unicode/utf8"

	pgparser "github.com/pganalyze/pg_query_go/v6/parser"

	"github.com/aadvisor/aadvisor/inspect"
)

// LineIndex turns byte offsets of one file into 1-based line and column
// numbers. Columns count characters (runes), not bytes.
type LineIndex struct {
	file  string
	Src   string
	start []int // byte offset of the first byte of each line
}

func NewLineIndex(file, src string) *LineIndex {
	starts := make([]int, 1, 64)
	for i := 0; i < len(src); i++ {
		if src[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return &LineIndex{file: file, Src: src, start: starts}
}

// Pos returns the position of byte offset off (clamped to the file).
func (li *LineIndex) Pos(off int) inspect.Position {
	if off < 0 {
		off = 0
	}
	if off > len(li.Src) {
		off = len(li.Src)
	}
	line := sort.Search(len(li.start), func(i int) bool { return li.start[i] > off }) - 1
	col := utf8.RuneCountInString(li.Src[li.start[line]:off]) + 1
	return inspect.Position{File: li.file, Line: line + 1, Col: col}
}

// ParseErrorOffset converts a parser error into a byte offset inside the
// statement text (0 when the parser gave no position) and its message.
func ParseErrorOffset(stmt string, err error) (int, string) {
	var pe *pgparser.Error
	if !errors.As(err, &pe) {
		return 0, err.Error()
	}
	return runeOffset(stmt, pe.Cursorpos-1), oneLineNear(pe.Message)
}

// maxNear is how much of the text after the error a message quotes.
const maxNear = 40

// oneLineNear shortens the text the parser quotes after "at or near" to
// its first line and at most maxNear characters: an unterminated quote or
// comment would otherwise quote the rest of the file.
func oneLineNear(msg string) string {
	const near = ` at or near "`
	i := strings.Index(msg, near)
	if i < 0 || !strings.HasSuffix(msg, `"`) {
		return msg
	}
	quoted := msg[i+len(near) : len(msg)-1]
	cut, more := quoted, false
	if j := strings.IndexAny(cut, "\r\n"); j >= 0 {
		cut, more = cut[:j], strings.TrimRight(cut[j:], "\r\n") != ""
	}
	if r := []rune(cut); len(r) > maxNear {
		cut, more = string(r[:maxNear]), true
	}
	if more {
		cut += "…"
	}
	return msg[:i+len(near)] + cut + `"`
}

// runeOffset returns the byte offset of the n-th character (0-based) of s,
// clamped to s. The parser counts its cursor in characters.
func runeOffset(s string, n int) int {
	if n <= 0 {
		return 0
	}
	i := 0
	for off := range s {
		if i == n {
			return off
		}
		i++
	}
	return len(s)
}
