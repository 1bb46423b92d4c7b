package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
)

// BenchmarkUp measures 'sandbox up' of three nodes to all accepting
// connections, and 'down', for each version.
//
//	go test ./replicate/sandbox -run '^$' -bench sandbox.Up -benchtime 3x
func BenchmarkUp(b *testing.B) {
	for _, v := range sandboxtest.TestVersions {
		b.Run(fmt.Sprintf("pg%d/nodes3", v), func(b *testing.B) {
			ctx := context.Background()
			if _, err := sandbox.FindInstall(ctx, fmt.Sprint(v)); err != nil {
				b.Skip(err)
			}
			for i := 0; i < b.N; i++ {
				dir := filepath.Join(os.TempDir(), "aadvisor-test", fmt.Sprintf("bench-%d-%d-%d", os.Getpid(), v, i))
				s, _, err := sandbox.Up(ctx, sandbox.Options{Nodes: 3, PG: fmt.Sprint(v), Dir: dir})
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Down(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
