package replicate

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestOffsetStart(t *testing.T) {
	for _, c := range []struct {
		floor        int64
		index, nodes int
		want         int64
	}{
		{0, 1, 3, 1}, {0, 2, 3, 2}, {0, 3, 3, 3},
		{100, 1, 3, 103}, {100, 2, 3, 101}, {100, 3, 3, 102},
		{5, 2, 2, 6}, {5, 1, 2, 7},
	} {
		got := offsetStart(c.floor, c.index, c.nodes)
		if got != c.want {
			t.Errorf("offsetStart(%d, %d, %d) = %d, want %d", c.floor, c.index, c.nodes, got, c.want)
		}
		if got <= c.floor || got%int64(c.nodes) != int64(c.index%c.nodes) {
			t.Errorf("offsetStart(%d, %d, %d) = %d: not above the floor in the node's class", c.floor, c.index, c.nodes, got)
		}
	}
	// No two nodes ever hand out one value.
	seen := map[int64]int{}
	for i := 1; i <= 4; i++ {
		v := offsetStart(37, i, 4)
		for k := 0; k < 100; k++ {
			if prev, dup := seen[v]; dup {
				t.Fatalf("value %d from nodes %d and %d", v, prev, i)
			}
			seen[v] = i
			v += 4
		}
	}
}

func TestWithDatabase(t *testing.T) {
	for _, c := range []struct{ dsn, db, want string }{
		{"postgres://u:p@h:5432/postgres?sslmode=disable", "app", "postgres://u:p@h:5432/app?sslmode=disable"},
		{"postgresql://h/x", "my db", "postgresql://h/my%20db"},
		{"host=h port=5432 dbname=postgres", "app", "host=h port=5432 dbname=postgres dbname=app"},
		{"host=h", "it's", `host=h dbname='it\'s'`},
		{"host=h", "", "host=h"},
	} {
		got, err := withDatabase(c.dsn, c.db)
		if err != nil || got != c.want {
			t.Errorf("withDatabase(%q, %q) = %q, %v; want %q", c.dsn, c.db, got, err, c.want)
		}
	}
}

func TestObjName(t *testing.T) {
	if got := subName("east", "west"); got != "aadv_east_from_west" {
		t.Errorf("subName = %q", got)
	}
	long := strings.Repeat("n", 60)
	a, b := subName(long, long+"a"), subName(long, long+"b")
	if len(a) > 63 || len(b) > 63 || a == b || !strings.HasPrefix(a, Prefix) {
		t.Errorf("long names: %q %q", a, b)
	}
}

func TestSchemaDiff(t *testing.T) {
	a := &nodeFacts{Scope: []string{"public.t", "public.u"}, Tables: map[string]*tableFacts{
		"public.t": {Schema: "public", Name: "t", Columns: []string{"id integer not null", "v text"}, PK: []string{"id"}, Identity: "d"},
		"public.u": {Schema: "public", Name: "u", Columns: []string{"id integer not null"}, PK: []string{"id"}, Identity: "d"},
	}}
	b := &nodeFacts{Scope: []string{"public.t", "public.w"}, Tables: map[string]*tableFacts{
		"public.t": {Schema: "public", Name: "t", Columns: []string{"id bigint not null", "v text"}, PK: []string{"id"}, Identity: "f"},
		"public.w": {Schema: "public", Name: "w"},
	}}
	want := []string{
		`public.t: a has column "id integer not null", b does not`,
		`public.t: b has column "id bigint not null", a does not`,
		"public.t: replica identity d on a, f on b",
		"table public.u is on a but not on b",
		"table public.w is on b but not on a",
	}
	if diff := cmp.Diff(want, schemaDiff("a", a, "b", b)); diff != "" {
		t.Errorf("schemaDiff (-want +got):\n%s", diff)
	}
	if d := schemaDiff("a", a, "a2", a); len(d) != 0 {
		t.Errorf("same schema differs: %v", d)
	}
}

