package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/assess/decide"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// drive feeds msg to the model and runs the commands it returns, feeding
// their messages back, as the bubbletea runtime would. Commands that do not
// answer within 50 ms (cursor blinks, ticks) are dropped.
func drive(t *testing.T, m *askModel, msg tea.Msg) {
	t.Helper()
	queue := []tea.Msg{msg}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > 500 {
			t.Fatal("model does not settle")
		}
		msg := queue[0]
		queue = queue[1:]
		if msg == nil {
			continue
		}
		if b, ok := msg.(tea.BatchMsg); ok {
			for _, c := range b {
				queue = append(queue, runCmd(c))
			}
			continue
		}
		// tea.Sequence yields an unexported []tea.Cmd
		if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf((tea.Cmd)(nil)) {
			for i := 0; i < v.Len(); i++ {
				queue = append(queue, runCmd(v.Index(i).Interface().(tea.Cmd)))
			}
			continue
		}
		if _, ok := msg.(tea.QuitMsg); ok {
			continue
		}
		_, cmd := m.Update(msg)
		queue = append(queue, runCmd(cmd))
	}
}

// runCmdWait is how long runCmd waits for a command's message. A command
// that takes longer is a timer (the cursor blinks every 530 ms) and its
// message is dropped; on a loaded machine a command that only computes
// can take tens of milliseconds to be scheduled, and at 50 ms its message
// was dropped too (TestAskRequiredNotPreselected failed so under load).
const runCmdWait = 200 * time.Millisecond

func runCmd(c tea.Cmd) tea.Msg {
	if c == nil {
		return nil
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- c() }()
	select {
	case msg := <-ch:
		return msg
	case <-time.After(runCmdWait):
		return nil
	}
}

