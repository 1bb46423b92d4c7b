package rules

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var idAllocator = &Rule{
	ID:       "AR206",
	Name:     "id-allocator",
	Title:    "Counter row hands out key values",
	Severity: Error,
	Category: CategorySequences,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	EffectNote: `The tables whose keys come from the allocator (the table an INSERT gives the value to, and the
tables whose keys take it over through foreign keys) are home-routed too: their rows are created
where the number is handed out. After switching to per-node counters or uuidv7 keys the finding,
and with it the effect, goes away.`,
	Doc: Doc{
		Why: `An id allocator keeps the next number in a row: UPDATE district SET next_o_id = next_o_id + 1
... RETURNING next_o_id (or SELECT next_o_id ... [FOR UPDATE] and then the UPDATE), and the value is
used as the key of an INSERT. On one node the row lock serializes the callers. On several nodes
each node reads and bumps its own copy of the row: both hand out the same number, and both INSERT a
row with the same key. When the rows meet, the second INSERT is an insert_exists conflict: apply
stops with a unique violation, or last-update-wins keeps one row and the other order is lost. The
counter itself conflicts too (update_origin_differs), and last-update-wins can even move it back.

This is a key collision, like a node-local sequence (sequence-key) or max(id) + 1 (max-plus-one),
not a lost increment: the delta-apply columns and CRDT counters that keep a running total right
(counter-update) do not help, because the total can come out right while two nodes still hand
out the same number.`,
		Engines: map[string]string{
			EngineNative:    `insert_exists on the key stops apply with an ERROR; the counter row itself is update_origin_differs (the later update wins).`,
			EnginePglogical: `One of the two rows with the same key is kept, the other discarded (apply_remote or last_update_wins).`,
			EnginePgactive:  `"one of the INSERTed tuples is effectively discarded on all nodes".`,
			EngineSpock:     `The INSERT becomes an UPDATE of the other node's row; delta-apply on the counter does not stop the collision.`,
			EnginePGD:       `insert_exists is resolved by update_if_newer: one row is lost. CRDT counters keep the total, not the uniqueness.`,
		},
		Detection: `An integer column that the workload increments (x = x + 1) or sets after reading it with a row
lock, and whose value the workload reads back (UPDATE ... RETURNING it, or a SELECT of it), linked
to a key column of an INSERT into another table by one of:

- the same unit of work: one statement (a CTE), one function body, or one BEGIN ... COMMIT block
  of a query file, with the read before the INSERT, and either the names match (below), or the
  counter is incremented, its name or its table's says it hands out numbers (next, last, seq,
  counter, id, no, number, ...) and the first INSERT after the read has exactly one key column
  it can go to;
- the names: the counter's name without next/last/seq/... and its table's one-letter prefix is
  the key column's name (d_next_o_id and o_id), or that name without a trailing id/no/number
  (last_ticket and ticket_no), or the table's name and the column's (next_invoice_no and
  invoices.no);
- the keys: the INSERT's table has a foreign key to the counter's table and its key is that foreign
  key plus one integer column (per-parent numbers, such as line numbers kept in the parent).

The key column is an integer column of the primary key or a unique index that the INSERT names and
that no foreign key of its table fills. Tables whose keys take the allocated column over through
foreign keys are listed as well.`,
		Fix: `Make every node hand out different numbers, or make the numbers unique by construction, or keep
all allocation from one counter row on one node:

- per-node counters: one counter row per node (node k of N hands out k, k+N, k+2N, ...), or ranges
  (each node takes blocks of numbers from its own row). Each node only ever updates its own rows, so
  they never conflict;
- uuidv7 keys (uuidv7() in PostgreSQL 18, gen_random_uuid() before) or snowflake ids;
- home-routing: send every allocation from a row (every New-Order of a district, say), and the
  INSERTs that use the number, to that row's home node.

Never delta-apply the counter (Spock delta_apply, PGD CRDTs): it keeps the counter's total right
while two nodes still hand out the same key.

` + "```sql" + `
-- per-node counters for public.district.d_next_o_id, 3 nodes
CREATE TABLE public.district_d_next_o_id (d_w_id integer NOT NULL, d_id integer NOT NULL,
  node integer NOT NULL, d_next_o_id integer NOT NULL, PRIMARY KEY (d_w_id, d_id, node));
INSERT INTO public.district_d_next_o_id (d_w_id, d_id, node, d_next_o_id)
SELECT d.d_w_id, d.d_id, n.node, (d.d_next_o_id / 3 + 1) * 3 + n.node
FROM public.district d CROSS JOIN generate_series(1, 3) AS n(node);
-- node k allocates: UPDATE public.district_d_next_o_id SET d_next_o_id = d_next_o_id + 3
--   WHERE d_w_id = $1 AND d_id = $2 AND node = k RETURNING d_next_o_id - 3;
` + "```",
		Example: `UPDATE public.district SET d_next_o_id = d_next_o_id + 1 WHERE d_w_id = $1 AND d_id = $2 RETURNING d_next_o_id;
INSERT INTO public.orders (o_w_id, o_d_id, o_id, o_c_id) VALUES ($1, $2, $3, $4);`,
		References: []string{
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
			"aws/pgactive:docs/best-practices.md",
			"pgEdge/spock:docs/conflicts.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/sequences.mdx",
			"TPC Benchmark C Standard Specification, 2.4.2 (New-Order: D_NEXT_O_ID)",
		},
	},
	Check: checkIDAllocator,
}

