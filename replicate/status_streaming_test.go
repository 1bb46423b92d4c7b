package replicate

import (
	"context"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// TestStatusStreaming reads a primary and a standby made by bootstrap: one
// physical link, its lag, and the standby seen as down when stopped.
func TestStatusStreaming(t *testing.T) {
	sb := sandboxtest.ForTest(t, 15, 2)
	ctx := context.Background()
	primary, standby := sb.Nodes[0], sb.Nodes[1]
	if err := primary.Exec(ctx, "", "CREATE TABLE t (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, Database: "postgres",
		Nodes: []PlanNode{{Name: primary.Name, Role: RolePrimary, DSN: primary.DSN("")}, {Name: standby.Name, Role: RoleStandby, DSN: standby.DSN("")}}}}
	if _, err := Bootstrap(ctx, p, Options{Local: map[string]*sandbox.Node{primary.Name: primary, standby.Name: standby}}); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	if err := primary.Exec(ctx, "", "INSERT INTO t SELECT generate_series(1, 1000)"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var st *Status
	for {
		st = MeshStatus(ctx, p, StatusOptions{})
		if len(st.Links) == 1 && st.Links[0].State == LinkStreaming && st.Links[0].LagBytes != nil && *st.Links[0].LagBytes == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("standby link not streaming and caught up: %s", describeLinks(st))
		}
		time.Sleep(200 * time.Millisecond)
	}
	l := st.Links[0]
	if l.From != primary.Name || l.To != standby.Name || !st.Nodes[1].InRecovery {
		t.Errorf("link %+v, standby in recovery %v", l, st.Nodes[1].InRecovery)
	}
	if err := standby.Stop(ctx, "fast"); err != nil {
		t.Fatal(err)
	}
	st = MeshStatus(ctx, p, StatusOptions{})
	if st.Links[0].State != LinkDown || !hasAlarm(st.Alarms, AlarmNodeDown, standby.Name) {
		t.Errorf("stopped standby: %s alarms %+v", describeLinks(st), st.Alarms)
	}
}
