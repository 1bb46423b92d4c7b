package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

var toastMultiWriter = &Rule{
	ID:       "AR407",
	Name:     "toast-multi-writer",
	Title:    "TOASTed values updated from several nodes (3+ nodes)",
	Severity: Warning,
	Category: CategoryReplicationScope,
	Engines:  []string{EngineNative, EnginePglogical},
	Effect:   EffectHome,
	Doc: Doc{
		Why: `When an UPDATE does not change a TOASTed (large, out-of-line) value, the value is not written to
WAL and the change carries only "unchanged". With three or more nodes and conflicting updates,
node C can apply a row version from node A, skip a later one from B on origin grounds, and end up
without the large value from A1 forever: "the toasted data from A1 is missed". PGD documents this
for "built-in logical replication or plain pglogical for multi-master"; two-node meshes are not
affected.`,
		Engines: map[string]string{
			EngineNative:    `Affected with 3+ nodes.`,
			EnginePglogical: `Affected with 3+ nodes.`,
			EnginePGD:       `Documents the problem for native replication and plain pglogical, not for itself.`,
		},
		Detection: `Only when the configured mesh has 3 or more nodes. Live: tables whose TOAST relation is not empty.
Offline (or when TOAST sizes were not read): tables with columns of types that are TOASTed (text,
varchar without a length, json, jsonb, bytea, xml, arrays, tsvector) whose storage is not PLAIN,
leaving out key columns and columns whose length a CHECK bounds below 2,000 bytes (500 characters).
Only tables that are updated (n_tup_upd in pg_stat_user_tables, or UPDATE, MERGE or upsert statements
in the workload) are warnings; tables with REPLICA IDENTITY FULL and tables known not to be updated
are left out. Without any update evidence, one info finding lists the candidate tables.`,
		Fix: `Make each row single-writer (home-node routing by key), or keep the mesh at two nodes for these
tables. REPLICA IDENTITY FULL logs the old value in full and avoids the gap, at a large WAL cost.`,
		Example: `CREATE TABLE public.documents (id uuid PRIMARY KEY, body text);  -- updated on several nodes`,
		References: []string{
			"EnterpriseDB/docs:product_docs/docs/pgd/5.9/conflict-management/conflicts/02_types_of_conflict.mdx (TOAST support details)",
		},
	},
	Check: checkToastMultiWriter,
}

func checkToastMultiWriter(p *Pass) {
	db := p.DB
	if p.Config.Nodes < 3 {
		return
	}
	sizesKnown := !offline(db) && db.SkippedFor(inspect.EvidenceToast) == nil
	updated := map[*inspect.Table]bool{}
	for _, w := range writes(p) {
		if w.Table != nil && (w.W.Op == inspect.StmtUpdate || w.W.Op == inspect.StmtMerge || (w.W.OnConflict != nil && w.W.OnConflict.Action == "update")) {
			updated[w.Table] = true
		}
	}
	statements := hasStatements(db) && db.SkippedFor(inspect.EvidenceStatements) == nil
	var unknown []string
	for _, t := range replicatedTables(db) {
		if t.ReplicaIdentity == inspect.IdentityFull || t.Kind == inspect.RelPartitioned {
			continue
		}
		var evidence string
		switch {
		case sizesKnown && t.ToastBytes > 0:
			evidence = "its TOAST relation holds " + inspect.FormatBytes(t.ToastBytes)
		case sizesKnown && t.ToastBytes == 0:
			continue
		default:
			var wide []string
			for _, c := range t.Columns {
				if toastable(c) && !smallValues(t, c) {
					wide = append(wide, c.Name+" "+c.Type)
				}
			}
			if len(wide) == 0 {
				continue
			}
			evidence = "it has TOASTable columns (" + strings.Join(wide, ", ") + ")"
		}
		var how string
		switch {
		case t.Stats != nil && t.Stats.Updates > 0:
			how = plural(t.Stats.Updates, "update", "updates") + " in pg_stat_user_tables"
		case updated[t]:
			how = "UPDATE statements in the workload"
		case t.Stats != nil || statements:
			continue // known not to be updated
		default:
			unknown = append(unknown, t.QualifiedName())
			continue
		}
		p.Report(Finding{
			Object:     t.QualifiedName(),
			ObjectKind: "table",
			Table:      t.QualifiedName(),
			Message: fmt.Sprintf("%s: %s and it sees %s; with %d nodes an UPDATE that leaves a large value unchanged can make a node miss that value after a conflict",
				t.QualifiedName(), evidence, how, p.Config.Nodes),
			Fix: "Route updates of each row to one home node, or use REPLICA IDENTITY FULL for this table despite the WAL cost.",
			Pos: t.Pos,
		})
	}
	if len(unknown) > 0 {
		list := unknown
		if len(list) > 10 {
			list = append(list[:10:10], fmt.Sprintf("and %d more", len(unknown)-10))
		}
		p.Report(Finding{
			Severity:   Info,
			Object:     "database",
			ObjectKind: "database",
			Message: fmt.Sprintf("%s TOASTable columns, but without table statistics or workload it is unknown whether they are updated: %s",
				plural(int64(len(unknown)), "table has", "tables have"), strings.Join(list, ", ")),
			Fix: "Run assess --dsn or pass --queries so updated tables can be told from insert-only ones.",
		})
	}
}

// toastable reports whether a column's values can be stored out of line.
func toastable(c *inspect.Column) bool {
	if c.Storage == "plain" {
		return false
	}
	typ := strings.ToLower(c.Type)
	if strings.HasSuffix(typ, "[]") {
		return true
	}
	switch typ {
	case "text", "json", "jsonb", "bytea", "xml", "character varying", "varchar", "tsvector":
		return true
	}
	return false
}

// smallValues reports whether a column's values are kept well under the
// 2 kB at which PostgreSQL moves values out of line: it is a key (a
// B-tree entry holds at most about 2.7 kB, and keys are short in
// practice), or a CHECK bounds its length below 2,000 bytes (500
// characters of up to 4 bytes)
// (found trying River and pg-boss: CHECK (char_length(kind) < 128) and
// text primary keys made every small table a candidate).
func smallValues(t *inspect.Table, c *inspect.Column) bool {
	for _, ix := range t.Indexes {
		if (ix.Primary || ix.Unique) && slices.Contains(ix.Columns, c.Name) {
			return true
		}
	}
	col := inspect.QuoteIdent(c.Name)
	for _, k := range t.Constraints {
		if k.Type != inspect.Check {
			continue
		}
		// char_length(col), length(col), octet_length(col), and the
		// cast pg_get_constraintdef prints for varchar: length((col)::text).
		for _, arg := range []string{"length(" + col + ")", "length((" + col + ")::text)"} {
			for rest := k.Expression; ; {
				i := strings.Index(rest, arg)
				if i < 0 {
					break
				}
				bytesPerUnit := 4 // a character is up to 4 bytes
				if strings.HasSuffix(rest[:i], "octet_") {
					bytesPerUnit = 1
				}
				rest = rest[i+len(arg):]
				op := strings.TrimLeft(rest, " )")
				if !strings.HasPrefix(op, "<") {
					continue
				}
				bound := strings.TrimLeft(op, "<= (")
				j := 0
				for j < len(bound) && bound[j] >= '0' && bound[j] <= '9' {
					j++
				}
				if after := strings.TrimLeft(bound[j:], " )"); after != "" && strings.ContainsRune("*+-/^%", rune(after[0])) {
					continue // an expression, not a number
				}
				if n, err := strconv.Atoi(bound[:j]); err == nil && n*bytesPerUnit < 2000 {
					return true
				}
			}
		}
	}
	return false
}