func key(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "ctrl+b":
		return tea.KeyMsg{Type: tea.KeyCtrlB}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func profile(t *testing.T, name string) decide.Answers {
	t.Helper()
	a, err := decide.ReadAnswers("../../assess/decide/testdata/profiles/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newTestModel(t *testing.T, a decide.Answers) *askModel {
	m := newAskModel(a, decide.Inputs{Thresholds: decide.DefaultThresholds()}, false)
	drive(t, m, tea.WindowSizeMsg{Width: 120, Height: 40})
	drive(t, m, m.Init()())
	return m
}

func TestAskModelWalkToRecommendation(t *testing.T) {
	m := newTestModel(t, profile(t, "sp2-manual-dr.yaml"))
	v := m.View()
	for _, want := range []string{"question 1 of", "What availability target", "Downtime budget", "99.99% → 52.6 min/year", "CloudNativePG fails over in ~60 s", "52 fit a year", "Leaning", "SP-2"} {
		if !strings.Contains(v, want) {
			t.Errorf("first screen lacks %q:\n%s", want, v)
		}
	}
	// Enter accepts each preset answer; the last Enter leads to the final screen.
	for i := 0; i < 60 && !m.final; i++ {
		drive(t, m, key("enter"))
		if m.status != "" {
			t.Fatalf("question %s: %s", decide.Bank[m.idx].ID, m.status)
		}
	}
	if !m.final || m.rec == nil || m.rec.Design != decide.SP2 {
		t.Fatalf("final = %v rec = %+v\n%s", m.final, m.rec, m.View())
	}
	v = m.View()
	if !strings.Contains(v, "Recommendation: SP-2") || !strings.Contains(v, "enter accept & save") {
		t.Errorf("final screen:\n%s", v)
	}
	// Back from the final screen returns to the last question.
	drive(t, m, key("ctrl+b"))
	if m.final || decide.Bank[m.idx].ID != "planned_switchovers_per_year" {
		t.Fatalf("back went to %s (final %v)", decide.Bank[m.idx].ID, m.final)
	}
	drive(t, m, key("enter"))
	drive(t, m, key("enter"))
	if !m.done {
		t.Fatal("enter on the final screen should accept")
	}
	if m.View() != "" {
		t.Error("view should be empty after accepting")
	}
}

func TestAskModelAnswersAndBack(t *testing.T) {
	m := newTestModel(t, decide.NewAnswers())
	// Nothing is chosen yet; 99.9 is first: move down three times to 99.99.
	drive(t, m, key("down"))
	drive(t, m, key("down"))
	drive(t, m, key("down"))
	drive(t, m, key("enter"))
	if got := m.ans.Number("slo_target"); got != 99.99 {
		t.Fatalf("slo_target = %v", got)
	}
	if decide.Bank[m.idx].ID != "slo_window" {
		t.Fatalf("now at %s", decide.Bank[m.idx].ID)
	}
	if v := m.View(); !strings.Contains(v, "52.6 min/year") || !strings.Contains(v, "question 2 of") {
		t.Errorf("panel does not follow the answer:\n%s", v)
	}
	drive(t, m, key("ctrl+b"))
	if decide.Bank[m.idx].ID != "slo_target" {
		t.Fatalf("back went to %s", decide.Bank[m.idx].ID)
	}
	drive(t, m, key("enter")) // keeps 99.99
	drive(t, m, key("enter")) // window: year (default)
	drive(t, m, key("enter")) // maintenance counts: yes
	// failure_domain: nothing selected → error, stays.
	drive(t, m, key("enter"))
	if decide.Bank[m.idx].ID != "failure_domain" || !strings.Contains(m.status, "pick at least one") {
		t.Fatalf("at %s, status %q", decide.Bank[m.idx].ID, m.status)
	}
	if !strings.Contains(m.View(), "pick at least one") {
		t.Error("error not shown")
	}
	drive(t, m, key("space")) // node
	drive(t, m, key("down"))
	drive(t, m, key("down"))
	drive(t, m, key("space")) // region
	drive(t, m, key("enter"))
	if diff := m.ans.List("failure_domain"); len(diff) != 2 || !m.ans.Has("failure_domain", decide.DomainRegion) {
		t.Fatalf("failure_domain = %v", diff)
	}
	// region loss makes rto_region relevant
	if decide.Bank[m.idx].ID != "rto_region" {
		t.Fatalf("now at %s, want rto_region", decide.Bank[m.idx].ID)
	}
	drive(t, m, key("ctrl+c"))
	if !m.aborted {
		t.Error("ctrl+c should abort")
	}
}

func TestAskModelRequiredText(t *testing.T) {
	a := decide.NewAnswers()
	m := newTestModel(t, a)
	for decide.Bank[m.idx].ID != "write_regions" {
		drive(t, m, key("enter"))
		switch {
		case m.status == "":
		case decide.Bank[m.idx].ID == "failure_domain":
			drive(t, m, key("space"))
			drive(t, m, key("enter"))
		default: // a required choice: take the first option
			drive(t, m, key("down"))
			drive(t, m, key("enter"))
		}
	}
	drive(t, m, key("enter")) // empty
	if decide.Bank[m.idx].ID != "write_regions" {
		t.Fatalf("empty required answer accepted; now at %s", decide.Bank[m.idx].ID)
	}
	for _, r := range "us-east-1=70, eu-west-1=30" {
		drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	drive(t, m, key("enter"))
	if got := m.ans.Regions(); len(got) != 2 || got[0].Share != 70 {
		t.Fatalf("regions = %+v (status %q)", got, m.status)
	}
}

// huh in accessible mode, driven through WithInput/WithOutput by the prompter.
func TestAccessiblePrompter(t *testing.T) {
	start := profile(t, "5.1-saas-cool.yaml")
	start.Unset("slo_target")
	start.Unset("team")
	start.Unset("failure_domain")
	// answer every optional question that has a default, so that only the
	// three unset required ones and the default-less optional texts are asked
	for _, q := range decide.Bank {
		if !q.Required && q.Default != nil && !start.IsSet(q.ID) {
			if err := start.Set(q.ID, q.Default); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := strings.Join([]string{
		"3",     // slo_target: 99.99
		"2",     // failure_domain: toggle AZ
		"1",     // toggle node
		"0",     // confirm
		"",      // primary_region: none
		"",      // rtt_ms: none
		"",      // region_distance_km: none
		"bogus", // team: invalid, re-prompted
		"3",     // team: 24×7
	}, "\n") + "\n"
	var out bytes.Buffer
	p := &accessiblePrompter{in: newLineReader(strings.NewReader(in)), out: &out}
	a, err := decide.Interview(p, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Number("slo_target") != 99.99 || a.String("team") != decide.Team24x7 {
		t.Errorf("slo %v team %q\n%s", a.Number("slo_target"), a.String("team"), out.String())
	}
	if got := a.List("failure_domain"); len(got) != 2 {
		t.Errorf("failure_domain = %v", got)
	}
	for _, want := range []string{"== Availability (section 1 of 6) ==", "Why it matters: Sets the downtime budget", "3. 99.99% (52.6 min/year)", "Invalid: must be a number between 1 and 3"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := a.Complete(); err != nil {
		t.Error(err)
	}
	// Input that ends early stops the interview without an error.
	p2 := &accessiblePrompter{in: newLineReader(strings.NewReader("1\n")), out: &bytes.Buffer{}}
	a2, err := decide.Interview(p2, decide.NewAnswers(), false)
	if err != nil {
		t.Fatal(err)
	}
	if a2.Number("slo_target") != 99.9 || a2.Complete() == nil {
		t.Errorf("early end: slo %v", a2.Number("slo_target"))
	}
}

func TestLineReader(t *testing.T) {
	r := newLineReader(strings.NewReader("one\ntwo\nthree"))
	buf := make([]byte, 2)
	var got []string
	var cur []byte
	for {
		n, err := r.Read(buf)
		cur = append(cur, buf[:n]...)
		if n > 0 && buf[n-1] == '\n' {
			got = append(got, string(cur))
			cur = nil
		}
		if err != nil {
			break
		}
	}
	got = append(got, string(cur))
	if strings.Join(got, "|") != "one\n|two\n|three" || !r.eof {
		t.Errorf("got %q eof %v", got, r.eof)
	}
}

func TestWrapText(t *testing.T) {
	got := wrapText("  • one two three four five six seven eight nine ten", 24)
	want := []string{"  • one two three four", "    five six seven eight", "    nine ten"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q", got)
	}
	if got := wrapText("short", 80); len(got) != 1 || got[0] != "short" {
		t.Errorf("got %q", got)
	}
}

func TestAskModelForwardAndQuit(t *testing.T) {
	m := newTestModel(t, profile(t, "5.4-payments-five-nines.yaml"))
	// ctrl+f keeps the shown answer and moves on, like enter without touching the field
	drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlF})
	if decide.Bank[m.idx].ID != "slo_window" || m.ans.Number("slo_target") != 99.999 {
		t.Fatalf("at %s, slo %v", decide.Bank[m.idx].ID, m.ans.Number("slo_target"))
	}
	for i := 0; i < 60 && !m.final; i++ {
		drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlF})
	}
	if !m.final || m.rec == nil || m.rec.Design != decide.AAHome {
		t.Fatalf("final %v rec %+v", m.final, m.rec)
	}
	first := m.View()
	drive(t, m, key(" ")) // page down
	if m.scroll == 0 || m.View() == first {
		t.Error("space should scroll the recommendation")
	}
	drive(t, m, key("q"))
	if !m.aborted || m.done {
		t.Error("q should quit without saving")
	}
}

// skipTo moves the model forward, keeping answers, to question id.
func skipTo(t *testing.T, m *askModel, id string) {
	t.Helper()
	for i := 0; i < 80 && !m.final && decide.Bank[m.idx].ID != id; i++ {
		drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlF})
	}
	if m.final || decide.Bank[m.idx].ID != id {
		t.Fatalf("never reached %s", id)
	}
}

// Required questions come with nothing chosen: Enter alone does not take
// a risky first option (RPO 0, RDS Multi-AZ, no DBA, 99.9%).
func TestAskRequiredNotPreselected(t *testing.T) {
	start := profile(t, "5.4-payments-five-nines.yaml")
	for _, id := range []string{"slo_target", "rpo_region", "platform", "team"} {
		start.Unset(id)
	}
	m := newTestModel(t, start)
	for _, id := range []string{"slo_target", "rpo_region", "platform", "team"} {
		if decide.Bank[m.idx].ID != id {
			skipTo(t, m, id)
		}
		if v := m.View(); !strings.Contains(v, "choose one") {
			t.Errorf("%s: no empty choice on screen:\n%s", id, v)
		}
		drive(t, m, key("enter"))
		if decide.Bank[m.idx].ID != id || m.ans.IsSet(id) || !strings.Contains(m.status, "an answer is required") {
			t.Fatalf("enter alone on %s: now at %s, answer set %v, status %q", id, decide.Bank[m.idx].ID, m.ans.IsSet(id), m.status)
		}
		drive(t, m, key("down"))
		drive(t, m, key("enter"))
		if !m.ans.IsSet(id) {
			t.Fatalf("%s: choosing an option did not answer it (status %q)", id, m.status)
		}
	}
	// Accessible mode: an empty line is not an answer either.
	var out bytes.Buffer
	p := &accessiblePrompter{in: newLineReader(strings.NewReader("\n2\n")), out: &out}
	q, _ := decide.Lookup("rpo_region")
	v, err := p.Ask(q, decide.NewAnswers())
	if err != nil || v != decide.RPOSecond || !strings.Contains(out.String(), "Invalid") {
		t.Errorf("accessible rpo_region: %v %v\n%s", v, err, out.String())
	}
}

// An availability target other than the presets can be typed.
func TestAskTypedAvailability(t *testing.T) {
	m := newTestModel(t, decide.NewAnswers())
	// choose one, five presets, then "another value"
	for i := 0; i < 6; i++ {
		drive(t, m, key("down"))
	}
	drive(t, m, key("enter"))
	if decide.Bank[m.idx].ID != "slo_target" || !m.typed {
		t.Fatalf("at %s, typed %v, status %q", decide.Bank[m.idx].ID, m.typed, m.status)
	}
	for _, r := range "99.97" {
		drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	drive(t, m, key("enter"))
	if got := m.ans.Number("slo_target"); got != 99.97 || decide.Bank[m.idx].ID != "slo_window" {
		t.Fatalf("slo_target = %v, at %s, status %q", got, decide.Bank[m.idx].ID, m.status)
	}
	// Accessible: the last entry asks for the number.
	var out bytes.Buffer
	p := &accessiblePrompter{in: newLineReader(strings.NewReader("6\n99.97\n")), out: &out}
	q, _ := decide.Lookup("slo_target")
	if v, err := p.Ask(q, decide.NewAnswers()); err != nil || v != 99.97 {
		t.Errorf("accessible typed target: %v %v\n%s", v, err, out.String())
	}
}

// Each free-text question shows its own example: the distance question
// asks for km, not for the round-trip times of the question before it.
func TestAskPlaceholders(t *testing.T) {
	for id, want := range map[string]string{"region_distance_km": "km", "rtt_ms": "ms", "write_regions": "us-east-1=60"} {
		q, _ := decide.Lookup(id)
		f, _ := questionField(q, decide.NewAnswers(), fieldMode{})
		v := f.View()
		if !strings.Contains(v, want) {
			t.Errorf("%s shows %q, want an example with %q", id, v, want)
		}
	}
	dist, _ := decide.Lookup("region_distance_km")
	rtt, _ := decide.Lookup("rtt_ms")
	if placeholder(dist) == placeholder(rtt) {
		t.Errorf("distance and RTT questions share the placeholder %q", placeholder(dist))
	}
}

// On an 80×24 terminal every screen fits: the title, the section bar and
// the progress stay on top of each question.
func TestAskFits80x24(t *testing.T) {
	m := newAskModel(profile(t, "5.4-payments-five-nines.yaml"), decide.Inputs{Thresholds: decide.DefaultThresholds()}, false)
	drive(t, m, tea.WindowSizeMsg{Width: 80, Height: 24})
	drive(t, m, m.Init()())
	for i := 0; i < 80 && !m.final; i++ {
		v := m.View()
		lines := strings.Split(v, "\n")
		if len(lines) > 24 {
			t.Errorf("%s: %d lines on a 24-line terminal", decide.Bank[m.idx].ID, len(lines))
		}
		for _, l := range lines {
			if w := lipgloss.Width(l); w > 80 {
				t.Errorf("%s: a line of %d cells: %q", decide.Bank[m.idx].ID, w, l)
			}
		}
		if !strings.HasPrefix(lines[0], "aadvisor ask") || !strings.Contains(lines[1], decide.Bank[m.idx].Section) || !strings.Contains(lines[1], "question ") {
			t.Errorf("%s: title or progress missing:\n%s", decide.Bank[m.idx].ID, v)
		}
		drive(t, m, tea.KeyMsg{Type: tea.KeyCtrlF})
	}
	if !m.final {
		t.Fatal("did not reach the recommendation")
	}
	if lines := strings.Split(m.View(), "\n"); len(lines) > 24 || !strings.HasPrefix(lines[0], "aadvisor ask") {
		t.Errorf("final screen: %d lines, first %q", len(lines), lines[0])
	}
}

// --accessible shows the value Enter keeps, in brackets, as it says.
func TestAccessibleShowsDefaults(t *testing.T) {
	var out bytes.Buffer
	p := &accessiblePrompter{in: newLineReader(strings.NewReader("\n\n")), out: &out}
	for _, id := range []string{"slo_window", "replication_window_ms"} {
		q, _ := decide.Lookup(id)
		if _, err := p.Ask(q, decide.NewAnswers()); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"Over what window is the target measured? [per year]", "for the conflict model? [100]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
