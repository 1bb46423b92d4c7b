package replicate

import (
	"fmt"
	"strings"
	"testing"
)

// The code below branches on the server version; these tests take every
// branch (14 stands for the versions before 15), and the integration tests
// run the same SQL on 15, 16, 17 and 18 (sandboxtest.TestVersions).

// TestPrecheckVersion: native active-active needs origin = none (16+),
// native row filters need 15+, pglogical takes any version it is installed on.
func TestPrecheckVersion(t *testing.T) {
	for _, c := range []struct {
		kind, engine string
		okFrom       int
	}{
		{TopologyActiveActive, EngineNative, 16},
		{TopologyPartitioned, EngineNative, 15},
		{TopologyActiveActive, EnginePglogical, 14},
		{TopologyPartitioned, EnginePglogical, 14},
	} {
		for _, major := range []int{14, 15, 16, 17, 18} {
			t.Run(fmt.Sprintf("%s_%s_pg%d", c.kind, c.engine, major), func(t *testing.T) {
				b := versionBootstrapper(c.kind, c.engine, major)
				var got string
				for _, ch := range b.precheck() {
					if ch.Name == "version" && ch.Node == "n1" {
						got = ch.Status
					}
				}
				want := StatusOK
				if major < c.okFrom {
					want = StatusFail
				}
				if got != want {
					t.Errorf("version check = %q, want %q", got, want)
				}
			})
		}
	}
}

// TestNativeOriginByVersion: subscriptions get origin = none from 16 on;
// on 15 a partitioned mesh relies on its row filters alone.
func TestNativeOriginByVersion(t *testing.T) {
	for _, major := range []int{15, 16, 17, 18} {
		t.Run(fmt.Sprint(major), func(t *testing.T) {
			b := versionBootstrapper(TopologyPartitioned, EngineNative, major)
			subs := 0
			for _, s := range b.nativeSteps() {
				if !strings.HasPrefix(s.SQL, "CREATE SUBSCRIPTION") {
					continue
				}
				subs++
				if has := strings.Contains(s.SQL, "origin = none"); has != (major >= 16) {
					t.Errorf("PostgreSQL %d: %s", major, s.SQL)
				}
			}
			if subs != 6 {
				t.Errorf("%d subscriptions, want 6", subs)
			}
			for _, s := range b.nativeSteps() {
				if strings.HasPrefix(s.SQL, "CREATE PUBLICATION") && !strings.Contains(s.SQL, `WHERE ("region" IN (`) {
					t.Errorf("publication without the row filter: %s", s.SQL)
				}
			}
		})
	}
}

// TestStatusSubscriptionsByVersion: error counts from 15, conflict counts
// from 18 (pg_stat_subscription_stats.confl_*), in the order of
// stConflictTypes.
func TestStatusSubscriptionsByVersion(t *testing.T) {
	for _, v := range []int{140000, 150000, 160000, 170000, 180000} {
		q := stqSubscriptions(v, true)
		if has := strings.Contains(q, "ss.apply_error_count, ss.sync_error_count"); has != (v >= 150000) {
			t.Errorf("%d: error counts %v", v, has)
		}
		if has := strings.Contains(q, "pg_stat_subscription_stats"); has != (v >= 150000) {
			t.Errorf("%d: stats join %v", v, has)
		}
		if has := strings.Contains(q, "confl_"); has != (v >= 180000) {
			t.Errorf("%d: conflict columns %v", v, has)
		}
	}
	q := stqSubscriptions(180000, false)
	for i, typ := range stConflictTypes {
		col := "ss.confl_" + typ
		if !strings.Contains(q, col) {
			t.Errorf("no column %s", col)
		}
		if i > 0 && strings.Index(q, col) < strings.Index(q, "ss.confl_"+stConflictTypes[i-1]+",") {
			t.Errorf("%s out of order", col)
		}
	}
	if strings.Contains(q, "subconninfo") {
		t.Error("without the privilege the query must not read subconninfo")
	}
}

// versionBootstrapper is a three-node plan whose nodes run one major
// version, with healthy facts.
func versionBootstrapper(kind, engine string, major int) *bootstrapper {
	p := &Plan{Version: PlanVersion, Topology: Topology{Kind: kind, Engine: engine}}
	if kind == TopologyPartitioned {
		p.Topology.OwnerColumn = "region"
	}
	b := &bootstrapper{plan: p}
	for i := 1; i <= 3; i++ {
		f := factsFor(major)
		f.Tables["public.t"].Columns = append(f.Tables["public.t"].Columns, "region text not null")
		f.Tables["public.t"].PK = []string{"id", "region"}
		pn := PlanNode{Name: fmt.Sprintf("n%d", i), Role: RolePeer, DSN: "host=x"}
		if kind == TopologyPartitioned {
			pn.Role, pn.Owns = RoleOwner, []string{fmt.Sprintf("r%d", i)}
		}
		p.Topology.Nodes = append(p.Topology.Nodes, pn)
		b.nodes = append(b.nodes, &nodeConn{PlanNode: pn, index: i, facts: f, dsn: fmt.Sprintf("host=h%d dbname=app", i)})
	}
	return b
}
