package replicate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/google/go-cmp/cmp"
)

const verifySchema = `
CREATE TABLE public.accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL, note text,
  total numeric GENERATED ALWAYS AS (balance * 2) STORED);
CREATE TABLE public.events (site int, seq bigint, body text, PRIMARY KEY (site, seq));
CREATE TABLE public.wide (id int PRIMARY KEY, {{cols}});
CREATE TABLE public.docs (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, doc json, "Odd Name" text);
CREATE TABLE public.nokey (a int, b text);
INSERT INTO public.accounts SELECT g, 'owner ' || g, g * 1.5, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n''' || g END FROM generate_series(1, 5000) g;
INSERT INTO public.events SELECT g % 4, g, repeat('e', g % 17) FROM generate_series(1, 3000) g;
INSERT INTO public.wide SELECT g, {{vals}} FROM generate_series(1, 500) g;
INSERT INTO public.docs (doc, "Odd Name") SELECT json_build_object('k', g, 'v', 'x\y'), 'o' || g FROM generate_series(1, 200) g;
INSERT INTO public.nokey SELECT g, 'x' FROM generate_series(1, 10) g;
`

func wideSchema() string {
	var cols, vals []string
	for i := 1; i <= 40; i++ {
		cols = append(cols, fmt.Sprintf("c%02d text", i))
		vals = append(vals, fmt.Sprintf("'v%d-' || g", i))
	}
	return strings.NewReplacer("{{cols}}", strings.Join(cols, ", "), "{{vals}}", strings.Join(vals, ", ")).Replace(verifySchema)
}

// verifyNodes makes database db with the same rows on every node of a
// 3-node sandbox (no replication) and returns a plan for them.
func verifyNodes(t *testing.T, sb *sandbox.Sandbox, db string) *Plan {
	t.Helper()
	ctx := context.Background()
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyActiveActive, Engine: EngineNative, Database: db}}
	for _, n := range sb.Nodes {
		if err := n.Exec(ctx, "", "CREATE DATABASE "+db); err != nil {
			t.Fatal(err)
		}
		if err := n.Exec(ctx, db, wideSchema()); err != nil {
			t.Fatal(err)
		}
		p.Topology.Nodes = append(p.Topology.Nodes, PlanNode{Name: n.Name, Role: RolePeer, DSN: n.DSN("postgres")})
	}
	return p
}

type diffSummary struct {
	Table string
	Key   string
	Nodes map[string]string
	Cols  string
}

func summarize(rep *VerifyReport) []diffSummary {
	var out []diffSummary
	for _, t := range rep.Tables {
		for _, d := range t.Diffs {
			out = append(out, diffSummary{Table: t.Table, Key: strings.Join(d.Key, ","), Nodes: d.Nodes, Cols: strings.Join(d.Columns, ",")})
		}
	}
	return out
}

// TestVerifyFindsEveryDifference injects every kind of difference into
// three nodes of each version, finds them, and repairs them.
func TestVerifyFindsEveryDifference(t *testing.T) {
	t.Parallel()
	for _, major := range sandboxtest.TestVersions {
		t.Run(fmt.Sprintf("pg%d", major), func(t *testing.T) {
			t.Parallel() // own sandboxes
			testVerifyFindsEveryDifference(t, major)
		})
	}
}

