package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var multipleUnique = &Rule{
	ID:       "AR301",
	Name:     "multiple-unique",
	Title:    "Table with more than one unique key",
	Severity: Warning,
	Category: CategoryConstraints,
	Engines:  AllEngines,
	Effect:   EffectHome,
	Doc: Doc{
		Why: `Conflict resolution works on one key: the replica identity. When a table has a second unique
index (an email, a slug, an external id), two nodes can each accept a row with the same secondary
value but different primary keys. When the rows meet, the conflict is on the secondary key, which
no engine resolves: native replication and pglogical stop apply with a unique violation, pgactive
and Spock need manual repair or drop one row, PGD deletes data to resolve
multiple_unique_conflicts. Partial unique indexes are ignored by pglogical and Spock during
resolution but still raise the violation.`,
		Engines: map[string]string{
			EngineNative:    `insert_exists / update_exists on the secondary key stop apply (PG18 logs multiple_unique_conflicts).`,
			EnginePglogical: `"Only one unique index/constraint/PK" is supported on the downstream; partial unique indexes are ignored.`,
			EnginePgactive:  `"multiple unique constraints violated by remotely INSERTed tuple" needs manual repair; "secondary unique indexes can cause data divergence".`,
			EngineSpock:     `Only one unique index; spock.check_all_uc_indexes is experimental and resolves the first conflict only.`,
			EnginePGD:       `multiple_unique_conflicts: "some of the data is always deleted"; pgd assess flags these tables.`,
		},
		Detection: `Valid unique indexes per permanent table, the primary key included; two or more is reported. Partial
and expression indexes are named as such. A unique index that holds every column of the primary key
(TPC-C's orders (o_w_id, o_d_id, o_c_id, o_id) next to the key (o_w_id, o_d_id, o_id)) is left out:
two rows that differ in the primary key differ in it too, so it can never conflict on its own.`,
		Fix: `Keep one unique key per table where you can: drop redundant unique indexes; make secondary
uniqueness region-scoped (add the owning region or tenant to the key) so two nodes never compete
for the same value; or enforce global uniqueness on one home node (route the INSERTs that claim a
value there, or claim values through a small table written only on that node).

` + "```sql" + `
-- region-scoped uniqueness: each region claims values only for itself
ALTER TABLE public.users DROP CONSTRAINT users_email_key,
  ADD CONSTRAINT users_region_email_key UNIQUE (region, email);
` + "```",
		Example: `CREATE TABLE public.users (id uuid PRIMARY KEY, email text UNIQUE);`,
		References: []string{
			"aws/pgactive:docs/referenceguide.md, docs/README.md (Limitations)",
			"2ndQuadrant/pglogical:docs/README.md (Limitations and restrictions)",
			"pgEdge/spock:docs/limitations.md",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx",
			"https://www.postgresql.org/docs/18/logical-replication-conflicts.html",
		},
	},
	Check: func(p *Pass) {
		for _, t := range replicatedTables(p.DB) {
			pk := primaryKey(p, t)
			var uniq []*inspect.Index
			for _, ix := range t.UniqueIndexes() {
				if !ix.Primary && pk != nil && holdsAll(ix.Columns, pk.Columns) {
					continue // unique whenever the primary key is: it never conflicts on its own
				}
				uniq = append(uniq, ix)
			}
			if len(uniq) < 2 {
				continue
			}
			var names []string
			for _, ix := range uniq {
				desc := inspect.QuoteIdent(ix.Name) + " (" + strings.Join(ix.Columns, ", ")
				switch {
				case ix.Primary:
					desc += "; primary key"
				case ix.Predicate != "":
					desc += "; partial: WHERE " + shorten(ix.Predicate, 60)
				}
				if ix.Expression {
					desc += "; expression"
				}
				names = append(names, desc+")")
			}
			p.Report(Finding{
				Object:     t.QualifiedName(),
				ObjectKind: "table",
				Table:      t.QualifiedName(),
				Message: fmt.Sprintf("%s has %d unique indexes: %s; a conflict on a key other than the replica identity cannot be resolved (apply stops or the nodes diverge)",
					t.QualifiedName(), len(uniq), strings.Join(names, ", ")),
				Fix: "Keep one unique key: drop redundant ones, make secondary keys region-scoped, or claim secondary values on one home node.",
				Pos: t.Pos,
			})
		}
	},
}

// holdsAll reports whether cols holds every column of key.
func holdsAll(cols, key []string) bool {
	for _, k := range key {
		if !containsFold(cols, k) {
			return false
		}
	}
	return len(key) > 0
}
