package replicate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

func TestMeshPglogical15(t *testing.T) {
	m := newTestMesh(t, 15, 3, EnginePglogical)
	ctx := context.Background()
	n1, n2, n3 := m.sb.Nodes[0], m.sb.Nodes[1], m.sb.Nodes[2]

	t.Run("status", func(t *testing.T) {
		m.exec(t, n1, "INSERT INTO accounts (id, owner) VALUES (1, 'a')")
		st := m.waitCaughtUp(t, 60*time.Second)
		if len(st.Links) != 6 || len(st.Alarms) != 0 {
			t.Fatalf("want 6 links and no alarms: %s %+v", describeLinks(st), st.Alarms)
		}
		for _, l := range st.Links {
			if l.Subscription != "aadv_"+l.To+"_from_"+l.From || l.Conflicts != nil || l.RetainedBytes == nil {
				t.Errorf("link %+v", l)
			}
		}
		// Without the log file, conflicts are unknown, and the status says why.
		for _, n := range MeshStatus(ctx, m.plan, StatusOptions{}).Nodes {
			if n.Conflicts != nil || !strings.Contains(n.ConflictsNote, "server log") {
				t.Errorf("node %s without a log: conflicts %v note %q", n.Name, n.Conflicts, n.ConflictsNote)
			}
		}
		for _, n := range st.Nodes {
			if n.Conflicts == nil || *n.Conflicts != 0 {
				t.Errorf("node %s with its log: conflicts %v (%s)", n.Name, n.Conflicts, n.ConflictsNote)
			}
		}
	})

	t.Run("conflicts counted from the log", func(t *testing.T) {
		// The same key inserted on two nodes at once: last update wins, and
		// each side logs a conflict.
		var txs []pgx.Tx
		for _, n := range []*sandbox.Node{n1, n2} {
			conn, err := n.Connect(ctx, m.db)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			tx, err := conn.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO accounts (id, owner) VALUES (500, $1)", n.Name); err != nil {
				t.Fatal(err)
			}
			txs = append(txs, tx)
		}
		for _, tx := range txs {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
		st := m.waitCaughtUp(t, 60*time.Second)
		deadline := time.Now().Add(20 * time.Second)
		for {
			var total int64
			for _, n := range st.Nodes {
				if n.Conflicts != nil {
					total += *n.Conflicts
				}
			}
			if total >= 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no conflict counted: %+v", st.Nodes)
			}
			time.Sleep(300 * time.Millisecond)
			st = MeshStatus(ctx, m.plan, StatusOptions{LogFiles: m.logFiles()})
		}
	})

	t.Run("kill -9 under write load", func(t *testing.T) {
		stop := make(chan struct{})
		wait := writeLoad(t, m, []*sandbox.Node{n1, n2}, stop)
		time.Sleep(700 * time.Millisecond)
		if err := n3.Kill(); err != nil {
			t.Fatal(err)
		}
		c := NewCollector(m.plan, StatusOptions{})
		c.Collect(ctx)
		st := c.Collect(ctx)
		c.Close()
		if st.Nodes[2].Up || !hasAlarm(st.Alarms, AlarmNodeDown, n3.Name) {
			t.Errorf("killed node: %+v alarms %+v", st.Nodes[2], st.Alarms)
		}
		// A status read afresh, with no memory of the links, still lists
		// the links into the down node with the WAL their slots keep.
		one := MeshStatus(ctx, m.plan, StatusOptions{})
		for _, from := range []*sandbox.Node{n1, n2} {
			l := m.link(one, from.Name, n3.Name)
			if l.State != LinkDown || l.RetainedBytes == nil || !strings.HasPrefix(l.Slot, "pgl_") || l.Subscription != "aadv_"+n3.Name+"_from_"+from.Name {
				t.Errorf("link %s -> %s while %s is down: %+v", from.Name, n3.Name, n3.Name, l)
			}
		}
		time.Sleep(1500 * time.Millisecond)
		if err := n3.Start(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
		close(stop)
		wait()
		m.waitCaughtUp(t, 90*time.Second)
		rep, err := Verify(ctx, m.plan, VerifyOptions{Recheck: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Differences != 0 {
			t.Fatalf("after crash and catch-up: %d differences: %+v", rep.Differences, summarize(rep))
		}
	})

	t.Run("remove-node and add-node", func(t *testing.T) { testMembership(t, m) })
}
