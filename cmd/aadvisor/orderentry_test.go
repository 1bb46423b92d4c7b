package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pgx/v5"
)

// The order-entry example (examples/orderentry) is TPC-C's: a district
// hands out order numbers from d_next_o_id, year-to-date totals are kept
// in place, new_order is the delivery queue, history has no key. These
// tests hold the judgements a DBA would make on it, offline and live.

type oeFinding struct {
	Name     string   `json:"name"`
	Severity string   `json:"severity"`
	Object   string   `json:"object"`
	Table    string   `json:"table"`
	Message  string   `json:"message"`
	Related  []string `json:"related_tables"`
}

type oeReport struct {
	Findings []oeFinding `json:"findings"`
	Skipped  []struct {
		Rule   string `json:"rule"`
		Reason string `json:"reason"`
	} `json:"skipped"`
	Tables []struct {
		Table   string   `json:"table"`
		Advice  string   `json:"advice"`
		Reasons []string `json:"reasons"`
	} `json:"tables"`
}

func oeAssess(t *testing.T, args ...string) oeReport {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), append([]string{"assess", "--format", "json", "--fail-on", "none"}, args...), nil, &out, &errb)
	if code != exitOK {
		t.Fatalf("assess: exit %d; stderr: %s", code, errb.String())
	}
	var rep oeReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkOrderEntry asserts what holds offline and live: the allocator is a
// key-collision error that marks the order tables, no unique index that
// holds the whole key is a multiple-unique finding, the year-to-date
// totals stay counter warnings, and no order data is kept local.
func checkOrderEntry(t *testing.T, rep oeReport) {
	t.Helper()
	found := false
	for _, f := range rep.Findings {
		switch {
		case f.Name == "id-allocator" && f.Object == "public.district.d_next_o_id":
			found = true
			if f.Severity != "error" {
				t.Errorf("id-allocator is %s, want error", f.Severity)
			}
			for _, tb := range []string{"public.orders", "public.new_order", "public.order_line"} {
				if !slices.Contains(f.Related, tb) {
					t.Errorf("id-allocator does not mark %s (related %v)", tb, f.Related)
				}
			}
		case f.Name == "multiple-unique" && f.Table == "public.orders":
			t.Errorf("false multiple-unique: %s", f.Message)
		case f.Name == "counter-update" && f.Object == "public.district.d_next_o_id":
			t.Errorf("counter-update claims the allocator: %s", f.Message)
		}
	}
	if !found {
		t.Errorf("no id-allocator error on public.district.d_next_o_id; findings: %+v", rep.Findings)
	}
	if !slices.ContainsFunc(rep.Findings, func(f oeFinding) bool {
		return f.Name == "counter-update" && f.Object == "public.warehouse.w_ytd"
	}) {
		t.Errorf("the year-to-date total public.warehouse.w_ytd is no counter-update finding")
	}
	want := map[string]string{
		"public.district":   "home-routed writes only",
		"public.orders":     "home-routed writes only",
		"public.new_order":  "home-routed writes only",
		"public.order_line": "home-routed writes only",
		"public.history":    "insert-only",
	}
	for _, ta := range rep.Tables {
		if ta.Advice == "keep local (exclude)" {
			t.Errorf("%s: keep local (%s), but it holds order data every node needs", ta.Table, strings.Join(ta.Reasons, ", "))
		}
		if w, ok := want[ta.Table]; ok && ta.Advice != w {
			t.Errorf("%s: advice %q (%s), want %q", ta.Table, ta.Advice, strings.Join(ta.Reasons, ", "), w)
		}
	}
}

func TestOrderEntryOffline(t *testing.T) {
	rep := oeAssess(t, "--schema", "../../examples/orderentry/schema.sql", "--queries", "../../examples/orderentry/queries.sql")
	checkOrderEntry(t, rep)
}

// TestOrderEntryLive runs the workload on real servers and assesses them
// through pg_stat_statements, which keeps no transactions: the names link
// the allocator to the orders' key. A few seconds of New-Orders and
// Payments on ten districts and one warehouse make those rows hot by
// their rate over the statistics window.
func TestOrderEntryLive(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, v := range sandboxtest.TestVersions {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			ctx := context.Background()
			n := sandboxtest.ForTest(t, v, 1).Nodes[0]
			if err := n.Exec(ctx, "postgres", "CREATE DATABASE orderentry"); err != nil {
				t.Fatal(err)
			}
			for _, sql := range []string{readFile(t, "../../examples/orderentry/schema.sql"), readFile(t, "../../examples/orderentry/seed.sql"),
				"CREATE EXTENSION IF NOT EXISTS pg_stat_statements", "SELECT pg_stat_statements_reset()"} {
				if err := n.Exec(ctx, "orderentry", sql); err != nil {
					t.Fatal(err)
				}
			}
			conn, err := n.Connect(ctx, "orderentry")
			if err != nil {
				t.Fatal(err)
			}
			for i := range 300 {
				if err := oeRound(ctx, conn, 1+i%10, 1+i%300); err != nil {
					t.Fatal(err)
				}
			}
			// A backend that exits flushes its table counters, but Close
			// does not wait for it to exit: wait until the counters show
			// the 300 updates of district (a loaded machine assessed
			// before them, and hot-row had nothing to judge).
			if err := conn.Close(ctx); err != nil {
				t.Fatal(err)
			}
			check, err := n.Connect(ctx, "orderentry")
			if err != nil {
				t.Fatal(err)
			}
			defer check.Close(ctx)
			for deadline := time.Now().Add(30 * time.Second); ; {
				var upd int64
				if err := check.QueryRow(ctx, `SELECT coalesce(sum(n_tup_upd), 0)::bigint FROM pg_stat_user_tables WHERE relname = 'district'`).Scan(&upd); err != nil {
					t.Fatal(err)
				}
				if upd >= 300 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("district's counters show %d of 300 updates after 30 s", upd)
				}
				time.Sleep(100 * time.Millisecond)
			}
			rep := oeAssess(t, "--dsn", n.DSN("orderentry"))
			checkOrderEntry(t, rep)
			for _, hot := range []string{"public.district", "public.warehouse"} {
				if !slices.ContainsFunc(rep.Findings, func(f oeFinding) bool {
					return f.Name == "hot-row" && f.Table == hot
				}) {
					t.Errorf("%s took 300 updates in seconds but is not a hot-row finding; skipped: %+v", hot, rep.Skipped)
				}
			}
		})
	}
}