func TestInScope(t *testing.T) {
	tables := map[string]*tableFacts{
		"public.a": {Schema: "public", Name: "a"}, "public.b": {Schema: "public", Name: "b"},
		"sales.c": {Schema: "sales", Name: "c"},
	}
	tables[`Sales.Odd "t"`] = &tableFacts{Schema: "Sales", Name: `Odd "t"`}
	local := []WriteMode{{Table: "public.b", Mode: WriteLocal}, {Table: `"Sales"."Odd ""t"""`, Mode: WriteLocal}, {Table: "public.a", Mode: WriteHome}}
	for _, c := range []struct {
		patterns []string
		modes    []WriteMode
		want     []string
	}{
		{nil, nil, []string{"Sales.Odd \"t\"", "public.a", "public.b", "sales.c"}},
		{[]string{"*"}, nil, []string{"Sales.Odd \"t\"", "public.a", "public.b", "sales.c"}},
		{[]string{"public.*"}, nil, []string{"public.a", "public.b"}},
		{[]string{"sales.c", "public.b"}, nil, []string{"public.b", "sales.c"}},
		{[]string{"nope.*"}, nil, nil},
		// local tables stay out of scope, whatever the patterns say
		{nil, local, []string{"public.a", "sales.c"}},
		{[]string{"public.*"}, local, []string{"public.a"}},
		{[]string{"public.b"}, local, nil},
	} {
		top := Topology{Tables: c.patterns, WriteModes: c.modes}
		if diff := cmp.Diff(c.want, inScope(tables, top)); diff != "" {
			t.Errorf("inScope(%v, %v) (-want +got):\n%s", c.patterns, c.modes, diff)
		}
	}
}

func TestOwnerCheck(t *testing.T) {
	inKey := &tableFacts{Schema: "public", Name: "t", Columns: []string{"region text not null"}, PK: []string{"region", "id"}, Identity: "d"}
	notKey := &tableFacts{Schema: "public", Name: "t", Columns: []string{"region text not null"}, PK: []string{"id"}, Identity: "d"}
	full := &tableFacts{Schema: "public", Name: "t", Columns: []string{"region text not null"}, PK: []string{"id"}, Identity: "f"}
	missing := &tableFacts{Schema: "public", Name: "t", Columns: []string{"id int"}, PK: []string{"id"}, Identity: "d"}
	for _, c := range []struct {
		tf   *tableFacts
		want string
	}{{inKey, StatusOK}, {notKey, StatusFail}, {full, StatusOK}, {missing, StatusFail}} {
		if got := ownerCheck(c.tf, "region")[0].Status; got != c.want {
			t.Errorf("%+v: %s, want %s", c.tf, got, c.want)
		}
	}
}

// factsFor makes healthy facts of one node with table public.t.
func factsFor(major int) *nodeFacts {
	return &nodeFacts{VersionNum: major * 10000, Version: fmt.Sprint(major), Superuser: true, Encoding: "UTF8", Collate: "C", Ctype: "C",
		Database: "app",
		Settings: map[string]setting{"wal_level": {Value: "logical"}, "track_commit_timestamp": {Value: "on"},
			"max_replication_slots": {Value: "10"}, "max_wal_senders": {Value: "10"}, "max_worker_processes": {Value: "8"},
			"max_logical_replication_workers": {Value: "4"}, "shared_preload_libraries": {Value: "pglogical"},
			"max_active_replication_origins": {Value: "10"}, "output_plugin_libraries": {Value: "pgoutput,pglogical_output"}},
		PglogicalAvailable: true,
		Tables:             map[string]*tableFacts{"public.t": {Schema: "public", Name: "t", Columns: []string{"id integer not null"}, PK: []string{"id"}, Identity: "d"}},
		Scope:              []string{"public.t"}}
}