// allocator is a counter column whose values become key values.
type allocator struct {
	t    *inspect.Table
	col  string
	read *inspect.Statement // hands the counter's value back
	keys []allocKey
	// related are the key tables and the tables whose keys take the key
	// column over through foreign keys.
	related []*inspect.Table
}

// allocKey is one key column that takes the allocator's values.
type allocKey struct {
	t      *inspect.Table
	col    string
	insert *inspect.Statement
	how    string // the evidence that links the counter to the key
}

func checkIDAllocator(p *Pass) {
	n := p.Config.Nodes
	for _, a := range idAllocators(p) {
		obj := colObject(a.t, a.col)
		var keys []string
		for _, k := range a.keys {
			keys = append(keys, fmt.Sprintf("%s (%s, %s)", colObject(k.t, k.col), k.how, stmtText(k.insert)))
		}
		msg := fmt.Sprintf("%s hands out key values: %s reads the next value back, and %s takes it as a key; every node hands out the same numbers from its own copy of the row, so INSERTs on two nodes collide (insert_exists: apply stops, or one row is lost)",
			obj, stmtText(a.read), andList(keys))
		var inherit []string
		for _, r := range a.related {
			if !slices.ContainsFunc(a.keys, func(k allocKey) bool { return k.t == r }) {
				inherit = append(inherit, r.QualifiedName())
			}
		}
		if len(inherit) > 0 {
			msg += fmt.Sprintf("; %s take their keys over through foreign keys", andList(inherit))
		}
		f := Finding{
			Object:     obj,
			ObjectKind: "column",
			Table:      a.t.QualifiedName(),
			Message:    msg,
			Fix: fmt.Sprintf("Give each of the %d nodes its own counter rows (node k hands out k, k+%d, ...), or switch the keys to uuidv7, or route every allocation from a %s row, and the INSERTs that use it, to that row's home node; never delta-apply the counter.",
				n, n, a.t.QualifiedName()),
			FixSQL: perNodeCounterSQL(p, a, n),
			Pos:    a.read.Pos,
		}
		for _, r := range a.related {
			f.Related = append(f.Related, r.QualifiedName())
		}
		p.Report(f)
	}
}

// idAllocators finds the counters that hand out key values; computed once
// per Run (counter-update leaves them to this rule).
func idAllocators(p *Pass) []*allocator {
	x := p.index()
	x.allocatorsOnce.Do(func() { x.allocators = findAllocators(p) })
	return x.allocators
}

type counterRef struct {
	t   *inspect.Table
	col string
}

