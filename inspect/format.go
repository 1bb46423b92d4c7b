package inspect

import (
	"fmt"
	"strconv"
	"strings"
)

// Text for people that every command writes the same way: byte counts,
// and the nearest known name for a misspelt one.

// FormatBytes writes a byte count with a binary unit, as messages and
// reports give it: "512 B", "2.0 KiB", "70.0 MiB".
func FormatBytes(n int64) string { return formatBytes(n, " ") }

// FormatBytesShort is FormatBytes without the space, for the columns of a
// status table: "512B", "1.5KiB".
func FormatBytesShort(n int64) string { return formatBytes(n, "") }

func formatBytes(n int64, sep string) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d%sB", n, sep)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f%s%ciB", float64(n)/float64(div), sep, "KMGTPE"[exp])
}

// EditDistance is the Levenshtein distance between a and b, byte by byte:
// the insertions, deletions and substitutions that make one the other.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the first of known nearest to s by EditDistance when it
// is fewer than limit edits away (a likely typo), else "".
func Closest(s string, known []string, limit int) string {
	best, bestD := "", limit
	for _, k := range known {
		if d := EditDistance(s, k); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

// GroupThousands writes a count with thousands separators: "1,234,567".
func GroupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
