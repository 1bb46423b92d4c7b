package replicate

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
)

// RepairOrigin is the replication origin a repair script runs under: the
// mesh's subscriptions (origin = none, pglogical forward_origins = '{}')
// do not forward changes that carry an origin, so a fix applied on one
// node stays on that node.
const RepairOrigin = "aadv_repair"

// RepairScripts returns, per node that needs changes, the SQL that makes
// its rows equal to the majority's. Values are literals; identifiers are
// quoted. Rows beyond VerifyOptions.MaxRows are not covered (see
// TableVerify.Truncated).
func (r *VerifyReport) RepairScripts() map[string]string {
	out := map[string]string{}
	for _, node := range r.Nodes {
		var b bytes.Buffer
		n := 0
		for ti := range r.Tables {
			t := &r.Tables[ti]
			for _, d := range t.Diffs {
				kind, ok := d.Nodes[node]
				if !ok {
					continue
				}
				if stmt := t.repairStatement(d, kind); stmt != "" {
					b.WriteString(stmt)
					b.WriteString(";\n")
					n++
				}
			}
		}
		if n > 0 {
			out[node] = b.String()
		}
	}
	return out
}

// WriteRepairSQL writes one script for every node: each node's section
// runs in its own transaction, under the RepairOrigin replication origin
// and session_replication_role = replica (no triggers, no foreign-key
// checks), and is guarded by the node's system identifier when known, so
// running the whole file on any node changes only that node. Run it with
// psql on each node (superuser): psql -f FILE "DSN".
func (r *VerifyReport) WriteRepairSQL(w io.Writer) error {
	scripts := r.RepairScripts()
	var b bytes.Buffer
	fmt.Fprintf(&b, "-- aadvisor mesh verify: repair script (%s, database %s)\n", r.Time.Format("2006-01-02 15:04:05Z"), orDefault(r.Database, "from the DSNs"))
	b.WriteString("-- Review before running. Run the whole file with psql on every node that has a section:\n")
	b.WriteString("--   psql -f THIS_FILE \"<node DSN>\"\n")
	b.WriteString("-- Sections for other nodes stop at their guard and roll back (the errors are expected).\n")
	b.WriteString("-- Each section makes the node match the majority of nodes; rows in flight while verify ran\n")
	b.WriteString("-- may have settled since: run verify again first if the mesh was live.\n")
	if len(scripts) == 0 {
		b.WriteString("-- Nothing to repair: every compared row is the same on every node.\n")
	}
	for _, node := range r.Nodes {
		s, ok := scripts[node]
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n-- ===== node %s =====\nBEGIN;\n", node)
		if id := r.sysIDs[node]; id != "" {
			fmt.Fprintf(&b, "DO $guard$ BEGIN\n  IF (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) <> %s THEN\n    RAISE EXCEPTION 'this section is for node %s: skipped here';\n  END IF;\nEND $guard$;\n",
				inspect.QuoteLiteral(id), strings.ReplaceAll(node, "'", "''"))
		} else {
			fmt.Fprintf(&b, "-- (system identifier unknown: run this section on node %s only)\n", node)
		}
		b.WriteString("SET LOCAL session_replication_role = replica;\n")
		fmt.Fprintf(&b, "SELECT pg_catalog.pg_replication_origin_create(%s) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_origin WHERE roname = %s);\n",
			inspect.QuoteLiteral(RepairOrigin), inspect.QuoteLiteral(RepairOrigin))
		fmt.Fprintf(&b, "SELECT pg_catalog.pg_replication_origin_session_setup(%s);\n", inspect.QuoteLiteral(RepairOrigin))
		b.WriteString(s)
		// On the other nodes the guard stopped the section before the origin
		// was set up: reset only where it was.
		b.WriteString("COMMIT;\nSELECT pg_catalog.pg_replication_origin_session_reset() WHERE pg_catalog.pg_replication_origin_session_is_setup();\n")
	}
	_, err := w.Write(b.Bytes())
	if err != nil {
		return fmt.Errorf("write repair script: %w", err)
	}
	return nil
}

func repairLiteral(v *string, typ string) string {
	if v == nil {
		return "NULL"
	}
	return inspect.QuoteLiteral(*v) + "::" + typ
}

func (t *TableVerify) repairWhere(d RowDiff) string {
	var parts []string
	for i, c := range t.keyCols() {
		parts = append(parts, pgx.Identifier{c.name}.Sanitize()+" = "+repairLiteral(&d.Key[i], c.typ))
	}
	return strings.Join(parts, " AND ")
}

func (t *TableVerify) repairStatement(d RowDiff, kind string) string {
	table := qualifiedName(t.schema, t.name)
	switch kind {
	case DiffExtra:
		return "DELETE FROM " + table + " WHERE " + t.repairWhere(d)
	case DiffMissing:
		if d.want == nil {
			return ""
		}
		var cols, vals []string
		overriding := ""
		for i, c := range t.cols {
			if c.generated {
				continue
			}
			if c.identityA {
				overriding = " OVERRIDING SYSTEM VALUE"
			}
			cols = append(cols, pgx.Identifier{c.name}.Sanitize())
			vals = append(vals, repairLiteral(d.want[i], c.typ))
		}
		return fmt.Sprintf("INSERT INTO %s (%s)%s VALUES (%s)", table, strings.Join(cols, ", "), overriding, strings.Join(vals, ", "))
	case DiffDifferent:
		if d.want == nil {
			return ""
		}
		var sets []string
		for i, c := range t.cols {
			if c.generated || c.key >= 0 {
				continue
			}
			for _, dc := range d.Columns {
				if dc == c.name {
					sets = append(sets, pgx.Identifier{c.name}.Sanitize()+" = "+repairLiteral(d.want[i], c.typ))
				}
			}
		}
		if len(sets) == 0 {
			return ""
		}
		return "UPDATE " + table + " SET " + strings.Join(sets, ", ") + " WHERE " + t.repairWhere(d)
	}
	return ""
}
