package pglive

import (
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
