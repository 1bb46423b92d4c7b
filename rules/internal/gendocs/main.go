// Command gendocs writes docs/rules from the rule definitions:
// one page per rule and README.md with the catalogue. Pages of rules that
// no longer exist are removed.
//
//	go run ./internal/gendocs -dir ../docs/rules   (from rules/, via go generate)
//
// It imports rules only.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aadvisor/aadvisor/rules"
)

func main() {
	dir := flag.String("dir", "../docs/rules", "output directory")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	files := rules.DocFiles(rules.All())
	old, err := filepath.Glob(filepath.Join(dir, "AR*.md"))
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, f := range old {
		if _, ok := files[filepath.Base(f)]; !ok {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("remove stale page: %w", err)
			}
		}
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if cur, err := os.ReadFile(path); err == nil && string(cur) == text {
			continue
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("write page: %w", err)
		}
	}
	return nil
}
