package replicate

import (
	"context"
	"fmt"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

func TestStreaming(t *testing.T) {
	t.Parallel()
	for _, major := range sandboxtest.TestVersions {
		t.Run(fmt.Sprintf("pg%d", major), func(t *testing.T) {
			t.Parallel() // own sandboxes: nothing shared
			sb := sandboxtest.ForTest(t, major, 2)
			m := setupMesh(t, sb.Nodes, "")
			m.exec(0, aaSchema)
			m.exec(0, `INSERT INTO items (node) SELECT 'before' FROM generate_series(1, 10)`)
			m.names[1] = "sync_" + m.names[1] // a synchronous standby
			p := m.plan(TopologyStreaming, EnginePhysical)
			res := mustBootstrap(t, p, Options{Local: m.local()})
			if countStatus(res, StepDone) == 0 {
				t.Fatalf("nothing done: %s", stepSummary(res))
			}
			m.reconnect(1)
			if r := m.rows(1, `SELECT pg_is_in_recovery()`); r[0] != "true" {
				t.Fatalf("standby not in recovery")
			}
			m.exec(0, `INSERT INTO items (node) SELECT 'after' FROM generate_series(1, 10)`)
			m.converge(`SELECT id, node FROM items ORDER BY id`, 20)
			// The quorum is in force and the standby is synchronous.
			if r := m.rows(0, `SELECT sync_state FROM pg_stat_replication`); len(r) != 1 || r[0] != "quorum" {
				t.Errorf("sync_state = %v, want [quorum]", r)
			}
			again := mustBootstrap(t, p, Options{Local: m.local()})
			if c := countStatus(again, StepDone); c != 0 {
				t.Fatalf("second bootstrap ran %d step(s): %s", c, stepSummary(again))
			}
			tr, err := Teardown(context.Background(), p, Options{})
			if err != nil {
				t.Fatalf("teardown: %v", err)
			}
			t.Logf("teardown: %d steps", len(tr.Steps))
			if r := m.rows(0, `SELECT slot_name FROM pg_replication_slots UNION ALL SELECT current_setting('synchronous_standby_names') WHERE current_setting('synchronous_standby_names') <> ''`); len(r) != 0 {
				t.Errorf("left after teardown: %v", r)
			}
			// The promoted standby keeps the data and takes writes.
			m.reconnect(1)
			m.exec(1, `INSERT INTO items (node) VALUES ('promoted')`)
			if r := m.rows(1, `SELECT count(*) FROM items`); r[0] != "21" {
				t.Errorf("promoted standby has %s rows, want 21", r[0])
			}
		})
	}
}
