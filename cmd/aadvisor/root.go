package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// Release builds ('make dist') stamp the version, the commit and the date
// with the linker: -X main.version=... -X main.commit=... -X main.date=...
// What is not stamped comes from Go's build information; a stamped value
// wins.
var version, commit, date = "", "", ""

// app holds what every command shares: streams, global flags, the logger.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer

	logLevel  string
	logFormat string
	noColor   bool
	noInput   bool

	log *slog.Logger
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	return &app{stdin: stdin, stdout: stdout, stderr: stderr, log: slog.New(slog.DiscardHandler)}
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "aadvisor",
		Short: "Do you really need active-active PostgreSQL? Evidence, a recommendation, and the setup.",
		Long: `aadvisor answers "do you really need active-active (multi-primary) PostgreSQL?" with evidence:
it asks about your goals, audits your schema and workload for multi-primary hazards, forecasts
the conflicts a mesh would have had, recommends the least distributed design that meets the
goals, and stands it up on real nodes with PostgreSQL's own replication or pglogical.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return a.setup()
		},
	}
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		where := strings.TrimPrefix(strings.TrimPrefix(c.CommandPath(), "aadvisor"), " ")
		if where != "" {
			where += ": "
		}
		return usageError{fmt.Errorf("%s%w (see '%s --help')", where, err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	pf.StringVar(&a.logFormat, "log-format", "text", "log format: text, json")
	pf.BoolVar(&a.noColor, "no-color", false, "disable colour (also NO_COLOR)")
	pf.BoolVar(&a.noInput, "no-input", false, "never prompt; take answers from flags and files")

	root.AddCommand(a.versionCommand())
	for _, add := range commands {
		root.AddCommand(add(a))
	}
	root.InitDefaultCompletionCmd() // cobra adds it when it runs; mark its runs too
	markRuns(root)
	return root
}

// commands are added by the files that define them (init functions), so
// each command lives in its own file.
var commands []func(*app) *cobra.Command

func register(f func(*app) *cobra.Command) { commands = append(commands, f) }

func (a *app) setup() error {
	var level slog.Level
	switch strings.ToLower(a.logLevel) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn", "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return usagef("--log-level: unknown level %q (want debug, info, warn or error)", a.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, at slog.Attr) slog.Attr {
		if at.Value.Kind() == slog.KindString {
			at.Value = slog.StringValue(inspect.Redact(at.Value.String()))
		}
		return at
	}}
	switch a.logFormat {
	case "text":
		a.log = slog.New(slog.NewTextHandler(a.stderr, opts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.stderr, opts))
	default:
		return usagef("--log-format: unknown format %q (want text or json)", a.logFormat)
	}
	if os.Getenv("NO_COLOR") != "" {
		a.noColor = true
	}
	return nil
}

// color reports whether w gets ANSI colour: a terminal, and not disabled.
func (a *app) color(w io.Writer) bool {
	if a.noColor || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	return isTerminal(w)
}

// interactive reports whether prompts may be shown.
func (a *app) interactive() bool {
	if a.noInput {
		return false
	}
	return isTerminal(a.stdin) && isTerminal(a.stderr)
}

func isTerminal(v any) bool {
	f, ok := v.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// buildInfo describes this binary: the version and the VCS state Go
// records at build time (go build -buildvcs=auto, as 'make build' does).
type buildInfo struct {
	Version  string `json:"version"`
	Revision string `json:"revision,omitempty"`
	Time     string `json:"time,omitempty"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go,omitempty"`
}

func versionString() string { return readBuildInfo().Version }

func readBuildInfo() buildInfo {
	bi, _ := debug.ReadBuildInfo()
	b := stamped(stampVersion(version, bi), commit, date)
	b.Go = runtime.Version()
	return b
}

// stamped puts the commit and the date a release build stamped (make
// dist, which builds with -buildvcs=false) in place of the build
// information's; the stamped commit says itself whether the tree was
// modified ("-dirty").
func stamped(b buildInfo, commit, date string) buildInfo {
	if commit != "" {
		b.Revision, b.Modified = commit, false
	}
	if date != "" {
		b.Time = date
	}
	return b
}

// stampVersion derives the version from the linker's -X main.version, or
// from the build information: the module version when it is one (a tag,
// or the pseudo-version Go 1.24+ derives from the commit), else "devel"
// with the commit, its date and "+dirty" for uncommitted changes. A build
// without VCS information (go build -buildvcs=false, or from a tree
// without .git) is plain "devel".
func stampVersion(linked string, bi *debug.BuildInfo) buildInfo {
	var out buildInfo
	if bi != nil {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				out.Revision = s.Value
			case "vcs.time":
				out.Time = s.Value
			case "vcs.modified":
				out.Modified = s.Value == "true"
			}
		}
	}
	switch {
	case linked != "":
		out.Version = linked
	case bi != nil && bi.Main.Version != "" && bi.Main.Version != "(devel)":
		out.Version = bi.Main.Version
		if out.Modified && !strings.HasSuffix(out.Version, "+dirty") {
			out.Version += "+dirty"
		}
	case out.Revision != "":
		out.Version = "devel-" + out.Revision[:min(12, len(out.Revision))]
		if out.Time != "" {
			out.Version += "-" + strings.NewReplacer("-", "", ":", "", "T", "", "Z", "").Replace(out.Time)
		}
		if out.Modified {
			out.Version += "+dirty"
		}
	default:
		out.Version = "devel"
	}
	return out
}

func (a *app) versionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case "text":
				b := readBuildInfo()
				var parts []string
				if b.Revision != "" {
					c := "commit " + b.Revision
					if b.Modified {
						c += " (modified)"
					}
					parts = append(parts, c)
				}
				if b.Time != "" {
					parts = append(parts, "built "+b.Time)
				}
				parts = append(parts, b.Go)
				fmt.Fprintf(a.stdout, "aadvisor %s (%s)\n", b.Version, strings.Join(parts, ", "))
			case "json":
				b, err := json.Marshal(struct {
					SchemaVersion int `json:"schema_version"`
					buildInfo
				}{1, readBuildInfo()})
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "%s\n", b)
			default:
				return usagef("--format: unknown format %q (want text or json)", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json")
	return cmd
}
