package stmt

import (
	"fmt"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/proto"
)

// maxChain bounds the chains of binary operators and set operations in
// one statement. The parser builds a + b + c ... as a tree as deep as the
// chain; past some tens of thousands the C code that serialises the tree
// overflows its stack and the process dies, and past about 5,000 the tree
// is too deep to decode anyway.
const maxChain = 10000

// Parse parses SQL text into a parse tree.
func Parse(sql string) (*pg_query.ParseResult, error) {
	buf, err := parseProtobuf(sql)
	if err != nil {
		return nil, err
	}
	return decodeTree(buf)
}

// parseProtobuf runs the C parser and returns the tree in its protobuf
// encoding. libpg_query keeps its state per thread (and is built without
// the stderr capture that would swap fd 2 around each call), so calls run
// in parallel.
func parseProtobuf(sql string) ([]byte, error) {
	if len(sql) > 2*maxChain {
		if n := chainLength(sql); n > maxChain {
			return nil, fmt.Errorf("statement nests too deeply for the parser (%d chained operators; the limit is %d)", n, maxChain)
		}
	}
	return pgparser.ParseToProtobuf(sql)
}

// decodeTree decodes the protobuf encoding of a parse tree.
func decodeTree(buf []byte) (*pg_query.ParseResult, error) {
	tree := &pg_query.ParseResult{}
	if err := proto.Unmarshal(buf, tree); err != nil {
		return nil, err
	}
	return tree, nil
}

// chainLength counts what can make a parse tree deep without
// parentheses (which the grammar bounds itself): binary operators other
// than comparisons (which do not chain), and UNION/INTERSECT/EXCEPT.
func chainLength(sql string) int {
	n := 0
	toks := Tokens(sql)
	for i, t := range toks {
		switch {
		case t.Is("union") || t.Is("intersect") || t.Is("except"):
			n++
		case len(t.Text) == 1 && strings.ContainsAny(t.Text, "+-*/%^|&#~!@?"):
			if i > 0 && isOperand(toks[i-1]) {
				n++
			}
		}
	}
	return n
}

// isOperand reports whether a token can end an operand: a word, number,
// quoted text or a closing parenthesis.
func isOperand(t Token) bool {
	c := t.Text[0]
	return c == ')' || c == '\'' || c == '"' || c == '$' || isIdentByte(c)
}
