package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var sequenceKey = &Rule{
	ID:       "AR201",
	Name:     "sequence-key",
	Title:    "Unique key filled from a node-local sequence",
	Severity: Error,
	Category: CategorySequences,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Sequences are not replicated, and even where they are, each node hands out values on its own.
A primary key or unique column filled by serial, identity or a nextval() default gets the same
values on every node, so the first INSERT on node B collides with the row node A inserted with
the same id. Depending on the engine the incoming row is silently discarded (last-update-wins
keeps one of them: data loss) or apply stops with a unique violation until someone intervenes.`,
		Engines: map[string]string{
			EngineNative:    `"Sequence data is not replicated"; the collision is insert_exists, which stops apply with an ERROR.`,
			EnginePglogical: `Sequences replicate only periodically and with a buffer; the docs recommend INCREMENT BY >= node count with per-node offsets.`,
			EnginePgactive:  `"one of the INSERTed tuples is effectively discarded on all nodes"; use pgactive.pgactive_snowflake_id_nextval() on bigint columns.`,
			EngineSpock:     `INSERT is turned into UPDATE on insert_exists, overwriting the other node's row; pgEdge recommends snowflake sequences.`,
			EnginePGD:       `Local sequences "cause conflict and data loss by means of discarded INSERT actions"; use snowflakeid or galloc global sequences.`,
		},
		Detection: `Columns of a primary key or unique index (partial ones included) that are identity columns or
whose default calls nextval(). A sequence whose INCREMENT is already at least the number of nodes
is reported as info, because aadvisor cannot see from one node whether every node uses a
different offset.`,
		Fix: `Make every node hand out different values. The least invasive change keeps the sequence and gives
node k of N the values k, k+N, k+2N, ...: run on each node, after the data is copied and with
writes stopped. The new start is above the sequence's own last value and above the highest value of
every column that takes values from it (a sequence shared by several tables, or by the partitions of
one, included), so it never moves backwards:

` + "```sql" + `
-- node 1 of 3 (node 2: "+ 2", node 3: "+ 3")
ALTER SEQUENCE public.orders_id_seq INCREMENT BY 3;
SELECT setval('public.orders_id_seq', (greatest(coalesce(pg_sequence_last_value('public.orders_id_seq'), 0),
  (SELECT coalesce(max(id), 0) FROM public.orders)) / 3 + 1) * 3 + 1, false);
` + "```" + `

Leave room to grow (INCREMENT BY 10 for 3 nodes) if nodes may be added. Better still, switch to keys
that are unique by construction: UUIDv7 (uuidv7() in PostgreSQL 18, gen_random_uuid() before) or
snowflake ids (pgactive_snowflake_id_nextval, pgEdge snowflake, PGD snowflakeid), which need bigint
columns (see int4-key).`,
		Example: `CREATE TABLE public.orders (id bigserial PRIMARY KEY, total numeric);`,
		References: []string{
			"https://www.postgresql.org/docs/current/logical-replication-restrictions.html",
			"2ndQuadrant/pglogical:docs/README.md (Sequences)",
			"aws/pgactive:docs/README.md (Global Sequences), docs/best-practices.md",
			"pgEdge/spock:docs/managing/snowflake.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/sequences.mdx",
		},
	},
	Check: checkSequenceKey,
}

// keyColumnSequences returns, for each column of a table that is in a
// unique index and fed by a sequence, the sequence and the index.
type keySeq struct {
	Col   *inspect.Column
	Index *inspect.Index
	Ref   sequenceRef
}

func keyColumnSequences(p *Pass, t *inspect.Table) []keySeq {
	var out []keySeq
	seen := map[string]bool{}
	for _, ix := range t.UniqueIndexes() {
		for _, c := range ix.Columns {
			col := t.Column(c)
			if col == nil || seen[c] {
				continue
			}
			ref, ok := columnSequence(p, t, col)
			if !ok {
				continue
			}
			seen[c] = true
			out = append(out, keySeq{Col: col, Index: ix, Ref: ref})
		}
	}
	return out
}