// oeRound runs a New-Order and a Payment as the application does, with
// parameters.
func oeRound(ctx context.Context, conn *pgx.Conn, d, c int) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var oid int
		var tax float64
		if err := tx.QueryRow(ctx, `UPDATE district SET d_next_o_id = d_next_o_id + 1 WHERE d_w_id = $1 AND d_id = $2
			RETURNING d_next_o_id - 1, d_tax::float8`, 1, d).Scan(&oid, &tax); err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO orders (o_id, o_d_id, o_w_id, o_c_id, o_entry_d, o_ol_cnt, o_all_local) VALUES ($1, $2, $3, $4, now(), 1, 1)`, []any{oid, d, 1, c}},
			{`INSERT INTO new_order (no_o_id, no_d_id, no_w_id) VALUES ($1, $2, $3)`, []any{oid, d, 1}},
			{`INSERT INTO order_line (ol_o_id, ol_d_id, ol_w_id, ol_number, ol_i_id, ol_supply_w_id, ol_quantity, ol_amount)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, []any{oid, d, 1, 1, 1 + oid%1000, 1, 1, 8}},
			{`UPDATE warehouse SET w_ytd = w_ytd + $1 WHERE w_id = $2`, []any{10, 1}},
			{`UPDATE district SET d_ytd = d_ytd + $1 WHERE d_w_id = $2 AND d_id = $3`, []any{10, 1, d}},
			{`INSERT INTO history (h_c_id, h_c_d_id, h_c_w_id, h_d_id, h_w_id, h_amount, h_data) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				[]any{c, d, 1, d, 1, 10, "payment"}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return fmt.Errorf("%s: %w", q.sql, err)
			}
		}
		return nil
	})
}

// Under geo-partitioning by an owner column that the district rows carry,
// the allocator is homed by the design: recommend, reading assess's JSON
// (whose tables list their columns), keeps it out of the blockers and
// says why; by a column the district does not carry, it stays one.
func TestOrderEntryAllocatorHomedByPartitioning(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"assess", "--format", "json", "--fail-on", "none", "-o", dir + "/assessment.json",
		"--schema", "../../examples/orderentry/schema.sql", "--queries", "../../examples/orderentry/queries.sql"}, nil, &out, &errb); code != exitOK {
		t.Fatalf("assess: exit %d: %s", code, errb.String())
	}
	for _, tc := range []struct {
		owner    string
		resolved bool
	}{{"d_w_id", true}, {"w_id", false}} {
		t.Run(tc.owner, func(t *testing.T) {
			answers := dir + "/answers-" + tc.owner + ".yaml"
			if err := os.WriteFile(answers, []byte(`slo_target: 99.95
failure_domain: [node, az]
rpo_region: 1m
write_regions: {us-east-1: 60, ap-southeast-2: 40}
write_latency_budget_ms: 120
write_tps_peak: 900
partition_key: yes
partition_key_name: `+tc.owner+`
cross_owner_txns: never
invariants: [none]
conflict_policy: repair
motivations: [far_users_latency]
platform: patroni
team: oncall_24x7
`), 0o644); err != nil {
				t.Fatal(err)
			}
			out.Reset()
			errb.Reset()
			if code := run(context.Background(), []string{"recommend", "--answers", answers, "--assessment", dir + "/assessment.json", "--format", "json"}, nil, &out, &errb); code != exitOK {
				t.Fatalf("recommend: exit %d: %s", code, errb.String())
			}
			var rec struct {
				Design   string `json:"design"`
				Blockers []struct {
					Gate, Object, Message string
				} `json:"blockers"`
				Tables []struct {
					Table string   `json:"table"`
					Why   []string `json:"why"`
				} `json:"tables"`
			}
			if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
				t.Fatal(err)
			}
			if rec.Design != "WP-GEO" {
				t.Fatalf("design = %s", rec.Design)
			}
			blocked := slices.ContainsFunc(rec.Blockers, func(b struct{ Gate, Object, Message string }) bool {
				return strings.Contains(b.Gate, "id-allocator") && b.Object == "public.district.d_next_o_id"
			})
			if blocked == tc.resolved {
				t.Errorf("owner %s: allocator blocker %v, want %v: %+v", tc.owner, blocked, !tc.resolved, rec.Blockers)
			}
			said := slices.ContainsFunc(rec.Tables, func(tb struct {
				Table string   `json:"table"`
				Why   []string `json:"why"`
			}) bool {
				return tb.Table == "public.district" && strings.Contains(strings.Join(tb.Why, " "), "id-allocator resolved by the design")
			})
			if said != tc.resolved {
				t.Errorf("owner %s: public.district's reasons say resolved: %v, want %v (%+v)", tc.owner, said, tc.resolved, rec.Tables)
			}
		})
	}
}
