package sqlfile

import (
	"sync"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/proto"
)

// parseMu serialises calls into the C parser. libpg_query redirects the
// process's stderr (fd 2) to a pipe around every parse and puts back what
// it saved; two parses at once can leave fd 2 pointing at a closed pipe,
// and Go exits on SIGPIPE when it next writes to stderr. The C call is
// the smaller part of a parse: decoding the tree and walking it still run
// in parallel.
var parseMu sync.Mutex

// parse parses SQL text into a parse tree.
func parse(sql string) (*pg_query.ParseResult, error) {
	parseMu.Lock()
	buf, err := pgparser.ParseToProtobuf(sql)
	parseMu.Unlock()
	if err != nil {
		return nil, err
	}
	tree := &pg_query.ParseResult{}
	if err := proto.Unmarshal(buf, tree); err != nil {
		return nil, err
	}
	return tree, nil
}
