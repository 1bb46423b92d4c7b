package main

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/spf13/pflag"
)

// ANSI colours for text output; used only when a.color(w) says so.
const (
	colorRed    = "31"
	colorGreen  = "32"
	colorYellow = "33"
	colorBlue   = "34"
	colorBold   = "1"
	colorDim    = "2"
)

// paint wraps s in an ANSI colour when w is a colour terminal.
func (a *app) paint(w io.Writer, s, code string) string {
	if !a.color(w) {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

// progress shows a spinner with msg on stderr while work runs longer than a
// second, when stderr is a terminal. The returned func stops it.
func (a *app) progress(msg string) func() {
	if !isTerminal(a.stderr) {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		frames := `|/-\`
		t := time.NewTimer(time.Second)
		defer t.Stop()
		select {
		case <-done:
			return
		case <-t.C:
		}
		tick := time.NewTicker(120 * time.Millisecond)
		defer tick.Stop()
		start := time.Now().Add(-time.Second)
		for i := 0; ; i++ {
			fmt.Fprintf(a.stderr, "\r%c %s (%.0fs)", frames[i%4], msg, time.Since(start).Seconds())
			select {
			case <-done:
				fmt.Fprint(a.stderr, "\r\x1b[K")
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// outputFlag defines the output file flag as every command spells it,
// -o/--output, and keeps --out, its former spelling on some commands,
// working but hidden. (Not marked deprecated: cobra would print the
// notice on stdout, into the JSON.)
func outputFlag(f *pflag.FlagSet, p *string, def, usage string) {
	f.StringVar(p, "out", def, usage)
	_ = f.MarkHidden("out")
	f.StringVarP(p, "output", "o", def, usage)
}
