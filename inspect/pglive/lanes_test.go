package pglive

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/benchgen"
)

// TestTwoConnections reads the same database with one connection and with
// two: the same model, and the second connection never locks a user
// relation (only catalogs and TOAST relations), so that a DDL queued
// between the two cannot make them wait for each other.
func TestTwoConnections(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		d.execFile(t, "testdata/fixture.sql")
		d.exec(t, benchgen.Schema(0, 60))
		d.workload(t)

		var mu sync.Mutex
		var locked []string
		secondDone = func(conn *pgx.Conn) {
			ctx := context.Background()
			super, err := d.node.Connect(ctx, d.name)
			if err != nil {
				t.Error(err)
				return
			}
			defer super.Close(ctx)
			rows, err := super.Query(ctx, `SELECT n.nspname || '.' || c.relname FROM pg_locks l
				JOIN pg_class c ON c.oid = l.relation JOIN pg_namespace n ON n.oid = c.relnamespace
				WHERE l.pid = $1 AND l.locktype = 'relation' ORDER BY 1`, conn.PgConn().PID())
			if err != nil {
				t.Error(err)
				return
			}
			names, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			locked = names
			mu.Unlock()
		}
		t.Cleanup(func() { secondDone = nil })

		one, st1 := mustRead(t, d.dsn, Options{OneConnection: true})
		// The second connection only takes queries that are left when it
		// is ready: on a loaded machine the first can read this small
		// database alone before the second has connected. Read again
		// until both took part.
		var two *inspect.Database
		var st2 Stats
		for try := 0; try < 10 && st2.Connections != 2; try++ {
			mu.Lock()
			locked = nil
			mu.Unlock()
			two, st2 = mustRead(t, d.dsn, Options{})
		}
		if st1.Connections != 1 || st2.Connections != 2 || st2.Queries <= st1.Queries {
			t.Errorf("one connection: %+v; two: %+v", st1, st2)
		}
		// The counters of pg_stat_user_tables may move between the reads.
		opts := cmp.Options{cmpopts.IgnoreFields(inspect.Table{}, "Stats"), cmpopts.IgnoreFields(inspect.WorkloadInfo{}, "CollectedAt")}
		if diff := cmp.Diff(one, two, opts); diff != "" {
			t.Errorf("two connections read another model (-one +two):\n%s", diff)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(locked) == 0 {
			t.Fatal("the second connection held no locks: did it run?")
		}
		for _, tb := range two.Tables {
			if slices.Contains(locked, tb.Schema+"."+tb.Name) {
				t.Errorf("the second connection locked %s, a relation of the read; its locks: %v", tb.QualifiedName(), locked)
			}
		}
	})
}

// TestSecondConnectionRefused: a role allowed one connection reads with
// one, as completely.
func TestSecondConnectionRefused(t *testing.T) {
	d := newTestDB(t, 15)
	d.execFile(t, "testdata/fixture.sql")
	role, dsn := d.role(t, "pw")
	d.exec(t, "ALTER ROLE "+inspect.QuoteIdent(role)+" CONNECTION LIMIT 1")
	super, _ := mustRead(t, d.dsn, Options{})
	db, st := mustRead(t, dsn, Options{})
	if st.Connections != 1 {
		t.Errorf("Connections = %d with CONNECTION LIMIT 1", st.Connections)
	}
	if diff := cmp.Diff(project(super), project(db)); diff != "" {
		t.Errorf("model differs from the superuser's read (-super +role):\n%s", diff)
	}
}

// TestSchedule runs fake parts on two lanes: every part finishes, the
// first lane's parts run there, a part waits for the part it takes the
// rows of, and a part the second lane fails on (a lock timeout) is run
// again by the first. The first lane's first part waits until the second
// has failed.
func TestSchedule(t *testing.T) {
	var queries atomic.Int64
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	first := &lane{first: true, log: log, queries: &queries}
	second := &lane{log: log, queries: &queries}
	var mu sync.Mutex
	var ran []string
	failed := make(chan struct{})
	mk := func(name string, where placement, run func(l *lane) error) *part {
		return &part{name: name, where: where, fetch: func(ctx context.Context, l *lane) error {
			who := "second"
			if l.first {
				who = "first"
			}
			mu.Lock()
			ran = append(ran, name+"@"+who)
			mu.Unlock()
			if run != nil {
				return run(l)
			}
			return nil
		}}
	}
	lockTimeout := &guardedError{&pgconn.PgError{Code: "55P03", Message: "lock timeout"}}
	a := mk("a", anyLane, nil)
	parts := []*part{
		mk("first1", firstLane, func(*lane) error { <-failed; return nil }),
		mk("first2", firstLane, nil),
		a,
		mk("b", anyLane, func(l *lane) error {
			if !l.first {
				close(failed)
				return lockTimeout
			}
			return nil
		}),
		mk("c", anyLane, nil),
	}
	parts[1].after = []*part{a}
	s := newSchedule(parts)
	s.relationsRead()
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, l := range []*lane{first, second} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.work(ctx, l)
		}()
	}
	for _, p := range parts {
		if err := s.wait(ctx, p); err != nil {
			t.Fatal(err)
		}
		if p.err != nil {
			t.Errorf("%s: %v", p.name, p.err)
		}
	}
	wg.Wait()
	want := []string{"first1@first", "a@second", "b@second", "first2@first", "b@first", "c@first"}
	got := slices.Clone(ran)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("ran %v, want (in some order) %v", ran, want)
	}
	if i, j := slices.Index(ran, "a@second"), slices.Index(ran, "first2@first"); i > j {
		t.Errorf("first2 ran before a, whose rows it takes: %v", ran)
	}
}

// TestScheduleFatal: a fatal error on the first lane ends the read.
func TestScheduleFatal(t *testing.T) {
	var queries atomic.Int64
	first := &lane{first: true, log: slog.New(slog.NewTextHandler(io.Discard, nil)), queries: &queries}
	boom := errors.New("connection lost")
	parts := []*part{
		{name: "a", where: firstLane, fetch: func(context.Context, *lane) error { return boom }},
		{name: "b", where: anyLane, fetch: func(context.Context, *lane) error { return nil }},
	}
	s := newSchedule(parts)
	s.relationsRead()
	go s.work(context.Background(), first)
	if err := s.wait(context.Background(), parts[1]); !errors.Is(err, boom) {
		t.Errorf("wait = %v, want %v", err, boom)
	}
}
