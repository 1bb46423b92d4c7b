package rules_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// TestRowSecurityApply checks on real servers the version facts
// row-security (AR505) states: a table with FORCE ROW LEVEL SECURITY
// owned by a role the policies bind replicates on PostgreSQL 15, where
// apply writes as the subscription's (superuser) owner, and stops apply
// from PostgreSQL 16 on, where apply writes as the table's owner; with
// run_as_owner = true apply writes as the superuser again.
func TestRowSecurityApply(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, v := range sandboxtest.TestVersions {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			s := sandboxtest.ForTest(t, v, 2)
			pub, sub := s.Nodes[0], s.Nodes[1]
			const table = `CREATE TABLE public.ledger (id bigint PRIMARY KEY, tenant text NOT NULL)`
			for _, step := range []struct {
				n   *sandbox.Node
				sql string
			}{
				{pub, table},
				{pub, "CREATE PUBLICATION rls_pub FOR TABLE public.ledger"},
				{sub, "CREATE ROLE app"},
				{sub, table},
				{sub, "ALTER TABLE public.ledger OWNER TO app"},
				{sub, "ALTER TABLE public.ledger ENABLE ROW LEVEL SECURITY"},
				{sub, "ALTER TABLE public.ledger FORCE ROW LEVEL SECURITY"},
				{sub, "CREATE POLICY tenant ON public.ledger USING (tenant = current_user)"},
				{sub, fmt.Sprintf("CREATE SUBSCRIPTION rls_sub CONNECTION '%s' PUBLICATION rls_pub WITH (copy_data = false)", pub.KeywordDSN("postgres"))},
			} {
				if err := step.n.Exec(ctx, "postgres", step.sql); err != nil {
					t.Fatalf("%s: %v", step.sql, err)
				}
			}
			waitSlot(ctx, t, pub)
			if err := pub.Exec(ctx, "postgres", "INSERT INTO public.ledger VALUES (1, 'x')"); err != nil {
				t.Fatal(err)
			}
			rows, errs := applyOutcome(ctx, t, sub, func(rows, errs int) bool { return rows > 0 || errs > 0 })
			if v < 16 {
				if rows != 1 {
					t.Errorf("PostgreSQL %d: %d rows applied (%d apply errors), want the row: apply writes as the superuser owning the subscription", v, rows, errs)
				}
				return
			}
			if rows != 0 || errs == 0 {
				t.Fatalf("PostgreSQL %d: %d rows applied, %d apply errors; want apply to stop: it writes as the table's owner, whom FORCE binds", v, rows, errs)
			}
			if err := sub.Exec(ctx, "postgres", "ALTER SUBSCRIPTION rls_sub SET (run_as_owner = true)"); err != nil {
				t.Fatal(err)
			}
			if rows, _ := applyOutcome(ctx, t, sub, func(rows, _ int) bool { return rows > 0 }); rows != 1 {
				t.Errorf("PostgreSQL %d with run_as_owner = true: %d rows applied, want the row", v, rows)
			}
		})
	}
}

// waitSlot waits until the subscription's slot is active on the
// publisher, so that the next change is streamed to it.
func waitSlot(ctx context.Context, t *testing.T, pub *sandbox.Node) {
	t.Helper()
	conn, err := pub.Connect(ctx, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for ctx.Err() == nil {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE slot_name = 'rls_sub' AND active").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("the subscription's slot never became active")
}

// applyOutcome waits until done holds (or the test's time is up) and
// returns the rows on the subscriber and the subscription's apply errors.
func applyOutcome(ctx context.Context, t *testing.T, sub *sandbox.Node, done func(rows, errs int) bool) (rows, errs int) {
	t.Helper()
	conn, err := sub.Connect(ctx, "postgres")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for ctx.Err() == nil {
		// The superuser reads every row: FORCE binds the owner, not it.
		err := conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM public.ledger),
			(SELECT coalesce(sum(apply_error_count), 0) FROM pg_catalog.pg_stat_subscription_stats WHERE subname = 'rls_sub')`).Scan(&rows, &errs)
		if err != nil && !strings.Contains(err.Error(), "does not exist") {
			t.Fatal(err)
		}
		if done(rows, errs) {
			return rows, errs
		}
		time.Sleep(100 * time.Millisecond)
	}
	return rows, errs
}
