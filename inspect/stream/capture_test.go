package stream

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/google/go-cmp/cmp"
)

func TestMain(m *testing.M) {
	if os.Getenv("AADV_CAPTURE_HELPER") != "" {
		os.Exit(captureHelper())
	}
	os.Exit(sandboxtest.Main(m))
}

// captureHelper is the process the kill -9 test starts: it captures until
// it is killed.
func captureHelper() int {
	_, err := Capture(context.Background(), Options{DSN: os.Getenv("AADV_CAPTURE_HELPER")}, io.Discard)
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	return 0
}

// capturing runs Capture in the background and returns a function that
// stops it and returns the trace.
type capturing struct {
	cancel context.CancelFunc
	done   chan struct{}
	buf    bytes.Buffer
	res    *Result
	err    error
	mu     sync.Mutex
	stats  Stats
}

func startCapture(t *testing.T, o Options) *capturing {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c := &capturing{cancel: cancel, done: make(chan struct{})}
	o.ProgressEvery = 50 * time.Millisecond
	o.Progress = func(s Stats) { c.mu.Lock(); c.stats = s; c.mu.Unlock() }
	go func() {
		defer close(c.done)
		c.res, c.err = Capture(ctx, o, &c.buf)
	}()
	t.Cleanup(func() { cancel(); <-c.done })
	return c
}

// waitSlot waits until the capture's slot is streaming.
func waitSlot(t *testing.T, node *sandbox.Node, db string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if n := count(t, node, db, "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'aadv\\_observe\\_%' AND active"); n > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("capture slot never became active")
}

