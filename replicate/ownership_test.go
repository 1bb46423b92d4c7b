package replicate

import (
	"context"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect/stream"
)

// Teardown drops what its own plan made and nothing else under the
// prefix: a user's own aadv_* slot and publication and a running
// observe's publication and slot stay (the capture ends complete), and
// the replication origin of the repair script goes. Every session
// bootstrap and teardown open names itself aadvisor.
func TestTeardownTouchesOnlyItsOwn(t *testing.T) {
	m := newMesh(t, 18, 2, aaSchema)
	ctx := context.Background()
	// Sessions from now on are logged with their application_name.
	for i := range m.conns {
		m.exec(i, `ALTER SYSTEM SET log_connections = on`)
		m.exec(i, `SELECT pg_reload_conf()`)
	}
	t.Cleanup(func() {
		for i := range m.conns {
			m.conns[i].Exec(context.Background(), `ALTER SYSTEM RESET log_connections`)
			m.conns[i].Exec(context.Background(), `SELECT pg_reload_conf()`)
		}
	})
	p := m.plan(TopologyActiveActive, EngineNative)
	mustBootstrap(t, p, Options{})

	// Objects that are not the plan's, under the prefix.
	m.exec(0, `SELECT pg_create_logical_replication_slot('aadv_user_own_slot', 'pgoutput')`)
	t.Cleanup(func() {
		m.conns[0].Exec(context.Background(), `SELECT pg_drop_replication_slot('aadv_user_own_slot')`)
	})
	m.exec(0, `CREATE PUBLICATION aadv_user_pub FOR TABLE kv`)
	m.exec(1, `SELECT pg_replication_origin_create('`+RepairOrigin+`')`)
	// A running observe on node 1.
	capCtx, stopCapture := context.WithCancel(ctx)
	defer stopCapture()
	type captured struct {
		res *stream.Result
		err error
	}
	done := make(chan captured, 1)
	go func() {
		res, err := stream.Capture(capCtx, stream.Options{DSN: m.nodes[0].DSN(m.db), Duration: 6 * time.Second,
			CheckEvery: 200 * time.Millisecond}, io.Discard)
		done <- captured{res, err}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for len(m.rows(0, `SELECT 1 FROM pg_replication_slots WHERE slot_name LIKE 'aadv\_observe\_%' AND active`)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("observe's slot never became active")
		}
		time.Sleep(20 * time.Millisecond)
	}

	tr, err := Teardown(ctx, p, Options{})
	if err != nil {
		t.Fatalf("teardown: %v", err)
	}
	m.exec(0, `INSERT INTO kv VALUES ('after-teardown', 'x')`)
	c := <-done
	if c.err != nil || c.res.Incomplete != "" || c.res.Reason != "duration" || c.res.Changes == 0 {
		t.Errorf("observe across the teardown: err %v, result %+v; want a complete capture with the insert", c.err, c.res)
	}
	if got := m.rows(0, `SELECT slot_name FROM pg_replication_slots WHERE slot_name = 'aadv_user_own_slot'`); len(got) != 1 {
		t.Errorf("the user's slot aadv_user_own_slot was dropped")
	}
	if got := m.rows(0, `SELECT pubname FROM pg_publication WHERE pubname = 'aadv_user_pub'`); len(got) != 1 {
		t.Errorf("the user's publication aadv_user_pub was dropped")
	}
	m.exec(0, `DROP PUBLICATION aadv_user_pub`)
	for i := range m.conns {
		left := m.rows(i, `SELECT 'pub ' || pubname FROM pg_publication
UNION ALL SELECT 'sub ' || subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 'slot ' || slot_name FROM pg_replication_slots WHERE database = current_database() AND slot_name <> 'aadv_user_own_slot'
UNION ALL SELECT 'origin ' || roname FROM pg_replication_origin WHERE roname = '`+RepairOrigin+`'`)
		if len(left) > 0 {
			t.Errorf("%s after teardown: %v", m.names[i], left)
		}
	}
	if !strings.Contains(strings.Join(tr.Kept, "\n"), "key sequence") {
		t.Errorf("kept %q: want the sequence steps of items.id", tr.Kept)
	}

	// Every session bootstrap and teardown opened on this database was
	// aadvisor's.
	re := regexp.MustCompile(`(?m)^.*\bconnection authorized: user=\S+ database=` + regexp.QuoteMeta(m.db) + `\b.*$`)
	for _, n := range m.nodes {
		b, err := os.ReadFile(n.LogFile)
		if err != nil {
			t.Fatal(err)
		}
		lines := re.FindAllString(string(b), -1)
		if len(lines) == 0 {
			t.Errorf("%s: no session of %s logged", n.Name, m.db)
		}
		for _, l := range lines {
			if strings.Contains(l, "replication connection") {
				continue // the subscriptions' walsenders name themselves
			}
			if !strings.Contains(l, "application_name=aadvisor") {
				t.Errorf("%s: a session without application_name aadvisor: %s", n.Name, l)
			}
		}
	}
}

// Teardown says it keeps sequence steps only where it changed some.
func TestTeardownKeptSequences(t *testing.T) {
	m := newMesh(t, 18, 2, `CREATE TABLE kv (k text PRIMARY KEY, v text)`)
	p := m.plan(TopologyActiveActive, EngineNative)
	mustBootstrap(t, p, Options{})
	tr, err := Teardown(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(tr.Kept, "\n"), "sequence") {
		t.Errorf("kept %q: this schema has no sequence", tr.Kept)
	}
}

