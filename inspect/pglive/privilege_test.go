package pglive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aadvisor/aadvisor/inspect"
)

// workload runs a few statements as the superuser so that
// pg_stat_statements has entries of another role.
func (d *testDB) workload(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	conn, err := d.node.Connect(ctx, d.name)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for i := range 3 {
		if _, err := conn.Exec(ctx, "UPDATE shop.ledger SET amount = amount + $2 WHERE id = $1", i, 1); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, "SELECT id FROM shop.orders WHERE id = $1 FOR UPDATE", 100); err != nil {
		t.Fatal(err)
	}
}

func skipsByEvidence(db *inspect.Database) map[string]inspect.Skipped {
	m := map[string]inspect.Skipped{}
	for _, s := range db.Skipped {
		m[s.Evidence] = s
	}
	return m
}

// TestUnprivileged reads as a role with no grants at all: the model is as
// complete as the superuser's, and what the role may not see is a skip
// that names the grant.
func TestUnprivileged(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, "testdata/fixture.sql")
		d.workload(t)
		role, dsn := d.role(t, "pw with 'quote")

		super, _ := mustRead(t, d.dsn, Options{})
		db, _ := mustRead(t, dsn, Options{})
		opts := cmp.Options{cmpopts.IgnoreFields(inspect.Table{}, "Stats")}
		if diff := cmp.Diff(super.Tables, db.Tables, opts); diff != "" {
			t.Errorf("tables differ from the superuser's read (-super +role):\n%s", diff)
		}
		if diff := cmp.Diff(project(super), project(db)); diff != "" {
			t.Errorf("model differs from the superuser's read (-super +role):\n%s", diff)
		}
		skips := skipsByEvidence(db)
		want := map[string]string{
			inspect.EvidenceStatements: "GRANT pg_read_all_stats TO " + inspect.QuoteIdent(role),
			EvidenceHiddenSettings:     "GRANT pg_read_all_settings TO " + inspect.QuoteIdent(role),
		}
		if len(skips) != len(want) {
			t.Errorf("skipped = %+v, want %d entries", db.Skipped, len(want))
		}
		for ev, fix := range want {
			if s, ok := skips[ev]; !ok || s.Fix != fix || s.Reason == "" {
				t.Errorf("skip %s = %+v, want fix %q", ev, s, fix)
			}
		}
		if len(db.Statements) != 0 || db.Workload.StatementsSource != "" {
			t.Errorf("statements of other roles read without their text: %d, source %q", len(db.Statements), db.Workload.StatementsSource)
		}
		if _, ok := db.Setting("shared_preload_libraries"); ok {
			t.Errorf("shared_preload_libraries visible without pg_read_all_settings: the superuser_settings skip is wrong")
		}
		if !db.Workload.TableStats || db.LargeObjects != 1 || len(db.Publications) != 1 {
			t.Errorf("table stats %v, large objects %d, publications %v: all readable by any role", db.Workload.TableStats, db.LargeObjects, db.Publications)
		}

		// The grant the skip names is the fix.
		d.exec(t, "GRANT pg_read_all_stats, pg_read_all_settings TO "+pgx.Identifier{role}.Sanitize())
		db, _ = mustRead(t, dsn, Options{})
		if len(db.Skipped) != 0 {
			t.Errorf("after the grants: skipped %+v", db.Skipped)
		}
		if !hasStatement(db, "UPDATE shop.ledger SET amount = amount + $2 WHERE id = $1", 3) {
			t.Errorf("after GRANT pg_read_all_stats the superuser's UPDATE is not among %d statements", len(db.Statements))
		}
	})
}

func hasStatement(db *inspect.Database, query string, calls int64) bool {
	for _, s := range db.Statements {
		if s.Query == query && s.Calls == calls {
			return true
		}
	}
	return false
}

