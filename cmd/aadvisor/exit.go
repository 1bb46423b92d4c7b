package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/spf13/cobra"
)

// Exit codes: stable, for CI gating.
const (
	exitOK       = 0
	exitRuntime  = 1 // the work could not be done (server down, I/O)
	exitUsage    = 2 // bad flags, bad input files
	exitFindings = 3 // findings at or above --fail-on
)

// usageError marks bad input: exit code 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// asUsage wraps err as a usage error (nil stays nil).
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// findingsError reports that findings crossed the --fail-on threshold.
type findingsError struct {
	count     int
	threshold string
}

func (e findingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above --fail-on=%s", e.count, e.threshold)
}

// silentError carries an exit code without printing anything more.
type silentError struct{ code int }

func (e silentError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// runError is an error a command's run returned (markRuns): the work
// failed, exit 1, unless it says otherwise (usageError, findingsError,
// silentError). Any error cobra returns without one comes before a
// command runs (an unknown command, wrong arguments, a missing or
// conflicting flag): bad usage, exit 2.
type runError struct{ err error }

func (e runError) Error() string { return e.err.Error() }
func (e runError) Unwrap() error { return e.err }

// markRuns makes every command under c return its run's errors as
// runError.
func markRuns(c *cobra.Command) {
	if run := c.RunE; run != nil {
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if err := run(cmd, args); err != nil {
				return runError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markRuns(sub)
	}
}

// exit prints err once, on one line, and maps it to the exit code.
func (a *app) exit(err error) int {
	if err == nil {
		return exitOK
	}
	var se silentError
	if errors.As(err, &se) {
		return se.code
	}
	var fe findingsError
	if errors.As(err, &fe) {
		fmt.Fprintf(a.stderr, "aadvisor: %s\n", fe.Error())
		return exitFindings
	}
	msg := cutMessage(inspect.Redact(oneLine(err.Error())))
	fmt.Fprintf(a.stderr, "aadvisor: %s\n", msg)
	var ue usageError
	var re runError
	if errors.As(err, &ue) || !errors.As(err, &re) {
		return exitUsage
	}
	return exitRuntime
}

// maxMessage is the longest error line printed: the place and the problem
// fit in it, a value someone pasted megabytes of does not.
const maxMessage = 1000

// cutMessage cuts a message to maxMessage characters, saying how long it
// was.
func cutMessage(s string) string {
	r := []rune(s)
	if len(r) <= maxMessage {
		return s
	}
	return fmt.Sprintf("%s… (message cut: %d characters)", string(r[:maxMessage]), len(r))
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
