package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCIDoc runs the worked example of docs/ci.md and holds the page to
// what aadvisor prints. The page's fenced blocks are read in order:
//
//   - ```sql file=PATH writes PATH; with "append", PATH is its seed (the
//     shop example) followed by a blank line and the block;
//   - ```console runs each "$ " line (aadvisor in this process, jq, and
//     echo $? for the last exit status) and compares stdout then stderr
//     with the lines that follow; a "..." line stands for any lines;
//   - every aadvisor command of a ```yaml block (the CI configurations)
//     must be one of the commands run.
func TestCIDoc(t *testing.T) {
	doc := readFile(t, "../../docs/ci.md")
	seeds := map[string]string{
		"db/schema.sql":  readFile(t, "../../examples/shop/schema.sql"),
		"db/queries.sql": readFile(t, "../../examples/shop/queries.sql"),
	}
	dir := t.TempDir()
	for name, data := range seeds {
		writeDocFile(t, filepath.Join(dir, name), data)
	}
	t.Chdir(dir)
	t.Setenv("NO_COLOR", "1")

	ran := map[string]bool{}
	var configs []string
	last, commands := 0, 0
	for _, b := range fencedBlocks(doc) {
		switch info := strings.Fields(b.info); {
		case len(info) >= 2 && strings.HasPrefix(info[1], "file="):
			name := strings.TrimPrefix(info[1], "file=")
			data := b.body
			if len(info) > 2 && info[2] == "append" {
				data = seeds[name] + "\n" + data
			}
			writeDocFile(t, name, data)
		case len(info) == 1 && info[0] == "console":
			for _, c := range consoleCommands(t, b) {
				args, err := splitShell(c.line)
				if err != nil {
					t.Fatalf("docs/ci.md:%d: %v", c.lineNo, err)
				}
				var got string
				got, last = runDocCommand(t, args, last)
				ran[strings.Join(args, " ")] = true
				commands++
				if !matchLines(c.want, strings.Split(strings.TrimRight(got, "\n"), "\n")) {
					t.Errorf("docs/ci.md:%d: $ %s\nthe page says:\n%s\nit prints:\n%s", c.lineNo, c.line, strings.Join(c.want, "\n"), got)
				}
			}
		case len(info) == 1 && info[0] == "yaml":
			for _, l := range strings.Split(b.body, "\n") {
				l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "- "))
				if l, ok := strings.CutPrefix(l, "run: "); ok {
					l = strings.TrimSpace(l)
					if strings.HasPrefix(l, "aadvisor ") {
						configs = append(configs, l)
					}
				} else if strings.HasPrefix(l, "aadvisor ") {
					configs = append(configs, l)
				}
			}
		}
	}
	if commands < 8 || len(configs) < 2 {
		t.Fatalf("read %d commands and %d CI configuration commands from docs/ci.md", commands, len(configs))
	}
	for _, c := range configs {
		args, err := splitShell(c)
		if err != nil || !ran[strings.Join(args, " ")] {
			t.Errorf("docs/ci.md: the CI configuration runs %q, which the worked example does not (%v)", c, err)
		}
	}
}

func writeDocFile(t *testing.T, name, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

type fenced struct {
	info, body string
	line       int // of the opening fence
}

func fencedBlocks(doc string) []fenced {
	var out []fenced
	var cur *fenced
	var body []string
	for i, l := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(l, "```"):
			cur = &fenced{info: strings.TrimPrefix(l, "```"), line: i + 1}
			body = nil
		case cur != nil && l == "```":
			cur.body = strings.Join(body, "\n") + "\n"
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			body = append(body, l)
		}
	}
	return out
}

type docCommand struct {
	line   string
	lineNo int
	want   []string
}

// consoleCommands splits a console block into commands ("$ ", with "\"
// continuations) and the output each is shown with.
func consoleCommands(t *testing.T, b fenced) []docCommand {
	var out []docCommand
	lines := strings.Split(strings.TrimRight(b.body, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		cmd, ok := strings.CutPrefix(l, "$ ")
		if !ok {
			if len(out) == 0 {
				t.Fatalf("docs/ci.md:%d: output before any command", b.line+1+i)
			}
			out[len(out)-1].want = append(out[len(out)-1].want, l)
			continue
		}
		c := docCommand{lineNo: b.line + 1 + i}
		for strings.HasSuffix(cmd, `\`) && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, `\`) + " " + strings.TrimSpace(lines[i])
		}
		c.line = cmd
		out = append(out, c)
	}
	return out
}

// runDocCommand runs one command of the page and returns what it prints
// (stdout, then stderr) and its exit status.
func runDocCommand(t *testing.T, args []string, last int) (string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	switch args[0] {
	case "aadvisor":
		code := run(context.Background(), args[1:], nil, &out, &errb)
		return out.String() + errb.String(), code
	case "echo":
		if len(args) == 2 && args[1] == "$?" {
			return fmt.Sprintln(last), 0
		}
	case "jq":
		jq, err := exec.LookPath("jq")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("jq required in CI: %v", err)
			}
			t.Skipf("no jq: %v", err)
		}
		cmd := exec.Command(jq, args[1:]...)
		cmd.Stdout, cmd.Stderr = &out, &errb
		err = cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return out.String() + errb.String(), cmd.ProcessState.ExitCode()
	}
	t.Fatalf("docs/ci.md runs %q, which this test cannot run", strings.Join(args, " "))
	return "", 0
}

// matchLines compares output lines with the page's; a "..." line of the
// page stands for any number of lines.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 1 && got[0] == ""
	}
	if want[0] == "..." {
		if len(want) == 1 {
			return true
		}
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	if len(got) == 0 || strings.TrimRight(got[0], " ") != strings.TrimRight(want[0], " ") {
		return false
	}
	if len(want) == 1 {
		return len(got) == 1
	}
	return matchLines(want[1:], got[1:])
}

// splitShell splits a command line as a POSIX shell would, for the
// quoting the page uses: single quotes, double quotes, backslashes.
func splitShell(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`, s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated \" in %q", s)
			}
			inWord = true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, errors.New("empty command")
	}
	return args, nil
}
