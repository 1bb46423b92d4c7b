package pglive

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestVersionAtLeast(t *testing.T) {
	for _, tt := range []struct {
		v            string
		major, minor int
		want         bool
	}{
		{"1.10", 1, 9, true}, // not a string comparison
		{"1.8", 1, 8, true},
		{"1.7", 1, 8, false},
		{"2", 1, 9, true},
		{"", 1, 8, false},
		{"x.y", 1, 8, false},
	} {
		if got := versionAtLeast(tt.v, tt.major, tt.minor); got != tt.want {
			t.Errorf("versionAtLeast(%q, %d, %d) = %v, want %v", tt.v, tt.major, tt.minor, got, tt.want)
		}
	}
}

func TestDecodeTgtype(t *testing.T) {
	type trig struct {
		Timing, Level string
		Events        []string
	}
	for _, tt := range []struct {
		tgtype int
		want   trig
	}{
		{tgRow | tgBefore | tgInsert | tgUpdate, trig{"before", "row", []string{"insert", "update"}}},
		{tgDelete, trig{"after", "statement", []string{"delete"}}},
		{tgRow | tgInstead | tgInsert | tgDelete | tgUpdate, trig{"instead of", "row", []string{"insert", "delete", "update"}}},
		{tgBefore | tgTruncate, trig{"before", "statement", []string{"truncate"}}},
	} {
		var got trig
		got.Timing, got.Level, got.Events = decodeTgtype(tt.tgtype)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("decodeTgtype(%d) (-want +got):\n%s", tt.tgtype, diff)
		}
	}
}

func TestMark(t *testing.T) {
	if got, want := mark("SELECT 1"), "SELECT "+marker+" 1"; got != want {
		t.Errorf("mark = %q, want %q", got, want)
	}
}

// TestVersionedQueries takes every branch the catalog queries make on the
// server version (14 stands for the versions before 15) and on the
// pg_stat_statements extension version; the live tests run them on 15, 16,
// 17 and 18 (sandboxtest.TestVersions), whose extension versions are 1.10,
// 1.10, 1.11 and 1.12.
func TestVersionedQueries(t *testing.T) {
	for _, v := range []int{140000, 150000, 160000, 170000, 180000} {
		if has := strings.Contains(databaseQuery(v), "d.datlocprovider"); has != (v >= 150000) {
			t.Errorf("%d: datlocprovider %v", v, has)
		}
		if has := strings.Contains(subscriptionsQuery(v), "s.suborigin"); has != (v >= 160000) {
			t.Errorf("%d: suborigin %v", v, has)
		}
		if !strings.Contains(slotsQuery(v), "s.wal_status") {
			t.Errorf("%d: wal_status missing", v)
		}
	}
	if strings.Contains(slotsQuery(120000), "s.wal_status") {
		t.Error("12: wal_status does not exist before 13")
	}
	for _, c := range []struct{ ext, col string }{
		{"1.7", "s.total_time"}, {"1.8", "s.total_exec_time"}, {"1.10", "s.total_exec_time"},
		{"1.11", "s.total_exec_time"}, {"1.12", "s.total_exec_time"},
	} {
		q := statementsQuery("public", c.ext)
		if !strings.Contains(q, "pg_catalog.sum("+c.col+")") {
			t.Errorf("pg_stat_statements %s: want %s in\n%s", c.ext, c.col, q)
		}
	}
}

func TestAttNumbers(t *testing.T) {
	for in, want := range map[string][]int{
		"":         nil,
		"1":        {1},
		"1 3 0 12": {1, 3, 0, 12}, // int2vector, as pg_index.indkey prints
		"{2,1}":    {2, 1},        // int2[], as pg_constraint.conkey prints
		"{-6,3}":   {-6, 3},       // a system column
		"{}":       nil,
	} {
		if got := attNumbers(in); !slices.Equal(got, want) {
			t.Errorf("attNumbers(%q) = %v, want %v", in, got, want)
		}
	}
	if got := oidArray([]uint32{16385, 4294967295}); got != "{16385,4294967295}" {
		t.Errorf("oidArray = %q", got)
	}
	if got := oidArray(nil); got != "{}" {
		t.Errorf("oidArray(nil) = %q", got)
	}
}