// A subscription whose slot is gone from its publisher (dropped by hand,
// or a crashed run left it so) does not stop teardown: DROP SUBSCRIPTION
// would fail on the missing slot, so teardown detaches it first.
func TestTeardownSlotGoneOnPublisher(t *testing.T) {
	m := newMesh(t, 18, 2, aaSchema)
	p := m.plan(TopologyActiveActive, EngineNative)
	mustBootstrap(t, p, Options{})
	sub := subName(m.names[0], m.names[1])
	m.exec(0, `ALTER SUBSCRIPTION `+sub+` DISABLE`)
	deadline := time.Now().Add(30 * time.Second)
	for len(m.rows(1, `SELECT 1 FROM pg_replication_slots WHERE slot_name = '`+sub+`' AND active`)) > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the slot stayed active after DISABLE")
		}
		time.Sleep(20 * time.Millisecond)
	}
	m.exec(1, `SELECT pg_drop_replication_slot('`+sub+`')`)
	m.exec(0, `ALTER SUBSCRIPTION `+sub+` ENABLE`)
	// The link can never resume: status says error with the reason and
	// raises link_broken (it said "down", no alarm, exit 0), and a
	// bootstrap run again says so at once instead of "ready" or a wait.
	c := NewCollector(p, StatusOptions{})
	st := c.Collect(context.Background())
	c.Close()
	var link *LinkStatus
	for i := range st.Links {
		if st.Links[i].Subscription == sub {
			link = &st.Links[i]
		}
	}
	if link == nil || link.State != LinkError || !strings.Contains(link.Note, "is gone from the publisher") {
		t.Errorf("status of %s: %+v", sub, link)
	}
	broken := false
	for _, a := range st.Alarms {
		broken = broken || (a.Kind == AlarmLinkBroken && a.Link == sub)
	}
	if !broken {
		t.Errorf("no link_broken alarm for %s: %+v", sub, st.Alarms)
	}
	bootMu.Lock()
	start := time.Now()
	_, err := Bootstrap(context.Background(), p, Options{Wait: time.Minute})
	bootMu.Unlock()
	if err == nil || !strings.Contains(err.Error(), "is gone from") || time.Since(start) > 30*time.Second {
		t.Errorf("bootstrap again after %s: %v; want an error at once naming the missing slot", time.Since(start).Round(time.Second), err)
	}
	if _, err := Teardown(context.Background(), p, Options{}); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	for i := range m.conns {
		left := m.rows(i, `SELECT 'pub ' || pubname FROM pg_publication
UNION ALL SELECT 'sub ' || subname FROM pg_subscription WHERE subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
UNION ALL SELECT 'slot ' || slot_name FROM pg_replication_slots WHERE database = current_database()`)
		if len(left) > 0 {
			t.Errorf("%s after teardown: %v", m.names[i], left)
		}
	}
}

// Two bootstraps of one plan at once created the same objects and one
// failed half-way ("subscription ... already exists"), leaving a link
// whose slot its twin had dropped. A run holds an advisory lock on each
// node; a second run stops before its first step, naming the node.
func TestBootstrapRunLock(t *testing.T) {
	m := newMesh(t, 18, 2, aaSchema)
	p := m.plan(TopologyActiveActive, EngineNative)
	m.exec(1, `SELECT pg_advisory_lock($1, $2)`, RunLockKey[0], RunLockKey[1])
	bootMu.Lock()
	res, err := Bootstrap(context.Background(), p, Options{})
	bootMu.Unlock()
	if err == nil || !strings.Contains(err.Error(), "node "+m.names[1]+": another aadvisor bootstrap") {
		t.Fatalf("bootstrap while another holds the lock: %v", err)
	}
	for _, s := range res.Steps {
		t.Errorf("step run while locked out: %+v", s)
	}
	if left := m.rows(0, `SELECT subname FROM pg_subscription`); len(left) > 0 {
		t.Errorf("subscriptions made while locked out: %v", left)
	}
	m.exec(1, `SELECT pg_advisory_unlock($1, $2)`, RunLockKey[0], RunLockKey[1])
	mustBootstrap(t, p, Options{})
	// The lock goes with the run: a second run after it goes through.
	mustBootstrap(t, p, Options{})
}

// A link that does not stream holds changes that arrive when it resumes:
// verify says which, since its differences may be those changes and a
// repair made now can be undone by them (a repaired site's rows changed
// back when its links were enabled, and verify had said nothing).
func TestVerifySaysWhichLinksDoNotStream(t *testing.T) {
	m := newMesh(t, 18, 2, aaSchema)
	p := m.plan(TopologyActiveActive, EngineNative)
	mustBootstrap(t, p, Options{})
	sub := subName(m.names[0], m.names[1])
	m.exec(0, `ALTER SUBSCRIPTION `+sub+` DISABLE`)
	rep, err := Verify(context.Background(), p, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "not streaming: "+sub+" (disabled)") }) {
		t.Errorf("notes with %s disabled: %q", sub, rep.Notes)
	}
	m.exec(0, `ALTER SUBSCRIPTION `+sub+` ENABLE`)
	deadline := time.Now().Add(30 * time.Second)
	for {
		rep, err = Verify(context.Background(), p, VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, "not streaming") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("every link streams again, yet: %q", rep.Notes)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