func count(t *testing.T, node *sandbox.Node, db, sql string) int {
	t.Helper()
	conn, err := node.Connect(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// stop waits until the capture has seen at least txns transactions and
// stops it.
func (c *capturing) stop(t *testing.T, txns int64) *Result {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c.mu.Lock()
		n := c.stats.Txns
		c.mu.Unlock()
		if n >= txns {
			break
		}
		if time.Now().After(deadline) {
			// Said here, not left to show as a short diff later.
			t.Errorf("capture saw %d of %d transactions in 30 s", n, txns)
			break
		}
		select {
		case <-c.done:
			t.Fatalf("capture ended early: %v", c.err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	c.cancel()
	<-c.done
	if c.err != nil {
		t.Fatalf("capture: %v", c.err)
	}
	return c.res
}

func readAll(t *testing.T, b []byte) ([]Txn, *Reader) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var out []Txn
	for {
		txn, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cp := *txn
		cp.Changes = append([]Change(nil), txn.Changes...)
		out = append(out, cp)
	}
	return out, r
}

func text(v Value) string {
	switch v.Kind {
	case KindNull:
		return "NULL"
	case KindUnchanged:
		return "<toast>"
	}
	return string(v.Data)
}

func TestCaptureChanges(t *testing.T) {
	for _, major := range sandboxtest.TestVersions {
		t.Run(string(rune('0'+major/10))+string(rune('0'+major%10)), func(t *testing.T) {
			node, dsn := sandboxtest.TestDatabase(t, major)
			db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
			ctx := context.Background()
			for _, s := range []string{
				"CREATE TABLE acct (id bigserial PRIMARY KEY, owner text NOT NULL, balance numeric NOT NULL DEFAULT 0, note text)",
				"CREATE TABLE full_t (k int PRIMARY KEY, v int)",
				"ALTER TABLE full_t REPLICA IDENTITY FULL",
				"INSERT INTO full_t VALUES (1, 10)",
			} {
				if err := node.Exec(ctx, db, s); err != nil {
					t.Fatal(err)
				}
			}
			c := startCapture(t, Options{DSN: dsn})
			waitSlot(t, node, db)
			long := strings.Repeat("x", 500)
			for _, s := range []string{
				"INSERT INTO acct (owner, balance, note) VALUES ('ann', 10, '" + long + "')",
				"BEGIN; UPDATE acct SET balance = balance + 5 WHERE id = 1; UPDATE acct SET owner = 'bob' WHERE id = 1; COMMIT",
				"UPDATE full_t SET v = 11 WHERE k = 1",
				"DELETE FROM acct WHERE id = 1",
			} {
				if err := node.Exec(ctx, db, s); err != nil {
					t.Fatal(err)
				}
			}
			res := c.stop(t, 4)
			if res.Reason != "interrupted" || !res.Created {
				t.Errorf("result = %+v", res)
			}
			txns, r := readAll(t, c.buf.Bytes())
			if r.Truncated() {
				t.Error("trace has no footer")
			}
			type row struct {
				Table, Op, OldKind string
				Old, New           []string
			}
			var got [][]row
			for _, txn := range txns {
				if txn.CommitTime.IsZero() || txn.CommitLSN == 0 || txn.Origin != "" {
					t.Errorf("txn %+v", txn)
				}
				var rs []row
				for _, ch := range txn.Changes {
					x := row{Table: ch.Table.QualifiedName(), Op: ch.Op.String(), OldKind: string(rune(ch.OldKind))}
					if ch.OldKind == 0 {
						x.OldKind = ""
					}
					for _, v := range ch.Old {
						x.Old = append(x.Old, text(v))
					}
					for _, v := range ch.New {
						x.New = append(x.New, text(v))
					}
					rs = append(rs, x)
				}
				got = append(got, rs)
			}
			h := fnv.New64a()
			h.Write([]byte(long))
			hashed := long[:MaxValueBytes-16] + fmt.Sprintf("%016x", h.Sum64())
			want := [][]row{
				{{Table: "public.acct", Op: "insert", New: []string{"1", "ann", "10", hashed}}},
				{{Table: "public.acct", Op: "update", New: []string{"1", "ann", "15", "<toast>"}},
					{Table: "public.acct", Op: "update", New: []string{"1", "bob", "15", "<toast>"}}},
				{{Table: "public.full_t", Op: "update", OldKind: "O", Old: []string{"1", "10"}, New: []string{"1", "11"}}},
				{{Table: "public.acct", Op: "delete", OldKind: "K", Old: []string{"1", "NULL", "NULL", "NULL"}}},
			}
			// A 500-byte value is stored inline (not TOASTed), so updates
			// carry it again.
			want[1][0].New[3], want[1][1].New[3] = hashed, hashed
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("trace (-want +got):\n%s", d)
			}
			tab := r.Tables()[0]
			if !tab.Columns[0].Key || !tab.Columns[0].Sequence || tab.Columns[1].Key || !tab.Columns[2].Numeric() {
				t.Errorf("table meta %+v", tab)
			}
			if n := count(t, node, db, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'aadv\\_observe\\_%'"); n != 0 {
				t.Errorf("%d publications left", n)
			}
			if n := count(t, node, db, "SELECT count(*) FROM pg_replication_slots"); n != 0 {
				t.Errorf("%d slots left", n)
			}
		})
	}
}

func TestCaptureKill9LeavesNoSlot(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "AADV_CAPTURE_HELPER="+dsn)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitSlot(t, node, db)
	if err := node.Exec(context.Background(), db, "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	deadline := time.Now().Add(30 * time.Second)
	for count(t, node, db, "SELECT count(*) FROM pg_replication_slots") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("slot still there 30 s after kill -9")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The session of the killed run goes too.
	for count(t, node, db, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'aadvisor'") != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the killed run's session still there 30 s after kill -9")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The publication survives the crash; the clean-up removes it.
	if n := count(t, node, db, "SELECT count(*) FROM pg_publication WHERE pubname LIKE 'aadv\\_observe\\_%'"); n != 1 {
		t.Fatalf("%d leftover publications, want 1 (stderr: %s)", n, stderr.String())
	}
	conn, err := Connect(context.Background(), dsn, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	dropped, kept, err := Cleanup(context.Background(), conn, time.Hour)
	if err != nil || len(dropped) != 0 || len(kept) != 1 {
		t.Fatalf("cleanup within grace: dropped %v kept %v err %v", dropped, kept, err)
	}
	dropped, kept, err = Cleanup(context.Background(), conn, 0)
	if err != nil || len(dropped) != 1 || len(kept) != 0 {
		t.Fatalf("cleanup: dropped %v kept %v err %v", dropped, kept, err)
	}
	if n := count(t, node, db, "SELECT count(*) FROM pg_publication"); n != 0 {
		t.Errorf("%d publications left after cleanup", n)
	}
}

func TestCaptureRefuses(t *testing.T) {
	t.Run("no replication privilege", func(t *testing.T) {
		node, dsn := sandboxtest.TestDatabase(t, 15)
		db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
		role := "plain_" + strings.ToLower(strings.ReplaceAll(db, "-", "_"))
		if len(role) > 60 {
			role = role[:60]
		}
		ctx := context.Background()
		if err := node.Exec(ctx, db, "CREATE ROLE "+role+" LOGIN PASSWORD 'pw'"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { node.Exec(context.Background(), "", "DROP ROLE IF EXISTS "+role) })
		if err := node.Exec(ctx, db, "GRANT ALL ON DATABASE "+db+" TO "+role); err != nil {
			t.Fatal(err)
		}
		pdsn := strings.Replace(dsn, "postgres@", role+":pw@", 1)
		_, err := Capture(ctx, Options{DSN: pdsn, Duration: time.Second}, io.Discard)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "REPLICATION") || strings.Contains(err.Error(), "pw") {
			t.Fatalf("err = %v", err)
		}
		if n := count(t, node, db, "SELECT count(*) FROM pg_publication"); n != 0 {
			t.Errorf("%d publications after a refusal", n)
		}
	})
	t.Run("wal_level replica", func(t *testing.T) {
		sb := sandboxtest.ForTest(t, 15, 1)
		node := sb.Nodes[0]
		ctx := context.Background()
		if err := node.Exec(ctx, "", "ALTER SYSTEM SET wal_level = 'replica'"); err != nil {
			t.Fatal(err)
		}
		if err := node.Stop(ctx, "fast"); err != nil {
			t.Fatal(err)
		}
		if err := node.Start(ctx); err != nil {
			t.Fatal(err)
		}
		_, err := Capture(ctx, Options{DSN: node.DSN(""), Duration: time.Second}, io.Discard)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "wal_level = logical") {
			t.Fatalf("err = %v", err)
		}
	})
}

// Ctrl-C mid-capture drops the publication and leaves no slot; the trace
// has a footer that says so.
func TestCaptureDurationAndCap(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	if err := node.Exec(ctx, db, "CREATE TABLE t (id int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	c := startCapture(t, Options{DSN: dsn, MaxChanges: 5})
	waitSlot(t, node, db)
	for i := 0; i < 4; i++ {
		if err := node.Exec(ctx, db, "INSERT INTO t SELECT g, 0 FROM generate_series($1::int * 3, $1::int * 3 + 2) g", i); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		t.Fatal("capture did not stop at the change cap")
	}
	if c.err != nil || c.res.Reason != "change cap" || c.res.Changes != 6 || len(c.res.Notes) != 1 {
		t.Fatalf("res %+v err %v", c.res, c.err)
	}
	txns, r := readAll(t, c.buf.Bytes())
	if len(txns) != 2 || r.Footer() == nil || r.Footer().Reason != "change cap" || r.Footer().Changes != 6 {
		t.Errorf("%d txns, footer %+v", len(txns), r.Footer())
	}
	// A duration ends the capture by itself.
	start := time.Now()
	res, err := Capture(ctx, Options{DSN: dsn, Duration: 500 * time.Millisecond}, io.Discard)
	if err != nil || res.Reason != "duration" || time.Since(start) > 10*time.Second {
		t.Fatalf("res %+v err %v after %s", res, err, time.Since(start))
	}
	if n := count(t, node, db, "SELECT count(*) FROM pg_publication"); n != 0 {
		t.Errorf("%d publications left", n)
	}
}

// A role with REPLICATION but not SUPERUSER gets a publication over the
// tables it owns.
func TestCaptureNonSuperuser(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	role := fmt.Sprintf("repl_%d", os.Getpid())
	ctx := context.Background()
	for _, s := range []string{
		"CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD 'pw'",
		"GRANT CREATE ON DATABASE " + db + " TO " + role,
		"GRANT CREATE ON SCHEMA public TO " + role,
		"CREATE TABLE not_mine (id int PRIMARY KEY)",
	} {
		if err := node.Exec(ctx, db, s); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		node.Exec(context.Background(), db, "DROP OWNED BY "+role)
		node.Exec(context.Background(), "", "DROP ROLE IF EXISTS "+role)
	})
	rdsn := strings.Replace(dsn, "postgres@", role+":pw@", 1)
	conn, err := Connect(ctx, rdsn, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE mine (id int PRIMARY KEY, v int)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	c := startCapture(t, Options{DSN: rdsn})
	waitSlot(t, node, db)
	if n := count(t, node, db, "SELECT count(*) FROM pg_publication_tables WHERE pubname LIKE 'aadv\\_observe\\_%' AND tablename = 'mine'"); n != 1 {
		t.Errorf("publication lacks the role's table")
	}
	if n := count(t, node, db, "SELECT count(*) FROM pg_publication_tables WHERE pubname LIKE 'aadv\\_observe\\_%' AND tablename = 'not_mine'"); n != 0 {
		t.Errorf("publication has a table the role does not own")
	}
	if err := node.Exec(ctx, db, "INSERT INTO mine VALUES (1, 1); INSERT INTO not_mine VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.stop(t, 1)
	txns, _ := readAll(t, c.buf.Bytes())
	if len(txns) != 1 || len(txns[0].Changes) != 1 || txns[0].Changes[0].Table.Name != "mine" {
		t.Errorf("txns %+v", txns)
	}
	if n := count(t, node, db, "SELECT count(*) FROM pg_publication"); n != 0 {
		t.Errorf("%d publications left", n)
	}
}

// A publication dropped under a running capture (by an older 'mesh
// teardown', a DBA) ends the capture as incomplete, with the reason in
// the result and in the trace, whose reader then reports it as cut
// short. PostgreSQL 15 ends the stream with an error; 18 skips the
// missing publication silently and would have let the capture run on.
func TestCapturePublicationDropped(t *testing.T) {
	for _, major := range sandboxtest.TestVersions {
		t.Run(fmt.Sprint(major), func(t *testing.T) {
			node, dsn := sandboxtest.TestDatabase(t, major)
			db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
			ctx := context.Background()
			if err := node.Exec(ctx, db, "CREATE TABLE t (id int PRIMARY KEY, v int)"); err != nil {
				t.Fatal(err)
			}
			c := startCapture(t, Options{DSN: dsn, Duration: 5 * time.Minute, CheckEvery: 200 * time.Millisecond})
			waitSlot(t, node, db)
			if err := node.Exec(ctx, db, "INSERT INTO t VALUES (1, 0)"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				c.mu.Lock()
				n := c.stats.Txns
				c.mu.Unlock()
				if n >= 1 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the first transaction never arrived")
				}
				time.Sleep(20 * time.Millisecond)
			}
			var pub string
			conn, err := node.Connect(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if err := conn.QueryRow(ctx, "SELECT pubname FROM pg_publication WHERE pubname LIKE 'aadv\\_observe\\_%'").Scan(&pub); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "DROP PUBLICATION "+pub); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "INSERT INTO t VALUES (2, 0)"); err != nil {
				t.Fatal(err)
			}
			select {
			case <-c.done:
			case <-time.After(60 * time.Second):
				t.Fatal("the capture ran on without its publication")
			}
			if c.err != nil {
				t.Fatalf("capture: %v", c.err)
			}
			if c.res.Reason != "incomplete" || !strings.Contains(c.res.Incomplete, "publication "+pub+" was dropped") {
				t.Errorf("reason %q, incomplete %q; want the dropped publication named", c.res.Reason, c.res.Incomplete)
			}
			txns, r := readAll(t, c.buf.Bytes())
			if len(txns) != 1 || r.Footer() == nil || r.Footer().Incomplete != c.res.Incomplete || !r.Truncated() {
				t.Errorf("%d txns, footer %+v, truncated %v", len(txns), r.Footer(), r.Truncated())
			}
			if f := r.Footer(); f == nil || len(f.Notes) == 0 || !strings.HasPrefix(f.Notes[len(f.Notes)-1], "partial capture: ") {
				t.Errorf("footer notes do not say the capture is partial: %+v", f)
			}
		})
	}
}

// The capture reads on after its duration until the stream reaches the
// WAL written before the window closed: transactions committed in the
// window but not yet read (the reader is slow here) are still in the
// trace.
func TestCaptureCoversWindow(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	if err := node.Exec(ctx, db, "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	const txns = 150
	var buf bytes.Buffer
	done := make(chan struct{})
	var res *Result
	var err error
	go func() {
		defer close(done)
		// A slow reader: every message read waits 10 ms, so reading the
		// window's transactions takes several seconds after it closes.
		res, err = Capture(ctx, Options{DSN: dsn, Duration: 2 * time.Second, ProgressEvery: time.Millisecond,
			Progress: func(Stats) { time.Sleep(10 * time.Millisecond) }}, &buf)
	}()
	waitSlot(t, node, db)
	if err := node.Exec(ctx, db, fmt.Sprintf("DO $$ BEGIN FOR i IN 1..%d LOOP INSERT INTO t VALUES (i); COMMIT; END LOOP; END $$", txns)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		t.Fatal("capture did not end")
	}
	if err != nil {
		t.Fatal(err)
	}
	got, r := readAll(t, buf.Bytes())
	if len(got) != txns || res.Txns != txns || res.Incomplete != "" || r.Truncated() {
		t.Errorf("trace has %d of the %d transactions committed in the window (result %d, incomplete %q, truncated %v)",
			len(got), txns, res.Txns, res.Incomplete, r.Truncated())
	}
}

// Clean-up drops only what a crashed run left: never a publication
// without the comment that says when and by which session it was made,
// nor one whose session is still connected, nor one younger than the
// grace period.
func TestCleanupSparesLiveRuns(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	conn, err := Connect(ctx, dsn, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	old := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	fresh := time.Now().UTC().Format(time.RFC3339)
	for name, comment := range map[string]string{
		"aadv_observe_1_nocomment": "",
		"aadv_observe_2_live":      fmt.Sprintf("%s%s, session pid %d (drop it if no aadvisor observe runs)", commentPrefix, fresh, conn.PgConn().PID()),
		"aadv_observe_3_young":     fmt.Sprintf("%s%s, session pid 99999999 (drop it if no aadvisor observe runs)", commentPrefix, fresh),
		"aadv_observe_4_gone":      fmt.Sprintf("%s%s, session pid 99999999 (drop it if no aadvisor observe runs)", commentPrefix, old),
		"aadv_observe_5_legacy":    commentPrefix + old + " (drop it if no aadvisor observe runs)",
	} {
		sql := "CREATE PUBLICATION " + name
		if comment != "" {
			sql += "; COMMENT ON PUBLICATION " + name + " IS " + inspect.QuoteLiteral(comment)
		}
		if err := node.Exec(ctx, db, sql); err != nil {
			t.Fatal(err)
		}
	}
	dropped, kept, err := Cleanup(ctx, conn, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"aadv_observe_4_gone", "aadv_observe_5_legacy"}, dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s\nkept: %v", diff, kept)
	}
	if len(kept) != 3 {
		t.Errorf("kept %v, want the publications without a comment and the two young ones", kept)
	}
	// Past the grace period, a publication whose session is connected
	// stays; one whose session is gone goes.
	dropped, kept, err = Cleanup(ctx, conn, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"aadv_observe_3_young"}, dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s\nkept: %v", diff, kept)
	}
	if len(kept) != 2 || !strings.Contains(kept[1], "aadv_observe_2_live (its run's session") {
		t.Errorf("kept %v, want the publication without a comment and the live session's", kept)
	}
}

// Observe's own statements carry aadvisor's marker, so that pg_stat_statements
// shows them as aadvisor's and assess leaves them out of the workload (its
// CREATE PUBLICATION once showed up as the application running DDL).
func TestCaptureStatementsMarked(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	for _, s := range []string{
		"CREATE EXTENSION IF NOT EXISTS pg_stat_statements",
		"CREATE TABLE t (id int PRIMARY KEY)",
		"SELECT pg_stat_statements_reset()",
	} {
		if err := node.Exec(ctx, db, s); err != nil {
			t.Fatal(err)
		}
	}
	c := startCapture(t, Options{DSN: dsn})
	waitSlot(t, node, db)
	if err := node.Exec(ctx, db, "INSERT INTO t VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	c.stop(t, 1)
	ours := `FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid AND d.datname = current_database()
		WHERE s.query ~* '(publication|pg_current_wal_flush_lsn|wal_level)'`
	if n := count(t, node, db, "SELECT count(*) "+ours+" AND strpos(s.query, '"+inspect.OwnStatementMarker+"') = 0"); n != 0 {
		t.Errorf("%d of observe's statements without the marker in pg_stat_statements", n)
	}
	if n := count(t, node, db, "SELECT count(*) "+ours+" AND strpos(s.query, '"+inspect.OwnStatementMarker+"observe */') > 0"); n == 0 {
		t.Error("no statement of observe's in pg_stat_statements: the check above proves nothing")
	}
}

// A partition's changes reach the trace as its partitioned table's, the
// table the schema and the audit name (the forecast listed each partition).
func TestCapturePartitionsAsRoot(t *testing.T) {
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	ctx := context.Background()
	for _, s := range []string{
		"CREATE TABLE lines (depot int NOT NULL, n int NOT NULL, qty int, PRIMARY KEY (depot, n)) PARTITION BY LIST (depot)",
		"CREATE TABLE lines_1 PARTITION OF lines FOR VALUES IN (1)",
		"CREATE TABLE lines_2 PARTITION OF lines FOR VALUES IN (2)",
	} {
		if err := node.Exec(ctx, db, s); err != nil {
			t.Fatal(err)
		}
	}
	c := startCapture(t, Options{DSN: dsn})
	waitSlot(t, node, db)
	for _, s := range []string{
		"INSERT INTO lines VALUES (1, 1, 5), (2, 1, 7)",
		"UPDATE lines SET qty = qty + 1 WHERE depot = 2",
	} {
		if err := node.Exec(ctx, db, s); err != nil {
			t.Fatal(err)
		}
	}
	c.stop(t, 2)
	txns, _ := readAll(t, c.buf.Bytes())
	var tables []string
	for _, txn := range txns {
		for _, ch := range txn.Changes {
			var key []string
			for _, col := range ch.Table.Columns {
				if col.Key {
					key = append(key, col.Name)
				}
			}
			tables = append(tables, ch.Table.QualifiedName()+" "+strings.Join(key, ","))
		}
	}
	if diff := cmp.Diff([]string{"public.lines depot,n", "public.lines depot,n", "public.lines depot,n"}, tables); diff != "" {
		t.Errorf("tables of the changes (-want +got):\n%s", diff)
	}
}
