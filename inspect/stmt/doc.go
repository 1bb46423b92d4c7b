// Package stmt is the statement analyser both readers share: it splits SQL
// text into statements (quotes, dollar quotes, comments, COPY data,
// psql meta-commands) and lexes it into tokens, parses statements with
// PostgreSQL's own parser (pg_query_go), prints expressions and type names
// as the catalog does (pg_get_expr, format_type), and derives the facts of
// a statement (the tables it reads and writes, its locks, sequences,
// notifications, isolation; Analyze, AnalyzeQuery), of the functions a
// statement calls (ExpandCalls), of trigger functions
// (AnalyzeTriggerFunctions) and of defaults and checks
// (AnalyzeExpressions).
//
// The offline reader (inspect/sqlfile) builds its schema from the trees
// and texts this package gives; the live reader (inspect/pglive) gives it
// the pg_stat_statements texts and function bodies it reads. Parsing
// happens here and in sqlfile only, so the parser can be swapped in the
// two.
//
// It imports inspect (the model it fills) and nothing else of the module:
// never a reader, the rules, assess or replicate.
package stmt
