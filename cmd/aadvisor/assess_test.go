package main

import (
	"runtime/debug"
	"testing"
)

// TestMemoryBudget: offline input sets the collector's soft limit to 32
// times its size, at least 128 MiB; GOMEMLIMIT wins.
func TestMemoryBudget(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	for size, want := range map[int64]int64{1 << 20: 128 << 20, 50 << 20: 1600 << 20} {
		t.Setenv("GOMEMLIMIT", "")
		setMemoryBudget(size)
		if got := debug.SetMemoryLimit(-1); got != want {
			t.Errorf("input %d MiB: limit %d MiB, want %d MiB", size>>20, got>>20, want>>20)
		}
	}
	t.Setenv("GOMEMLIMIT", "3GiB")
	debug.SetMemoryLimit(3 << 30)
	setMemoryBudget(50 << 20)
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Errorf("with GOMEMLIMIT: limit %d MiB, want it left at 3072 MiB", got>>20)
	}
}
