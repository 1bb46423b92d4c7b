package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func init() { register((*app).genDocsCommand) }

// genDocsCommand writes the man pages and the shell completions of the
// command tree, for the release packages ('make dist'). Hidden: it is a
// build step, not a user command.
func (a *app) genDocsCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "gen-docs DIR",
		Short:  "Write man pages (DIR/man/man1) and shell completions (DIR/completions) for packaging",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.genDocs(cmd.Root(), args[0])
		},
	}
}

func (a *app) genDocs(root *cobra.Command, dir string) error {
	man := filepath.Join(dir, "man", "man1")
	comp := filepath.Join(dir, "completions")
	for _, d := range []string{man, comp} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("gen-docs: %w", unwrapPathErr(err))
		}
	}
	root.DisableAutoGenTag = true // no generation date in the pages: builds are reproducible
	header := &doc.GenManHeader{Title: "AADVISOR", Section: "1", Source: "aadvisor " + versionString(), Manual: "aadvisor manual"}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("gen-docs: man pages: %w", err)
	}
	for name, gen := range map[string]func(*os.File) error{
		"aadvisor.bash": func(f *os.File) error { return root.GenBashCompletionV2(f, true) },
		"_aadvisor":     func(f *os.File) error { return root.GenZshCompletion(f) },
		"aadvisor.fish": func(f *os.File) error { return root.GenFishCompletion(f, true) },
	} {
		f, err := os.Create(filepath.Join(comp, name))
		if err != nil {
			return fmt.Errorf("gen-docs: %w", unwrapPathErr(err))
		}
		err = gen(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("gen-docs: completion %s: %w", name, err)
		}
	}
	fmt.Fprintf(a.stderr, "man pages in %s, completions in %s\n", man, comp)
	return nil
}