func checkSequenceKey(p *Pass) {
	n := int64(p.Config.Nodes)
	var users map[string][]seqUser
	for _, t := range replicatedTables(p.DB) {
		for _, ks := range keyColumnSequences(p, t) {
			kind := "unique key"
			if ks.Index.Primary {
				kind = "primary key"
			}
			f := Finding{
				Object:     colObject(t, ks.Col.Name),
				ObjectKind: "column",
				Table:      t.QualifiedName(),
				Pos:        ks.Col.Pos,
			}
			if s := ks.Ref.Seq; s != nil && abs(s.Increment) >= n {
				f.Severity = Info
				f.Message = fmt.Sprintf("%s column %s is filled from %s, which already steps by %d (>= %d nodes): check that every node starts at a different offset",
					kind, colObject(t, ks.Col.Name), ks.Ref.Name, s.Increment, n)
				f.Fix = fmt.Sprintf("Verify that the %d nodes hand out different residues modulo %d.", n, abs(s.Increment))
				p.Report(f)
				continue
			}
			f.Message = fmt.Sprintf("%s column %s is filled from %s (%s): every node hands out the same values, so concurrent INSERTs collide (insert_exists)",
				kind, colObject(t, ks.Col.Name), ks.Ref.Name, ks.Ref.How)
			f.Fix = fmt.Sprintf("Give each of the %d nodes its own residue (INCREMENT BY %d with per-node offsets), or switch the key to UUIDv7 or snowflake ids.", n, n)
			if users == nil {
				users = sequenceUsers(p)
			}
			f.FixSQL = offsetSQL(t, ks, n, users[ks.Ref.Name])
			p.Report(f)
		}
	}
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// seqUser is a column that takes values from a sequence.
type seqUser struct {
	t   *inspect.Table
	col string
}

// sequenceUsers maps each sequence (by the name sequenceRef gives it) to
// every column of the application's tables that takes values from it
// (partitions are covered by their parent), in table order.
func sequenceUsers(p *Pass) map[string][]seqUser {
	out := map[string][]seqUser{}
	for _, t := range replicatedTables(p.DB) {
		if t.PartitionOf != "" {
			continue
		}
		for _, c := range t.Columns {
			if r, ok := columnSequence(p, t, c); ok {
				out[r.Name] = append(out[r.Name], seqUser{t, c.Name})
			}
		}
	}
	return out
}

// offsetSQL writes the per-node INCREMENT BY n / offset statements. The
// new start is above the highest value of every column that takes values
// from the sequence and above the sequence's own last value, so the fix
// never moves a shared sequence backwards.
func offsetSQL(t *inspect.Table, ks keySeq, n int64, users []seqUser) string {
	var b strings.Builder
	col := inspect.QuoteIdent(ks.Col.Name)
	seqArg := "pg_get_serial_sequence(" + inspect.QuoteLiteral(t.Ident()) + ", " + inspect.QuoteLiteral(ks.Col.Name) + ")"
	alter := fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET INCREMENT BY %d;", t.Ident(), col, n)
	if ks.Col.Identity == "" && ks.Ref.Seq != nil {
		seqArg = inspect.QuoteLiteral(ks.Ref.Seq.QualifiedName())
		alter = fmt.Sprintf("ALTER SEQUENCE %s INCREMENT BY %d;", ks.Ref.Seq.QualifiedName(), n)
	} else if ks.Col.Identity == "" {
		seqArg = inspect.QuoteLiteral(ks.Ref.Name)
		alter = fmt.Sprintf("ALTER SEQUENCE %s INCREMENT BY %d;", ks.Ref.Name, n)
	}
	if !slices.ContainsFunc(users, func(u seqUser) bool { return u.t == t && u.col == ks.Col.Name }) {
		users = append([]seqUser{{t, ks.Col.Name}}, users...)
	}
	highest := []string{fmt.Sprintf("coalesce(pg_sequence_last_value(%s::regclass), 0)", seqArg)}
	var names []string
	for _, u := range users {
		highest = append(highest, fmt.Sprintf("(SELECT coalesce(max(%s), 0) FROM %s)", inspect.QuoteIdent(u.col), u.t.Ident()))
		names = append(names, colObject(u.t, u.col))
	}
	fmt.Fprintf(&b, "-- node k of %d hands out k, k+%d, k+%d, ...; run on each node after the data is copied, with writes stopped\n", n, n, 2*n)
	fmt.Fprintf(&b, "-- the start is above the sequence's last value and the highest value of %s, so it never moves back\n", andList(names))
	shown := n
	if shown > 16 {
		shown = 16
	}
	// The same lines for each node but its number: built once (this runs
	// for every key of every table).
	ofN := " of " + strconv.FormatInt(n, 10) + "\n" + alter + "\nSELECT setval(" + seqArg + ", (greatest(" + strings.Join(highest, ", ") +
		") / " + strconv.FormatInt(n, 10) + " + 1) * " + strconv.FormatInt(n, 10) + " + "
	b.Grow(int(shown) * (len(ofN) + 32))
	for k := int64(1); k <= shown; k++ {
		k := strconv.FormatInt(k, 10)
		b.WriteString("-- node " + k)
		b.WriteString(ofN)
		b.WriteString(k + ", false);\n")
	}
	if shown < n {
		fmt.Fprintf(&b, "-- ... and so on up to node %d\n", n)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
