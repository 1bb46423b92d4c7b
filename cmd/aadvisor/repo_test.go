package main

import (
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Every fuzz target of the module is fuzzed by 'make fuzz' (which CI
// runs): a target missing from FUZZ_TARGETS would only ever run its seeds.
func TestEveryFuzzTargetInMakefile(t *testing.T) {
	makefile := readFile(t, "../../Makefile")
	fuzzFunc := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(f \*testing\.F\)`)
	n := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "../.." || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		for _, m := range fuzzFunc.FindAllStringSubmatch(readFile(t, path), -1) {
			n++
			target := "./" + filepath.ToSlash(filepath.Dir(strings.TrimPrefix(path, "../../"))) + ":" + m[1]
			if !strings.Contains(makefile, target) {
				t.Errorf("%s is not in the Makefile's FUZZ_TARGETS (%s)", m[1], target)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Errorf("found %d fuzz targets, want at least 5", n)
	}
}