func findAllocators(p *Pass) []*allocator {
	// Counters: columns incremented in place, or set by an UPDATE after a
	// locked read of them.
	// The value says whether the counter is incremented (x = x + 1), which
	// together with an allocator's name is enough to link it to the first
	// INSERT of a unit.
	counters := map[counterRef]bool{}
	units := workUnits(p)
	for _, w := range writes(p) {
		if w.Table == nil || w.W.Op != inspect.StmtUpdate {
			continue
		}
		for _, c := range w.W.Increments {
			if col := w.Table.Column(c); col != nil && integerType(col.Type) {
				counters[counterRef{w.Table, c}] = true
			}
		}
	}
	for _, u := range units {
		for _, s := range u {
			for _, r := range s.Facts.Reads {
				t := p.index().ref(r)
				if t == nil || s.Facts.RowLock == "" {
					continue
				}
				for _, c := range s.Facts.Selected {
					if col := t.Column(c); col != nil && integerType(col.Type) && setInUnit(p, u, t, c) && !counters[counterRef{t, c}] {
						counters[counterRef{t, c}] = false
					}
				}
			}
		}
	}
	if len(counters) == 0 {
		return nil
	}
	found := map[counterRef]*allocator{}
	var order []counterRef
	add := func(c counterRef, read *inspect.Statement, k allocKey) {
		a := found[c]
		if a == nil {
			a = &allocator{t: c.t, col: c.col, read: read}
			found[c] = a
			order = append(order, c)
		}
		if !slices.ContainsFunc(a.keys, func(o allocKey) bool { return o.t == k.t && o.col == k.col }) {
			a.keys = append(a.keys, k)
		}
	}
	// 1. One unit of work: the read, then an INSERT that takes a key.
	readsAnywhere := map[counterRef]*inspect.Statement{}
	for _, u := range units {
		for i, s := range u {
			for _, c := range readCounters(p, s) {
				incremented, ok := counters[c]
				if !ok {
					continue
				}
				if readsAnywhere[c] == nil {
					readsAnywhere[c] = s
				}
				if k, ok := unitKey(p, u[i:], c, incremented && allocatorNamed(c)); ok {
					k.how = unitName(u)
					add(c, s, k)
				}
			}
		}
	}
	// 2. Names and keys, where the workload does not show the unit (a
	// pg_stat_statements export has no transactions).
	for c, read := range readsAnywhere {
		if found[c] != nil {
			continue
		}
		for _, w := range writes(p) {
			if w.Table == nil || w.Table == c.t || w.W.Op != inspect.StmtInsert {
				continue
			}
			for _, kc := range keyCandidates(p, w.Table, w.W) {
				switch {
				case namesMatch(c, w.Table, kc, false):
					add(c, read, allocKey{t: w.Table, col: kc, insert: w.Stmt, how: "the names match"})
				case perParentNumber(p, c.t, w.Table, kc):
					add(c, read, allocKey{t: w.Table, col: kc, insert: w.Stmt,
						how: fmt.Sprintf("its key is %s's key plus %s", c.t.QualifiedName(), inspect.QuoteIdent(kc))})
				}
			}
		}
	}
	slices.SortFunc(order, func(a, b counterRef) int {
		return strings.Compare(colObject(a.t, a.col), colObject(b.t, b.col))
	})
	out := make([]*allocator, 0, len(order))
	for _, c := range order {
		a := found[c]
		for _, k := range a.keys {
			a.related = appendTable(a.related, k.t)
			a.related = keyHeirs(p, k.t, k.col, a.related, 0)
		}
		out = append(out, a)
	}
	return out
}

// setInUnit reports whether a unit of work also UPDATEs t.col.
func setInUnit(p *Pass, u []*inspect.Statement, t *inspect.Table, col string) bool {
	for _, s := range u {
		for _, w := range s.Facts.Writes {
			if w.Op == inspect.StmtUpdate && p.index().ref(w.Table) == t && slices.Contains(w.SetColumns, col) {
				return true
			}
		}
	}
	return false
}

