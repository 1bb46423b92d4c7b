package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// userTables returns the application's ordinary and partitioned tables,
// whatever their persistence.
func userTables(db *inspect.Database) []*inspect.Table {
	out := make([]*inspect.Table, 0, len(db.Tables))
	for _, t := range db.Tables {
		if t.IsTable() && !inspect.SystemSchema(t.Schema) {
			out = append(out, t)
		}
	}
	return out
}

// replicatedTables returns the tables logical replication carries:
// permanent ordinary and partitioned tables of the application.
func replicatedTables(db *inspect.Database) []*inspect.Table {
	out := userTables(db)
	return slices.DeleteFunc(out, func(t *inspect.Table) bool {
		return t.Persistence != inspect.Permanent && t.Persistence != ""
	})
}

// relationsOfKind returns the application's relations of one kind.
func relationsOfKind(db *inspect.Database, k inspect.RelKind) []*inspect.Table {
	var out []*inspect.Table
	for _, t := range db.Tables {
		if t.Kind == k && !inspect.SystemSchema(t.Schema) {
			out = append(out, t)
		}
	}
	return out
}

// parentTable returns the partitioned parent of a partition, or nil.
func parentTable(p *Pass, t *inspect.Table) *inspect.Table {
	if t.PartitionOf == "" {
		return nil
	}
	return p.index().byQualified(t.PartitionOf)
}

// primaryKey returns the table's primary key, or its partitioned
// parent's (a partition inherits the parent's key).
func primaryKey(p *Pass, t *inspect.Table) *inspect.Index {
	for seen := 0; t != nil && seen < 32; seen++ {
		if pk := t.PrimaryKey(); pk != nil {
			return pk
		}
		t = parentTable(p, t)
	}
	return nil
}

// identityColumns returns the columns logical replication identifies rows
// by: the replica identity index or the primary key.
func identityColumns(p *Pass, t *inspect.Table) []string {
	if ix := t.IdentityIndex(); ix != nil {
		return ix.Columns
	}
	if t.ReplicaIdentity == inspect.IdentityDefault || t.ReplicaIdentity == "" {
		if pk := primaryKey(p, t); pk != nil {
			return pk.Columns
		}
	}
	return nil
}

// colObject names a column for a finding: schema.table.column.
func colObject(t *inspect.Table, col string) string {
	return t.QualifiedName() + "." + inspect.QuoteIdent(col)
}

// indexObject names an index: schema.index.
func indexObject(t *inspect.Table, ix *inspect.Index) string {
	return inspect.QuoteQualified(t.Schema, ix.Name)
}

// constraintObject names a constraint: schema.table.constraint.
func constraintObject(t *inspect.Table, name string) string {
	return t.QualifiedName() + "." + inspect.QuoteIdent(name)
}

// usableIdentityIndex reports whether an index can be a replica identity
// or become the primary key: unique, valid, not partial, not an
// expression, not deferrable, and all its columns NOT NULL.
func usableIdentityIndex(t *inspect.Table, ix *inspect.Index) bool {
	if !ix.Unique || !ix.Valid || ix.Predicate != "" || ix.Expression || ix.Deferrable || len(ix.Columns) == 0 {
		return false
	}
	if ix.Method != "" && ix.Method != "btree" {
		return false
	}
	for _, c := range ix.Columns {
		col := t.Column(c)
		if col == nil || !col.NotNull {
			return false
		}
	}
	return true
}

// quoteCols quotes and joins column names.
func quoteCols(cols []string) string {
	q := make([]string, len(cols))
	for i, c := range cols {
		q[i] = inspect.QuoteIdent(c)
	}
	return strings.Join(q, ", ")
}

// isIntType reports 32- and 16-bit integer types.
func isIntType(typ string) bool {
	switch strings.ToLower(strings.TrimSpace(typ)) {
	case "integer", "int", "int4", "smallint", "int2", "serial", "serial4", "smallserial", "serial2":
		return true
	}
	return false
}

// sequenceRef is how a column gets values from a sequence.
type sequenceRef struct {
	Seq  *inspect.Sequence // nil when the sequence is not in the model
	Name string            // qualified name as people read it
	How  string            // "identity", "serial", "nextval default"
}

// columnSequence returns the sequence that feeds a column: its identity
// sequence, or the sequence of a nextval() default.
func columnSequence(p *Pass, t *inspect.Table, c *inspect.Column) (sequenceRef, bool) {
	owned := func() *inspect.Sequence {
		x := p.index().ownedSequences
		if s := x[[3]string{t.Schema, t.Name, c.Name}]; s != nil {
			return s
		}
		return x[[3]string{"", t.Name, c.Name}]
	}
	if c.Identity != "" {
		s := owned()
		ref := sequenceRef{Seq: s, How: "identity (" + c.Identity + ")"}
		if s != nil {
			ref.Name = s.QualifiedName()
		} else {
			ref.Name = "identity sequence of " + colObject(t, c.Name)
		}
		return ref, true
	}
	name, ok := defaultSequence(c)
	if !ok {
		return sequenceRef{}, false
	}
	schema, seqName := inspect.SplitQualified(name)
	if schema == "" {
		schema = t.Schema
	}
	s := p.index().Sequence(schema, seqName)
	if s == nil {
		s = p.index().Sequence("", seqName)
	}
	how := "nextval default"
	if s != nil && s.OwnedBy != "" {
		how = "serial"
	}
	ref := sequenceRef{Seq: s, How: how, Name: inspect.QuoteQualified(schema, seqName)}
	if s != nil {
		ref.Name = s.QualifiedName()
	}
	return ref, true
}

