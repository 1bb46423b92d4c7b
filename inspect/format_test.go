package inspect

import (
	"math"
	"testing"
)

func TestFormatBytes(t *testing.T) {
	// The rules' evidence ("retaining 5.0 GiB of WAL") and the mesh status
	// columns ("1.5KiB") come from the one formatter.
	for in, want := range map[int64]string{512: "512 B", 2048: "2.0 KiB", 5 << 30: "5.0 GiB", 70 << 20: "70.0 MiB"} {
		if got := FormatBytes(in); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[int64]string{0: "0B", 1536: "1.5KiB", 8 << 20: "8.0MiB", 3 << 60: "3.0EiB"} {
		if got := FormatBytesShort(in); got != want {
			t.Errorf("FormatBytesShort(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestClosest(t *testing.T) {
	known := []string{"topology", "version", "nodes"}
	for _, tc := range []struct {
		in    string
		limit int
		want  string
	}{
		{"topolgy", 3, "topology"},
		{"verison", 3, "version"},
		{"verison", 2, ""}, // two edits: not fewer than the limit
		{"zzzzzz", 3, ""},
	} {
		if got := Closest(tc.in, known, tc.limit); got != tc.want {
			t.Errorf("Closest(%q, %d) = %q, want %q", tc.in, tc.limit, got, tc.want)
		}
	}
	if d := EditDistance("kitten", "sitting"); d != 3 {
		t.Errorf("EditDistance(kitten, sitting) = %d, want 3", d)
	}
}

// TestGroupThousands: the one copy the rules and the page share; the
// page's old copy recursed without end on the smallest int64 (-n is n).
func TestGroupThousands(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -45000: "-45,000",
		math.MinInt64: "-9,223,372,036,854,775,808"} {
		if got := GroupThousands(in); got != want {
			t.Errorf("GroupThousands(%d) = %q, want %q", in, got, want)
		}
	}
}