// readCounters lists the columns s hands back: those of an UPDATE it
// sets and names in RETURNING, and those of its SELECT list that belong to
// a table it reads.
func readCounters(p *Pass, s *inspect.Statement) []counterRef {
	var out []counterRef
	for _, w := range s.Facts.Writes {
		if w.Op != inspect.StmtUpdate || len(w.Returning) == 0 {
			continue
		}
		t := p.index().ref(w.Table)
		if t == nil {
			continue
		}
		for _, c := range w.SetColumns {
			if slices.Contains(w.Returning, c) || slices.Contains(w.Returning, "*") {
				out = append(out, counterRef{t, c})
			}
		}
	}
	if s.Facts.Kind != inspect.StmtSelect || len(s.Facts.Selected) == 0 {
		return out
	}
	for _, r := range s.Facts.Reads {
		t := p.index().ref(r)
		if t == nil {
			continue
		}
		for _, c := range t.Columns {
			if slices.Contains(s.Facts.Selected, c.Name) || slices.Contains(s.Facts.Selected, "*") {
				out = append(out, counterRef{t, c.Name})
			}
		}
	}
	return out
}

// unitKey finds, among the statements of a unit from the counter's read
// on, the INSERT key column that takes the value: one whose name matches,
// else (when anyFirst) the only candidate of the first INSERT that has
// exactly one.
func unitKey(p *Pass, stmts []*inspect.Statement, c counterRef, anyFirst bool) (allocKey, bool) {
	var first *allocKey
	for _, s := range stmts {
		for _, w := range s.Facts.Writes {
			t := p.index().ref(w.Table)
			if w.Op != inspect.StmtInsert || t == nil || t == c.t {
				continue
			}
			cands := keyCandidates(p, t, w)
			for _, kc := range cands {
				if namesMatch(c, t, kc, true) {
					return allocKey{t: t, col: kc, insert: s}, true
				}
			}
			if first == nil && len(cands) == 1 {
				first = &allocKey{t: t, col: cands[0], insert: s}
			}
		}
	}
	if first != nil && anyFirst {
		return *first, true
	}
	return allocKey{}, false
}

// allocatorWords are words of counter and table names that say the
// counter hands out numbers.
var allocatorWords = []string{"next", "nxt", "last", "seq", "sequence", "sequences", "counter", "counters", "id", "ids",
	"no", "num", "number", "numbers", "serial", "allocator", "gen", "generator"}

// allocatorNamed reports whether the counter's or its table's name says it
// hands out numbers (next_id, invoice_no, counters.value), which a stock
// level or a balance does not.
func allocatorNamed(c counterRef) bool {
	for _, w := range append(nameWords(c.col), nameWords(c.t.Name)...) {
		if slices.Contains(allocatorWords, w) {
			return true
		}
	}
	return false
}

