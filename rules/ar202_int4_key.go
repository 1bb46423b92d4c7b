package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var int4Key = &Rule{
	ID:       "AR202",
	Name:     "int4-key",
	Title:    "Generated key or sequence narrower than bigint",
	Severity: Warning,
	Category: CategorySequences,
	Engines:  AllEngines,
	Effect:   EffectFixFirst,
	Doc: Doc{
		Why: `Every way of generating keys on several nodes at once spends key space faster or needs 64 bits:
snowflake ids are 64-bit values (timestamp, node id, counter), INCREMENT BY N with per-node
offsets exhausts a 32-bit range N times faster, and PGD's galloc hands out chunks of a million
values per node. An integer (int4) or smallint key fed by a sequence therefore has to become
bigint before the mesh, and so do the foreign-key columns that reference it. A bigint sequence
feeding an integer column overflows as soon as a node's range passes 2^31.`,
		Engines: map[string]string{
			EngineNative:    `No global sequences; per-node offsets use up int4 N times faster.`,
			EnginePglogical: `Recommends bigserial/bigint for multi-node sequences.`,
			EnginePgactive:  `"requires that integer-based sequences are 64-bit (bigint)"; pgactive_snowflake_id_nextval needs bigint.`,
			EngineSpock:     `Snowflake sequences produce bigint values.`,
			EnginePGD:       `snowflakeid is bigint only; galloc on int4 hands out 1,000,000-value chunks; a bigint galloc sequence feeding an int column overflows on the third node.`,
		},
		Detection: `Columns of a primary key or unique index fed by a sequence or identity whose type is integer or
smallint, bigint columns fed by an integer sequence, and other user sequences declared AS integer
or smallint.`,
		Fix: `Widen the key, the columns that reference it, and the sequence. Changing a column's type rewrites
the table under an ACCESS EXCLUSIVE lock, so plan it (or use an online tool):

` + "```sql" + `
ALTER TABLE public.order_lines ALTER COLUMN order_id TYPE bigint;
ALTER TABLE public.orders ALTER COLUMN id TYPE bigint;
ALTER SEQUENCE public.orders_id_seq AS bigint;
` + "```",
		Example: `CREATE TABLE public.orders (id serial PRIMARY KEY);`,
		References: []string{
			"aws/pgactive:docs/best-practices.md, docs/README.md (Global Sequences)",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/sequences.mdx",
			"pgEdge/spock:docs/managing/snowflake.md",
		},
	},
	Check: checkInt4Key,
}

func checkInt4Key(p *Pass) {
	db := p.DB
	covered := map[*inspect.Sequence]bool{}
	for _, t := range replicatedTables(db) {
		for _, ks := range keyColumnSequences(p, t) {
			seq := ks.Ref.Seq
			if seq != nil {
				covered[seq] = true
			}
			colNarrow := isIntType(ks.Col.Type)
			seqNarrow := seq != nil && isIntType(seq.Type)
			if !colNarrow && !seqNarrow {
				continue
			}
			var stmts []string
			var msg string
			if colNarrow {
				for _, ref := range referencingColumns(p, t, ks.Col.Name) {
					stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE bigint;", ref.t.Ident(), inspect.QuoteIdent(ref.col)))
				}
				stmts = append(stmts, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE bigint;", t.Ident(), inspect.QuoteIdent(ks.Col.Name)))
				msg = fmt.Sprintf("key column %s is %s and filled from %s: snowflake ids need bigint and per-node offsets use up its range %d times faster",
					colObject(t, ks.Col.Name), ks.Col.Type, ks.Ref.Name, p.Config.Nodes)
				if n := len(stmts) - 1; n > 0 {
					msg += fmt.Sprintf("; %s referencing it must be widened too", plural(int64(n), "foreign-key column", "foreign-key columns"))
				}
			} else {
				msg = fmt.Sprintf("key column %s is %s but its sequence %s is %s", colObject(t, ks.Col.Name), ks.Col.Type, seq.QualifiedName(), seq.Type)
			}
			if seq != nil && isIntType(seq.Type) && ks.Col.Identity == "" {
				stmts = append(stmts, fmt.Sprintf("ALTER SEQUENCE %s AS bigint;", seq.QualifiedName()))
			}
			p.Report(Finding{
				Object:     colObject(t, ks.Col.Name),
				ObjectKind: "column",
				Table:      t.QualifiedName(),
				Message:    msg,
				Fix:        "Widen the key, the foreign-key columns that reference it and its sequence to bigint (the table is rewritten).",
				FixSQL:     strings.Join(stmts, "\n"),
				Pos:        ks.Col.Pos,
			})
		}
	}
	for _, s := range db.Sequences {
		if covered[s] || inspect.SystemSchema(s.Schema) || !isIntType(s.Type) {
			continue
		}
		p.Report(Finding{
			Object:     s.QualifiedName(),
			ObjectKind: "sequence",
			Message:    fmt.Sprintf("sequence %s is %s: snowflake and global sequences need bigint", s.QualifiedName(), s.Type),
			Fix:        "Declare the sequence AS bigint (and the columns it fills).",
			FixSQL:     fmt.Sprintf("ALTER SEQUENCE %s AS bigint;", s.QualifiedName()),
			Pos:        s.Pos,
		})
	}
}

type columnRef struct {
	t   *inspect.Table
	col string
}

// referencingColumns returns the foreign-key columns that reference
// t.col.
func referencingColumns(p *Pass, t *inspect.Table, col string) []columnRef {
	var out []columnRef
	for _, ref := range p.index().children[t] {
		c := ref.fk
		refCols := c.RefColumns
		if len(refCols) == 0 {
			if pk := t.PrimaryKey(); pk != nil {
				refCols = pk.Columns
			}
		}
		for i, rc := range refCols {
			if rc == col && i < len(c.Columns) {
				if cc := ref.child.Column(c.Columns[i]); cc != nil && isIntType(cc.Type) {
					out = append(out, columnRef{t: ref.child, col: c.Columns[i]})
				}
			}
		}
	}
	return out
}