// splitOwned splits "schema.table.column" into the schema and
// [table, column]; the schema may be missing.
func splitOwned(q string) (string, [2]string) {
	parts := inspect.SplitIdents(q)
	switch len(parts) {
	case 2:
		return "", [2]string{parts[0], parts[1]}
	case 3:
		return parts[0], [2]string{parts[1], parts[2]}
	}
	return "", [2]string{}
}

// defaultSequence returns the sequence of a column's nextval() default:
// from the parsed default's facts, or by scanning its text when the
// model carries none (read from an older JSON, or a default that did not
// parse).
func defaultSequence(c *inspect.Column) (string, bool) {
	if f := c.DefaultFacts; f != nil {
		return f.NextvalSequence, f.NextvalSequence != ""
	}
	return nextvalSequence(c.Default)
}

// exprCalls returns the functions an expression calls and the key words
// it uses: the parsed facts when the reader gave them, else a scan of the
// text (where words are every bare name, a superset of the value
// functions the facts list).
func exprCalls(facts *inspect.ExprFacts, expr string) (calls, words []string) {
	if facts != nil {
		return facts.Calls, facts.Words
	}
	return exprTokens(expr)
}

// nextvalSequence returns the sequence named in a nextval('...') default
// expression, as pg_get_expr prints it: nextval('s.seq'::regclass).
func nextvalSequence(def string) (string, bool) {
	lower := strings.ToLower(def)
	i := strings.Index(lower, "nextval(")
	if i < 0 {
		return "", false
	}
	rest := def[i+len("nextval("):]
	rest = strings.TrimLeft(rest, " ")
	if !strings.HasPrefix(rest, "'") {
		return "", false
	}
	var b strings.Builder
	for j := 1; j < len(rest); j++ {
		if rest[j] == '\'' {
			if j+1 < len(rest) && rest[j+1] == '\'' {
				b.WriteByte('\'')
				j++
				continue
			}
			return b.String(), b.Len() > 0
		}
		b.WriteByte(rest[j])
	}
	return "", false
}