// keyCandidates are the columns of t's primary key and unique indexes
// that an INSERT names (all of them when it names none), hold integers
// and are not filled by a foreign key: where an allocated number can go.
func keyCandidates(p *Pass, t *inspect.Table, w inspect.TableWrite) []string {
	var keyCols []string
	var idx []*inspect.Index
	if pk := primaryKey(p, t); pk != nil {
		idx = append(idx, pk)
	}
	idx = append(idx, t.UniqueIndexes()...)
	for _, ix := range idx {
		if ix.Predicate != "" || ix.Expression {
			continue
		}
		for _, c := range ix.Columns {
			if !slices.Contains(keyCols, c) {
				keyCols = append(keyCols, c)
			}
		}
	}
	var out []string
	for _, c := range keyCols {
		col := t.Column(c)
		if col == nil || !integerType(col.Type) || (len(w.Columns) > 0 && !slices.Contains(w.Columns, c)) || fkColumn(t, c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// fkColumn reports whether a foreign key of t fills column c.
func fkColumn(t *inspect.Table, c string) bool {
	for _, con := range t.Constraints {
		if con.Type == inspect.ForeignKey && slices.Contains(con.Columns, c) {
			return true
		}
	}
	return false
}

// perParentNumber reports whether k's key is a foreign key to t plus the
// one column kc: numbers kept per parent row (line numbers in an order).
func perParentNumber(p *Pass, t, k *inspect.Table, kc string) bool {
	pk := primaryKey(p, k)
	if pk == nil || !slices.Contains(pk.Columns, kc) {
		return false
	}
	for _, con := range k.Constraints {
		if con.Type != inspect.ForeignKey || p.index().byQualified(con.RefTable) != t {
			continue
		}
		rest := slices.DeleteFunc(slices.Clone(pk.Columns), func(c string) bool { return slices.Contains(con.Columns, c) })
		if len(rest) == 1 && rest[0] == kc {
			return true
		}
	}
	return false
}

// counterMarkers are the words of a counter's name that say "next".
var counterMarkers = []string{"next", "nxt", "last", "cur", "curr", "current", "max", "seq", "counter", "new", "latest"}

// idWords end a key column's name that numbers what the rest names
// (ticket_no, order_id).
var idWords = []string{"id", "no", "nr", "num", "number"}

// namesMatch reports whether a counter's name names the key column: the
// counter's words without markers and without its table's one-letter
// prefix equal the key column's words, or the key column's words without
// a trailing id word (last_ticket and ticket_no), or the key table's
// (singular) name followed by them. Outside one unit of work a single word
// ("id") is not enough.
func namesMatch(c counterRef, k *inspect.Table, kc string, inUnit bool) bool {
	words := nameWords(c.col)
	words = slices.DeleteFunc(words, func(w string) bool { return slices.Contains(counterMarkers, w) })
	if len(words) > 1 && len(words[0]) == 1 && strings.HasPrefix(strings.ToLower(c.t.Name), words[0]) {
		words = words[1:]
	}
	key := nameWords(kc)
	if !inUnit && len(key) < 2 && len(words) < 2 {
		return false
	}
	if slices.Equal(words, key) {
		return inUnit || len(key) >= 2
	}
	if n := len(key); n >= 2 && slices.Contains(idWords, key[n-1]) && slices.Equal(words, key[:n-1]) {
		return true
	}
	table := nameWords(k.Name)
	if n := len(table); n > 0 {
		table[n-1] = strings.TrimSuffix(table[n-1], "s")
	}
	return slices.Equal(words, append(table, key...))
}

// andList joins "a", "a and b", "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func nameWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == '_' || r == ' ' || r == '-' })
}

// keyHeirs adds the tables whose keys take t.col over through a foreign
// key (new_order and order_line from orders), a few levels deep.
func keyHeirs(p *Pass, t *inspect.Table, col string, out []*inspect.Table, depth int) []*inspect.Table {
	if depth >= 3 {
		return out
	}
	for _, ch := range p.index().children[t] {
		i := slices.Index(ch.fk.RefColumns, col)
		if i < 0 || i >= len(ch.fk.Columns) || slices.Contains(out, ch.child) {
			continue
		}
		pk := primaryKey(p, ch.child)
		if pk == nil || !slices.Contains(pk.Columns, ch.fk.Columns[i]) {
			continue
		}
		out = appendTable(out, ch.child)
		out = keyHeirs(p, ch.child, ch.fk.Columns[i], out, depth+1)
	}
	return out
}

func appendTable(list []*inspect.Table, t *inspect.Table) []*inspect.Table {
	if slices.Contains(list, t) {
		return list
	}
	return append(list, t)
}

// integerType reports the integer types an allocated number fits in.
func integerType(typ string) bool {
	t := strings.ToLower(strings.TrimSpace(typ))
	switch t {
	case "bigint", "int8", "bigserial", "serial8":
		return true
	}
	return isIntType(t)
}

// workUnits are the units of work the workload shows: each statement (its
// CTEs run together), the statements of one function body, and the
// statements of a query file between BEGIN and COMMIT.
func workUnits(p *Pass) [][]*inspect.Statement {
	var units [][]*inspect.Statement
	byFunc := map[string]int{}
	var block []*inspect.Statement
	blockFile := ""
	for _, s := range analyzed(p.DB) {
		units = append(units, []*inspect.Statement{s})
		switch {
		case s.Via != "":
			if i, ok := byFunc[s.Via]; ok {
				units[i] = append(units[i], s)
			} else {
				byFunc[s.Via] = len(units)
				units = append(units, []*inspect.Statement{s})
			}
		case s.QueryID == 0 && s.Calls == 0:
			// A statement of a query file, in file order.
			word := strings.ToUpper(firstWord(s.Query))
			switch {
			case s.Facts.Kind == inspect.StmtTransaction && (word == "BEGIN" || word == "START"):
				block, blockFile = []*inspect.Statement{s}, s.Pos.File
			case block != nil && s.Pos.File != blockFile:
				block = nil
			case block != nil && s.Facts.Kind == inspect.StmtTransaction && word != "SAVEPOINT" && word != "RELEASE":
				units = append(units, append(block, s))
				block = nil
			case block != nil:
				block = append(block, s)
			}
		}
	}
	return units
}

// unitName says what kind of unit links a counter to a key.
func unitName(u []*inspect.Statement) string {
	first, last := u[0], u[len(u)-1]
	switch {
	case len(u) == 1:
		return "in one statement"
	case first.Via != "":
		return "in function " + first.Via
	}
	pos := filepath.Base(first.Pos.File)
	if first.Pos.Line > 0 {
		pos += fmt.Sprintf(":%d-%d", first.Pos.Line, last.Pos.Line)
	}
	return "in one transaction, " + pos
}

func firstWord(q string) string {
	for _, line := range strings.Split(q, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "--") {
			continue
		}
		if f := strings.Fields(line); len(f) > 0 {
			return strings.TrimRight(f[0], ";")
		}
	}
	return ""
}

// perNodeCounterSQL creates one counter row per node for each row of the
// counter's table, each starting above every number handed out so far.
func perNodeCounterSQL(p *Pass, a *allocator, n int) string {
	pk := primaryKey(p, a.t)
	if pk == nil {
		return ""
	}
	var defs, cols, sel, where []string
	for i, c := range pk.Columns {
		col := a.t.Column(c)
		if col == nil {
			return ""
		}
		q := inspect.QuoteIdent(c)
		defs = append(defs, q+" "+col.Type+" NOT NULL")
		cols = append(cols, q)
		sel = append(sel, "c."+q)
		where = append(where, fmt.Sprintf("%s = $%d", q, i+1))
	}
	node := "node"
	for slices.Contains(pk.Columns, node) || node == a.col {
		node += "_"
	}
	ctr := a.t.Column(a.col)
	name := a.t.Name + "_" + a.col
	if len(name) > 63 {
		name = name[:63]
	}
	tbl := inspect.QuoteQualified(a.t.Schema, name)
	qn, qc := inspect.QuoteIdent(node), inspect.QuoteIdent(a.col)
	var b strings.Builder
	fmt.Fprintf(&b, "-- one counter row per node and %s row: node k of %d hands out k, k+%d, k+%d, ...;\n", a.t.QualifiedName(), n, n, 2*n)
	b.WriteString("-- create it on one node before the data is copied to the others; each node then updates only its own rows\n")
	fmt.Fprintf(&b, "CREATE TABLE %s (%s, %s integer NOT NULL, %s %s NOT NULL, PRIMARY KEY (%s, %s));\n",
		tbl, strings.Join(defs, ", "), qn, qc, ctr.Type, strings.Join(cols, ", "), qn)
	fmt.Fprintf(&b, "INSERT INTO %s (%s, %s, %s)\nSELECT %s, n.%s, (c.%s / %d + 1) * %d + n.%s\nFROM %s c CROSS JOIN generate_series(1, %d) AS n(%s);\n",
		tbl, strings.Join(cols, ", "), qn, qc, strings.Join(sel, ", "), qn, qc, n, n, qn, a.t.Ident(), n, qn)
	fmt.Fprintf(&b, "-- node k then allocates with:\n--   UPDATE %s SET %s = %s + %d WHERE %s AND %s = k RETURNING %s - %d;",
		tbl, qc, qc, n, strings.Join(where, " AND "), qn, qc, n)
	return b.String()
}