func TestPrecheckSettings(t *testing.T) {
	mk := func(engine string, major int, change func(*nodeFacts)) *bootstrapper {
		p := &Plan{Version: 1, Topology: Topology{Kind: TopologyActiveActive, Engine: engine}}
		b := &bootstrapper{plan: p}
		for i := 1; i <= 3; i++ {
			f := factsFor(major)
			if i == 2 {
				change(f)
			}
			name := fmt.Sprintf("n%d", i)
			p.Topology.Nodes = append(p.Topology.Nodes, PlanNode{Name: name, Role: RolePeer, DSN: "host=x"})
			b.nodes = append(b.nodes, &nodeConn{PlanNode: p.Topology.Nodes[i-1], index: i, facts: f})
		}
		return b
	}
	type want struct{ name, fix string }
	for _, c := range []struct {
		label  string
		engine string
		major  int
		change func(*nodeFacts)
		want   []want // failing checks on n2 (or across nodes)
	}{
		{"healthy", EngineNative, 18, func(*nodeFacts) {}, nil},
		{"wal_level", EngineNative, 18, func(f *nodeFacts) { f.Settings["wal_level"] = setting{Value: "replica"} },
			[]want{{"wal_level", "ALTER SYSTEM SET wal_level = logical; then restart"}}},
		{"capacity", EngineNative, 18, func(f *nodeFacts) { f.Settings["max_wal_senders"] = setting{Value: "2"} },
			[]want{{"max_wal_senders", "ALTER SYSTEM SET max_wal_senders = 4; then restart"}}},
		{"preload", EnginePglogical, 15, func(f *nodeFacts) { f.Settings["shared_preload_libraries"] = setting{Value: "pg_stat_statements"} },
			[]want{{"shared_preload_libraries", "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements', 'pglogical'; then restart"}}},
		{"output plugins, before they were restricted", EnginePglogical, 15, func(f *nodeFacts) { delete(f.Settings, "output_plugin_libraries") }, nil},
		{"output plugins, pglogical's allowed", EnginePglogical, 15, func(f *nodeFacts) {
			f.Settings["output_plugin_libraries"] = setting{Value: "pgoutput, test_decoding, pglogical_output"}
		}, nil},
		{"output plugins, pglogical's not allowed", EnginePglogical, 15, func(f *nodeFacts) {
			f.Settings["output_plugin_libraries"] = setting{Value: "pgoutput, test_decoding"}
		}, []want{{"output_plugin_libraries", "ALTER SYSTEM SET output_plugin_libraries = 'pgoutput', 'test_decoding', 'pglogical_output'; SELECT pg_reload_conf()"}}},
		{"output plugins, one name set by one literal", EnginePglogical, 15, func(f *nodeFacts) {
			f.Settings["output_plugin_libraries"] = setting{Value: `"pgoutput, test_decoding, pglogical_output"`}
		}, []want{{"output_plugin_libraries", `ALTER SYSTEM SET output_plugin_libraries = 'pgoutput', 'test_decoding', 'pglogical_output'; SELECT pg_reload_conf()`}}},
		{"output plugins, pgoutput not allowed", EngineNative, 18, func(f *nodeFacts) {
			f.Settings["output_plugin_libraries"] = setting{Value: "wal2json"}
		}, []want{{"output_plugin_libraries", "ALTER SYSTEM SET output_plugin_libraries = 'wal2json', 'pgoutput'; SELECT pg_reload_conf()"}}},
		{"commit timestamps", EnginePglogical, 15, func(f *nodeFacts) { f.Settings["track_commit_timestamp"] = setting{Value: "off"} },
			[]want{{"track_commit_timestamp", "ALTER SYSTEM SET track_commit_timestamp = on; then restart"}}},
		{"clock", EnginePglogical, 15, func(f *nodeFacts) { f.Skew = 3 * time.Second },
			[]want{{"clock skew", "synchronise clocks (chrony/NTP): last-update-wins compares commit times from different clocks"}}},
		{"encoding", EngineNative, 18, func(f *nodeFacts) { f.Encoding = "LATIN1" },
			[]want{{"encoding", "create the databases with the same encoding"}}},
		{"not superuser", EnginePglogical, 15, func(f *nodeFacts) { f.Superuser = false; f.Replication = true; f.CanCreate = true },
			[]want{{"privileges", "connect as a superuser"}}},
		{"standby", EngineNative, 18, func(f *nodeFacts) { f.InRecovery = true },
			[]want{{"role", "point the plan at a primary"}}},
	} {
		t.Run(c.label, func(t *testing.T) {
			var got []want
			restart := false
			for _, ch := range mk(c.engine, c.major, c.change).precheck() {
				if ch.Status == StatusFail {
					got = append(got, want{ch.Name, ch.Fix})
					restart = restart || ch.Restart
				}
			}
			if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("failing checks (-want +got):\n%s", diff)
			}
			if wantRestart := len(c.want) > 0 && strings.HasSuffix(c.want[0].fix, "then restart"); restart != wantRestart {
				t.Errorf("restart = %v, want %v", restart, wantRestart)
			}
		})
	}
}

func TestPrecheckWarnsUniqueAndExclusion(t *testing.T) {
	p := &Plan{Version: 1, Topology: Topology{Kind: TopologyActiveActive, Engine: EngineNative}}
	b := &bootstrapper{plan: p}
	for i := 1; i <= 2; i++ {
		f := factsFor(18)
		f.Tables["public.t"].Uniques, f.Tables["public.t"].Exclusions = 1, 2
		pn := PlanNode{Name: fmt.Sprintf("n%d", i), Role: RolePeer, DSN: "host=x"}
		b.nodes = append(b.nodes, &nodeConn{PlanNode: pn, index: i, facts: f})
	}
	var got []string
	for _, c := range b.precheck() {
		if c.Status == StatusWarn {
			got = append(got, c.Name)
		}
		if c.Status == StatusFail {
			t.Errorf("unexpected failure: %+v", c)
		}
	}
	if diff := cmp.Diff([]string{"unique constraints", "exclusion constraints"}, got); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}