// TestLockedDown revokes what an administrator might: each optional read
// becomes a skip naming the object to grant, and the read still succeeds.
func TestLockedDown(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, "testdata/fixture.sql")
		d.workload(t)
		role, dsn := d.role(t, "x")
		d.exec(t, `REVOKE SELECT ON pg_catalog.pg_stat_user_tables, pg_catalog.pg_largeobject_metadata, pg_catalog.pg_subscription,
			pg_catalog.pg_replication_slots, pg_catalog.pg_settings, pg_catalog.pg_publication, public.pg_stat_statements FROM PUBLIC;
			REVOKE EXECUTE ON FUNCTION pg_catalog.pg_relation_size(regclass) FROM PUBLIC`)
		db, _ := mustRead(t, dsn, Options{})
		q := inspect.QuoteIdent(role)
		want := map[string]string{
			inspect.EvidenceTableStats:   "GRANT SELECT ON pg_catalog.pg_stat_user_tables TO " + q,
			inspect.EvidenceLargeObjects: "GRANT SELECT ON pg_catalog.pg_largeobject_metadata TO " + q,
			inspect.EvidenceSubscription: "GRANT SELECT ON pg_catalog.pg_subscription TO " + q,
			inspect.EvidenceSlots:        "GRANT SELECT ON pg_catalog.pg_replication_slots TO " + q,
			inspect.EvidenceSettings:     "GRANT SELECT ON pg_catalog.pg_settings TO " + q,
			EvidencePublications:         "GRANT SELECT ON pg_catalog.pg_publication TO " + q,
			inspect.EvidenceStatements:   "GRANT SELECT ON public.pg_stat_statements TO " + q,
			inspect.EvidenceToast:        "GRANT EXECUTE ON FUNCTION pg_catalog.pg_relation_size(regclass) TO " + q,
		}
		got := map[string]string{}
		for _, s := range db.Skipped {
			got[s.Evidence] = s.Fix
			if !strings.Contains(s.Reason, "permission denied") {
				t.Errorf("skip %s: reason %q does not say why", s.Evidence, s.Reason)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("skipped fixes (-want +got):\n%s", diff)
		}
		if len(db.Tables) != len(fixtureTables(major)) || db.LargeObjects != -1 || db.Settings != nil {
			t.Errorf("tables %d, large objects %d, settings %d", len(db.Tables), db.LargeObjects, len(db.Settings))
		}
		for _, tb := range db.Tables {
			if tb.Stats != nil || tb.ToastBytes != -1 {
				t.Errorf("%s: stats %v, TOAST bytes %d, want unknown", tb.Name, tb.Stats, tb.ToastBytes)
			}
		}
	})
}

func TestWrongPassword(t *testing.T) {
	d := newTestDB(t, 15)
	role, _ := d.role(t, "Right-Secret-7731")
	const wrong = "Wr0ng-Secret-4412"
	for name, dsn := range map[string]string{
		"url":     d.dsnAs(role, wrong),
		"keyword": fmt.Sprintf("host=%s port=%d dbname=%s user=%s password=%s sslmode=disable", "127.0.0.1", d.node.Port, d.name, role, wrong),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Read(context.Background(), dsn, Options{})
			if err == nil {
				t.Fatal("Read with a wrong password succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, wrong) || strings.Contains(msg, "Right-Secret") || strings.Contains(msg, "\n") {
				t.Errorf("error leaks a password or spans lines: %q", msg)
			}
			var pe *pgconn.PgError
			if !errors.As(err, &pe) || pe.Code != "28P01" {
				t.Errorf("error %q: want SQLSTATE 28P01 (invalid_password) reachable with errors.As", msg)
			}
		})
	}
}

func TestBadDSN(t *testing.T) {
	const secret = "Sup3r-Secret-99"
	for _, dsn := range []string{
		"postgres://u:" + secret + "@127.0.0.1:notaport/db",
		"postgres://u:" + secret + "@127.0.0.1:5432/db?sslmode=bogus",
		"host=127.0.0.1 port=abc password=" + secret,
		"host=127.0.0.1 password='" + secret + "' sslmode=bogus",
		"postgres://u:Sup3r@Secret@127.0.0.1:notaport/db",
	} {
		_, err := Read(context.Background(), dsn, Options{})
		if err == nil {
			t.Errorf("Read(%s...) succeeded", dsn[:12])
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "Secret") || !strings.HasPrefix(msg, "parse dsn: ") {
			t.Errorf("error %q: want a parse error without the password", msg)
		}
	}
}

func TestUnreachable(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		start := time.Now()
		_, err = Read(context.Background(), fmt.Sprintf("postgres://u:pw@127.0.0.1:%d/db?sslmode=disable", port), Options{})
		if err == nil || time.Since(start) > DefaultConnectTimeout {
			t.Fatalf("err %v after %s", err, time.Since(start))
		}
		if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, "refused") {
			t.Errorf("error %q: want one line saying the connection was refused", msg)
		}
	})
	// A server that accepts the connection and never answers: the read
	// gives up at the connect timeout, from the options or the DSN.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	addr := l.Addr().String()
	for _, tt := range []struct {
		name, dsn string
		o         Options
		timeout   time.Duration
	}{
		{"options", "postgres://u:pw@" + addr + "/db?sslmode=disable", Options{ConnectTimeout: 700 * time.Millisecond}, 700 * time.Millisecond},
		{"dsn", "postgres://u:pw@" + addr + "/db?sslmode=disable&connect_timeout=1", Options{}, time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := Read(context.Background(), tt.dsn, tt.o)
			took := time.Since(start)
			if err == nil {
				t.Fatal("Read succeeded against a silent server")
			}
			if took < tt.timeout || took > tt.timeout+time.Second {
				t.Errorf("gave up after %s, want about %s", took, tt.timeout)
			}
			want := fmt.Sprintf("connect to %s/db: timed out after %s", addr, tt.timeout)
			if err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %q does not wrap context.DeadlineExceeded", err)
			}
		})
	}
}
