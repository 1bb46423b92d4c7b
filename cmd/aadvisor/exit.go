package main

import (
	"errors"
	"fmt"
	"github.com/aadvisor/aadvisor/inspect"
	"strings"
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
	if errors.As(err, &ue) || isCobraUsage(err) {
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

// isCobraUsage recognises cobra's own flag and argument errors.
func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "invalid argument",
		"flag needs an argument", "accepts ", "requires at least", "requires at most", "required flag",
		"if any flags in the group", "none of the others can be"} {
		if strings.Contains(s, p) {
			return true
		}
	}
	return false
}
