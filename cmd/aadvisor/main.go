// Command aadvisor answers "do you really need active-active PostgreSQL?"
// with evidence, and builds what it recommends.
//
// It owns the command line (cobra), the terminal UI, flags, input files
// and exit codes, and calls the packages that do the work: assess (the
// audit, the forecast and the decision), rules, inspect and its readers,
// replicate. No package imports it, and it holds no domain logic; the
// import directions are written once, in layout_test.go.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal asks the command to stop; a second one ends the
	// process at once, also while it waits on what no context reaches (a
	// FIFO without a writer, a hung file system).
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program; tests call it with buffers.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	root := app.rootCommand()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return app.exit(err)
}