func testVerifyFindsEveryDifference(t *testing.T, major int) {
	sb := sandboxtest.ForTest(t, major, 3)
	ctx := context.Background()
	p := verifyNodes(t, sb, "vf")
	n1, n2, n3 := sb.Nodes[0], sb.Nodes[1], sb.Nodes[2]
	// Same columns in another order on one node: rows are compared by
	// column name, not position.
	for i, n := range sb.Nodes {
		ddl := "CREATE TABLE public.reord (id int PRIMARY KEY, a text, b int)"
		if i == 2 {
			ddl = "CREATE TABLE public.reord (b int, a text, id int PRIMARY KEY)"
		}
		if err := n.Exec(ctx, "vf", ddl+"; INSERT INTO public.reord (id, a, b) SELECT g, 'a' || g, g FROM generate_series(1, 100) g"); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := Verify(ctx, p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Differences != 0 {
		t.Fatalf("identical nodes: %d differences: %+v", rep.Differences, summarize(rep))
	}
	var skipped []string
	for _, tb := range rep.Tables {
		if tb.Skipped != "" {
			skipped = append(skipped, tb.Table)
		}
		if tb.Table == "public.accounts" && tb.Rows[n2.Name] != 5000 {
			t.Errorf("accounts rows on %s = %d, want 5000", n2.Name, tb.Rows[n2.Name])
		}
		if tb.Table == "public.docs" && tb.Hash != "text" {
			t.Errorf("docs (json column) hash = %q, want the text fallback", tb.Hash)
		}
		// Identical tables are settled by the whole-table digest alone.
		if tb.Skipped == "" && (tb.Passes != 1 || tb.MismatchedBuckets != 0) {
			t.Errorf("%s on identical nodes: %d passes, %d mismatched buckets; want 1 and 0", tb.Table, tb.Passes, tb.MismatchedBuckets)
		}
	}
	if diff := cmp.Diff([]string{"public.nokey"}, skipped); diff != "" {
		t.Errorf("skipped tables (-want +got):\n%s", diff)
	}

	inject := []struct {
		node *sandbox.Node
		sql  string
	}{
		{n2, "DELETE FROM accounts WHERE id = 10"},
		{n3, "INSERT INTO accounts VALUES (90001, 'extra', 1, NULL)"},
		{n1, "UPDATE accounts SET note = 'changed' WHERE id = 20"},
		{n2, "UPDATE accounts SET note = NULL WHERE id = 22"},
		// Values swapped between two rows leave the column's multiset as it
		// was: the row hash includes the key, so the digest still changes.
		{n1, "UPDATE accounts SET balance = CASE id WHEN 40 THEN 61.5 ELSE 60 END WHERE id IN (40, 41)"},
		{n2, "UPDATE wide SET c17 = 'drift' WHERE id = 7"},
		{n1, "DELETE FROM events WHERE site = 1 AND seq = 5"},
		{n3, "DELETE FROM events WHERE site = 1 AND seq = 5"},
		{n3, `UPDATE docs SET doc = '{"k": 0}', "Odd Name" = 'it''s' WHERE id = 3`},
	}
	for _, in := range inject {
		if err := in.node.Exec(ctx, "vf", in.sql); err != nil {
			t.Fatal(err)
		}
	}
	rep, err = Verify(ctx, p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []diffSummary{
		{Table: "public.accounts", Key: "10", Nodes: map[string]string{n2.Name: DiffMissing}},
		{Table: "public.accounts", Key: "20", Nodes: map[string]string{n1.Name: DiffDifferent}, Cols: "note"},
		{Table: "public.accounts", Key: "22", Nodes: map[string]string{n2.Name: DiffDifferent}, Cols: "note"},
		{Table: "public.accounts", Key: "40", Nodes: map[string]string{n1.Name: DiffDifferent}, Cols: "balance,total"},
		{Table: "public.accounts", Key: "41", Nodes: map[string]string{n1.Name: DiffDifferent}, Cols: "balance,total"},
		{Table: "public.accounts", Key: "90001", Nodes: map[string]string{n3.Name: DiffExtra}},
		{Table: "public.docs", Key: "3", Nodes: map[string]string{n3.Name: DiffDifferent}, Cols: "Odd Name,doc"},
		// deleted on two of three nodes: the majority lacks it, so it is extra on the third
		{Table: "public.events", Key: "1,5", Nodes: map[string]string{n2.Name: DiffExtra}},
		{Table: "public.wide", Key: "7", Nodes: map[string]string{n2.Name: DiffDifferent}, Cols: "c17"},
	}
	if diff := cmp.Diff(want, summarize(rep)); diff != "" {
		t.Fatalf("differences (-want +got):\n%s", diff)
	}
	if rep.Differences != len(want) {
		t.Errorf("Differences = %d, want %d", rep.Differences, len(want))
	}
	for _, tb := range rep.Tables {
		if tb.Table == "public.accounts" {
			got := map[string]NodeDiff{}
			for _, nd := range tb.PerNode {
				got[nd.Node] = nd
			}
			if got[n2.Name].Missing != 1 || got[n3.Name].Extra != 1 || got[n1.Name].Different != 3 || got[n2.Name].Different != 1 {
				t.Errorf("accounts per node: %+v", tb.PerNode)
			}
			if tb.Passes != 4 {
				t.Errorf("accounts with differences: %d passes, want 4 (digest, buckets, rows of the buckets, differing rows)", tb.Passes)
			}
		}
	}

	// The repair script, run whole on every node with psql, converges them.
	var script bytes.Buffer
	if err := rep.WriteRepairSQL(&script); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "repair.sql")
	if err := os.WriteFile(file, script.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	psql, err := exec.LookPath("psql")
	if err != nil {
		// Without psql, run each node's statements directly.
		for node, s := range rep.RepairScripts() {
			if err := sb.Node(node).Exec(ctx, "vf", "BEGIN; SET LOCAL session_replication_role = replica; "+s+" COMMIT;"); err != nil {
				t.Fatalf("repair %s: %v\n%s", node, err, s)
			}
		}
	} else {
		for _, n := range sb.Nodes {
			out, err := exec.Command(psql, "-X", "-q", "-f", file, n.DSN("vf")).CombinedOutput()
			if err != nil {
				t.Fatalf("psql on %s: %v\n%s", n.Name, err, out)
			}
			if n == n3 && !strings.Contains(string(out), "this section is for node") {
				t.Errorf("psql on %s: want other nodes' sections to stop at their guard:\n%s", n.Name, out)
			}
		}
	}
	rep, err = Verify(ctx, p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Differences != 0 {
		t.Fatalf("after repair: %+v\nscript:\n%s", summarize(rep), script.String())
	}

	// --tables narrows the comparison; an unknown table is an error.
	rep, err = Verify(ctx, p, VerifyOptions{Tables: []string{"public.events", "wide"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Tables) != 2 {
		t.Errorf("--tables events,wide: got %d tables", len(rep.Tables))
	}
	if _, err := Verify(ctx, p, VerifyOptions{Tables: []string{"public.nope"}}); !errors.Is(err, ErrTableNotFound) {
		t.Errorf("unknown table: err = %v, want ErrTableNotFound", err)
	}
}

func TestVerifyBuckets(t *testing.T) {
	for _, tc := range []struct {
		rows int64
		want int
	}{{0, 1}, {256, 1}, {257, 2}, {1_000_000, 4096}, {1 << 40, 65536}} {
		if got := verifyBuckets(tc.rows); got != tc.want {
			t.Errorf("verifyBuckets(%d) = %d, want %d", tc.rows, got, tc.want)
		}
	}
}
