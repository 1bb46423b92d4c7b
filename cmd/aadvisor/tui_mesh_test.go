package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	tea "github.com/charmbracelet/bubbletea"
)

func i64(v int64) *int64 { return &v }

func dashStatus(lag int64, down bool) *replicate.Status {
	st := &replicate.Status{SchemaVersion: 1, Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Kind: "active-active", Engine: "native", Database: "app",
		Nodes: []replicate.NodeStatus{
			{Name: "east", Role: "peer", Up: true, Version: "18.4", Conflicts: i64(2)},
			{Name: "west", Role: "peer", Up: !down, Version: "18.4", Conflicts: i64(0)},
		},
		Links: []replicate.LinkStatus{
			{From: "east", To: "west", Subscription: "aadv_west_from_east", State: replicate.LinkStreaming, LagBytes: i64(lag), RetainedBytes: i64(lag), Conflicts: i64(0)},
			{From: "west", To: "east", Subscription: "aadv_east_from_west", State: replicate.LinkStreaming, LagBytes: i64(0), RetainedBytes: i64(0),
				Conflicts: i64(2), ConflictsByType: map[string]int64{"update_origin_differs": 2}},
		},
		Alarms: []replicate.Alarm{}}
	if down {
		st.Nodes[1].Error = "connection refused"
		st.Links[0].State = replicate.LinkDown
		st.Alarms = append(st.Alarms, replicate.Alarm{Kind: replicate.AlarmNodeDown, Node: "west", Message: "node west is unreachable"})
	}
	return st
}

func TestMeshDashboard(t *testing.T) {
	var n int
	seq := []*replicate.Status{dashStatus(0, false), dashStatus(4096, false), dashStatus(8<<20, true)}
	collect := func(context.Context) *replicate.Status {
		st := seq[min(n, len(seq)-1)]
		n++
		return st
	}
	m := newMeshDash(context.Background(), collect, time.Second, false)
	if got := m.View(); !strings.Contains(got, "reading the mesh") {
		t.Errorf("before the first poll: %q", got)
	}
	// Drive three polls through Update, as the program would.
	cmd := m.Init()
	for i := 0; i < 3; i++ {
		msg := cmd()
		if _, ok := msg.(dashStatusMsg); !ok {
			t.Fatalf("poll %d: got %T", i, msg)
		}
		_, cmd = m.Update(msg)
		if cmd == nil {
			t.Fatal("no tick scheduled after a status")
		}
		_, cmd = m.Update(dashTickMsg{})
	}
	view := m.View()
	for _, want := range []string{
		"aadvisor mesh  active-active · native · database app  1 alarm(s)",
		"✖ west down",
		"● east 18.4 · conflicts 2",
		"east → west", "down", "8.0MiB",
		"update_origin_differs=2",
		"! node_down: node west is unreachable",
		"node west is down: connection refused",
		"link east -> west: streaming -> down",
		"3 polls",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	// The lag sparkline rises to the top bar.
	if !strings.Contains(view, "▁▁█") {
		t.Errorf("sparkline: want ▁▁█ in\n%s", view)
	}
	// p pauses (ticks do nothing), q quits.
	m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("p")})
	if _, cmd := m.Update(dashTickMsg{}); cmd != nil {
		t.Error("paused: a tick still polls")
	}
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("q")}); cmd == nil {
		t.Error("q: want tea.Quit")
	}
}

func TestSparkline(t *testing.T) {
	for _, tc := range []struct {
		vals []float64
		want string
	}{
		{nil, "    "},
		{[]float64{0, 0}, "  ▁▁"},
		{[]float64{1, 2, 4, 8}, "▁▂▄█"},
		{[]float64{9, 1, 2, 3, 4, 8}, "▂▃▄█"},
	} {
		if got := sparkline(tc.vals, 4); got != tc.want {
			t.Errorf("sparkline(%v) = %q, want %q", tc.vals, got, tc.want)
		}
	}
}

func TestCheckListen(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		remote bool
		ok     bool
	}{
		{"127.0.0.1:9631", false, true},
		{"[::1]:9631", false, true},
		{"localhost:9631", false, true},
		{"", false, true},
		{"0.0.0.0:9631", false, false},
		{"10.1.2.3:9631", false, false},
		{"10.1.2.3:9631", true, true},
		{"127.0.0.1", false, false},
	} {
		err := checkListen(tc.addr, tc.remote)
		if (err == nil) != tc.ok {
			t.Errorf("checkListen(%q, %v) = %v, want ok=%v", tc.addr, tc.remote, err, tc.ok)
		}
	}
}

func TestPrintMeshStatus(t *testing.T) {
	var b bytes.Buffer
	if err := printMeshStatus(&b, dashStatus(1536, true), "text"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"west  peer  DOWN", "east -> west  aadv_west_from_east  down", "1.5KiB", "alarms (1):", "! node_down: node west is unreachable"} {
		if !strings.Contains(out, want) {
			t.Errorf("status text lacks %q:\n%s", want, out)
		}
	}
}

// starStatus is a star whose site s1 is cut off and whose site s2 wrote a
// shared table.
func starStatus() *replicate.Status {
	f64 := func(v float64) *float64 { return &v }
	st := dashStatus(0, false)
	st.Kind = replicate.TopologyHubSpoke
	st.Hub = &replicate.HubStatus{Hub: "hq", OfflineHours: 48, Sites: []replicate.SiteStatus{
		{Name: "s1", Up: true, CutOff: true,
			HubHolds:  &replicate.SlotClock{Node: "hq", Slot: "aadv_s1_from_hq", RetainedBytes: 12 << 20, SafeWALBytes: i64(1 << 30), Rate: f64(1 << 20), SecondsLeft: f64(3 * 3600), Limit: "max_slot_wal_keep_size"},
			SiteHolds: &replicate.SlotClock{Node: "s1", Slot: "aadv_hq_from_s1", RetainedBytes: 4096, Rate: f64(0)}},
		{Name: "s2", Up: true, SharedWrites: map[string]int64{"public.products": 2}},
		{Name: "s3", Up: false, CutOff: true},
	}}
	return st
}

func TestPrintHubStatus(t *testing.T) {
	var b bytes.Buffer
	if err := printMeshStatus(&b, starStatus(), "text"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"star: hub hq, 3 site(s), offline window 48 h, 2 cut off",
		"s1    CUT OFF    12.0MiB, lost in 3h0m (max_slot_wal_keep_size, at 1.0MiB/s)  4.0KiB, not growing  unknown",
		"s2    connected  -",
		"2\n",
		"s3    DOWN",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status text lacks %q:\n%s", want, out)
		}
	}
	m := newMeshDash(context.Background(), func(context.Context) *replicate.Status { return starStatus() }, time.Second, false)
	m.Update(m.Init()())
	if view := m.View(); !strings.Contains(view, "star    hub hq · 3 site(s) · 2 cut off") ||
		!strings.Contains(view, "s1: hub keeps 12.0MiB, lost in 3h0m") {
		t.Errorf("dashboard:\n%s", view)
	}
}
