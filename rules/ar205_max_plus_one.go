package rules

import (
	"fmt"

	"github.com/aadvisor/aadvisor/inspect"
)

var maxPlusOne = &Rule{
	ID:       "AR205",
	Name:     "max-plus-one",
	Title:    "Keys generated with max(column) + 1",
	Severity: Error,
	Category: CategorySequences,
	Engines:  AllEngines,
	Needs:    []string{inspect.EvidenceStatements},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `Generating the next key as SELECT max(id) + 1 is already racy on one node; on several nodes it is
guaranteed to collide, because each node sees only the rows that have reached it and computes the
same next value. The second INSERT of that value is an insert_exists conflict: one row is discarded
under last-update-wins, or apply stops with a unique violation.`,
		Engines: map[string]string{
			EngineNative:    `insert_exists stops apply with an ERROR.`,
			EnginePglogical: `One of the rows is kept, the other discarded (apply_remote or last_update_wins).`,
			EnginePgactive:  `"one of the INSERTed tuples is effectively discarded on all nodes".`,
			EngineSpock:     `The INSERT becomes an UPDATE of the other node's row.`,
			EnginePGD:       `insert_exists resolved by update_if_newer: one row lost.`,
		},
		Detection: `Statements of the workload with max(col) + 1 as a value (parse-tree fact MaxPlusOne), resolved to the
table and column.`,
		Fix: `Generate keys that are unique by construction: UUIDv7, snowflake ids, or a sequence with per-node
offsets (see sequence-key). For human-facing numbers that must be gapless, allocate them on one node.`,
		Example: `INSERT INTO public.invoices (no, total) SELECT coalesce(max(no), 0) + 1, $1 FROM public.invoices;`,
		References: []string{
			"aws/pgactive:docs/best-practices.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/sequences.mdx",
		},
	},
	Check: func(p *Pass) {
		for _, s := range analyzed(p.DB) {
			for _, tc := range s.Facts.MaxPlusOne {
				obj, table := tc, ""
				parts := inspect.SplitIdents(tc)
				if len(parts) >= 2 {
					col := parts[len(parts)-1]
					ref := inspect.TableRef{Name: parts[len(parts)-2]}
					if len(parts) >= 3 {
						ref.Schema = parts[len(parts)-3]
					}
					if t := p.index().ref(ref); t != nil {
						obj, table = colObject(t, col), t.QualifiedName()
					} else {
						obj, table = refName(ref)+"."+inspect.QuoteIdent(col), refName(ref)
					}
				}
				p.Report(Finding{
					Object:     obj,
					ObjectKind: "column",
					Table:      table,
					Message:    fmt.Sprintf("%s computes the next %s as max()+1: every node computes the same value", stmtText(s), obj),
					Fix:        "Generate the key with UUIDv7, snowflake ids or a per-node sequence instead of max()+1.",
					Pos:        s.Pos,
				})
			}
		}
	},
}