// exprTokens scans an expression as pg_get_expr prints it and returns the
// functions it calls (lower case, without schema) and the bare key words
// it uses (current_timestamp, ...). String literals are skipped.
func exprTokens(expr string) (calls, words []string) {
	for i := 0; i < len(expr); {
		c := expr[i]
		switch {
		case c == '\'':
			i++
			for i < len(expr) {
				if expr[i] == '\'' {
					if i+1 < len(expr) && expr[i+1] == '\'' {
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case c == '"' || isIdentStart(c):
			start := i
			var name string
			for i < len(expr) && (expr[i] == '"' || isIdentStart(expr[i]) || expr[i] == '.') {
				if expr[i] == '"' {
					j := strings.IndexByte(expr[i+1:], '"')
					if j < 0 {
						i = len(expr)
						break
					}
					i += j + 2
					continue
				}
				i++
				for i < len(expr) && isIdentChar(expr[i]) {
					i++
				}
			}
			parts := inspect.SplitIdents(expr[start:i])
			name = strings.ToLower(parts[len(parts)-1])
			j := i
			for j < len(expr) && expr[j] == ' ' {
				j++
			}
			if j < len(expr) && expr[j] == '(' {
				calls = append(calls, name)
			} else {
				words = append(words, name)
			}
		default:
			i++
		}
	}
	return calls, words
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9') || c == '$'
}

// builtinVolatile are volatile built-in functions seen in defaults and
// checks (nextval is left to sequence-key).
var builtinVolatile = map[string]bool{
	"random": true, "random_normal": true, "clock_timestamp": true, "timeofday": true,
	"gen_random_uuid": true, "uuidv4": true, "uuidv7": true,
	"uuid_generate_v1": true, "uuid_generate_v1mc": true, "uuid_generate_v4": true,
	"txid_current": true, "pg_current_xact_id": true, "setseed": true,
	"gen_random_bytes": true, "pg_backend_pid": true, "inet_client_addr": true,
}

// uuidGenerators produce key values that do not collide across nodes.
var uuidGenerators = map[string]bool{
	"gen_random_uuid": true, "uuidv4": true, "uuidv7": true,
	"uuid_generate_v1": true, "uuid_generate_v1mc": true, "uuid_generate_v4": true,
}

// timeDependent are stable functions and key words whose result depends on
// when (and so on which node) they are evaluated.
var timeDependent = map[string]bool{
	"now": true, "current_timestamp": true, "current_date": true, "current_time": true,
	"localtimestamp": true, "localtime": true, "statement_timestamp": true, "transaction_timestamp": true,
}

// userFunction finds a user function by (possibly qualified) name.
func userFunction(p *Pass, name string) *inspect.Function {
	name = strings.TrimSpace(name)
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	parts := inspect.SplitIdents(name)
	fn := parts[len(parts)-1]
	schema := ""
	if len(parts) > 1 {
		schema = parts[len(parts)-2]
	}
	var found *inspect.Function
	for _, f := range p.index().functions[strings.ToLower(fn)] {
		if schema == "" || f.Schema == schema {
			if f.Schema == "public" || schema != "" {
				return f
			}
			found = f
		}
	}
	return found
}

// volatileUserFunction reports whether name is a user function that is
// volatile (the default when a function does not say).
func volatileUserFunction(p *Pass, name string) bool {
	f := userFunction(p, name)
	return f != nil && (f.Volatility == "" || f.Volatility == "volatile")
}

// functionIdent is the quoted name and argument list for ALTER FUNCTION.
func functionIdent(f *inspect.Function) string {
	return f.QualifiedName() + "(" + f.Args + ")"
}

// plural returns "1 thing" or "n things".
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return inspect.GroupThousands(n) + " " + many
}

// duration formats an age for people: "45m", "6h", "3d".
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// shorten collapses white space and cuts s to at most n runes.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// stmtText quotes a statement for a message, with its call count.
func stmtText(s *inspect.Statement) string {
	txt := "`" + shorten(s.Query, 100) + "`"
	switch {
	case s.Via != "" && s.Calls > 0:
		txt += " (in function " + s.Via + ", " + plural(s.Calls, "call", "calls") + ")"
	case s.Via != "":
		txt += " (in function " + s.Via + ")"
	case s.Calls > 0:
		txt += " (" + plural(s.Calls, "call", "calls") + ")"
	}
	return txt
}

// stmtObject names a statement for a finding's Object: "statement
// queryid=123" for pg_stat_statements entries, "statement queries.sql:12"
// for query files, else "statement".
func stmtObject(s *inspect.Statement) string {
	switch {
	case s.QueryID != 0:
		return "statement queryid=" + strconv.FormatInt(s.QueryID, 10)
	case !s.Pos.IsZero():
		p := s.Pos
		p.Col = 0
		if i := strings.LastIndexAny(p.File, `/\`); i >= 0 {
			p.File = p.File[i+1:]
		}
		return "statement " + p.String()
	}
	return "statement"
}

// statsWindow says over what period the cumulative counters were
// gathered: " since the statistics reset 3d ago", or "".
func statsWindow(db *inspect.Database) string {
	w := db.Workload
	if w.StatsReset.IsZero() || w.CollectedAt.IsZero() || w.CollectedAt.Before(w.StatsReset) {
		return ""
	}
	return " since the statistics reset " + duration(w.CollectedAt.Sub(w.StatsReset)) + " ago"
}

// analyzed returns the workload statements that parsed.
func analyzed(db *inspect.Database) []*inspect.Statement {
	var out []*inspect.Statement
	for _, s := range db.Statements {
		if s.Facts != nil && !s.Facts.Internal {
			out = append(out, s)
		}
	}
	return out
}

// write is one resolved table write of one statement.
type write struct {
	Stmt  *inspect.Statement
	W     inspect.TableWrite
	Table *inspect.Table // nil when the table is not in the model
}

// writes returns every table write of the workload, resolved to tables.
// The list is computed once per Run; callers must not modify it.
func writes(p *Pass) []write {
	x := p.index()
	x.writesOnce.Do(func() {
		for _, s := range analyzed(p.DB) {
			for _, w := range s.Facts.Writes {
				x.writes = append(x.writes, write{Stmt: s, W: w, Table: x.ref(w.Table)})
			}
		}
	})
	return x.writes
}

// refName prints a table reference as written.
func refName(r inspect.TableRef) string { return inspect.QuoteQualified(r.Schema, r.Name) }

// tableName is the finding's Table for a resolved or unresolved ref.
func tableName(t *inspect.Table, r inspect.TableRef) string {
	if t != nil {
		return t.QualifiedName()
	}
	return refName(r)
}

// statementTable returns the one table a statement is about (the first
// write, or the first lock target, or the first read), for findings.
func statementTable(p *Pass, s *inspect.Statement) string {
	f := s.Facts
	var refs []inspect.TableRef
	for _, w := range f.Writes {
		refs = append(refs, w.Table)
	}
	refs = append(refs, f.LockTables...)
	refs = append(refs, f.Reads...)
	if len(refs) == 0 {
		return ""
	}
	return tableName(p.index().ref(refs[0]), refs[0])
}

// containsFold reports whether list holds s, ignoring case.
func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// settingIs reports whether a setting is known and equal (case-insensitive)
// to one of the values.
func settingIs(db *inspect.Database, name string, values ...string) bool {
	v, ok := db.Setting(name)
	if !ok {
		return false
	}
	return containsFold(values, strings.TrimSpace(v))
}
