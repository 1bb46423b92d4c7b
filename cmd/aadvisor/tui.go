package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/assess/decide"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/huh"
	"github.com/charmbracelet/lipgloss"
)

// fieldMode says how a question's field is presented.
type fieldMode struct {
	// accessible: huh's accessible mode, which does not show defaults: the
	// title shows the value Enter keeps, in brackets.
	accessible bool
	// typed: a number with presets (the availability target) is typed,
	// after "another value" was chosen among the presets.
	typed bool
}

// otherValue is the preset entry that asks to type a number instead.
const otherValue = "\x00other"

// errTyped says the person chose to type a value: ask again with a typed
// field (fieldMode.typed).
var errTyped = errors.New("type the value")

// placeholders are the examples shown in empty text fields, per question
// (by kind when a question has none of its own).
var placeholders = map[string]string{
	"write_regions":      "us-east-1=60, eu-west-1=40",
	"rtt_ms":             "us-east-1/eu-west-1=80 (ms; optional)",
	"region_distance_km": "plant-a/plant-b=450 (km; optional)",
	"residency_regions":  "eu, de, ap-southeast-2 (comma-separated)",
	"slo_target":         "99.97",
}

func placeholder(q decide.Question) string {
	if p, ok := placeholders[q.ID]; ok {
		return p
	}
	switch q.Kind {
	case decide.KindRegions:
		return "regionA=60, regionB=40"
	case decide.KindNumberMap:
		return "a/b=value (optional)"
	case decide.KindTextList:
		return "comma-separated"
	}
	return ""
}

// questionField builds the huh field for q, preset to the current answer
// (or the default). get returns the typed value, or nil to leave q unset.
// A required question without an answer has nothing preselected: Enter
// alone does not pick its first option.
func questionField(q decide.Question, cur decide.Answers, mode fieldMode) (huh.Field, func() (any, error)) {
	v, has := cur.Get(q.ID)
	title := q.Prompt
	desc := q.Help
	if q.Required {
		title += " (required)"
	}
	unanswered := q.Required && !has
	keep := func(shown string) {
		// accessible mode: say what Enter keeps
		if mode.accessible && !unanswered && shown != "" {
			title += " [" + shown + "]"
		}
	}
	convert := func(s string) (any, error) {
		s = strings.TrimSpace(s)
		if s == "" {
			if q.Required {
				return nil, errors.New("an answer is required")
			}
			return nil, nil
		}
		val, err := decide.ParseText(q, s)
		if err != nil {
			return nil, err
		}
		tmp := decide.NewAnswers()
		if err := tmp.Set(q.ID, val); err != nil {
			return nil, errors.New(strings.TrimPrefix(err.Error(), q.ID+": "))
		}
		return val, nil
	}
	// choose builds a select over opts; in the full-screen UI an
	// unanswered required question starts on a "choose one" entry.
	choose := func(opts []huh.Option[string], s *string) *huh.Select[string] {
		f := huh.NewSelect[string]().Title(title).Description(desc)
		switch {
		case unanswered && mode.accessible:
			// no default: huh asks for a number until one is given
			return f.Options(opts...)
		case unanswered:
			opts = append([]huh.Option[string]{huh.NewOption("choose one (↑/↓, then enter)", "")}, opts...)
		}
		return f.Options(opts...).Value(s)
	}
	selected := func(f *huh.Select[string], s *string) string {
		if unanswered && mode.accessible {
			v, _ := f.GetValue().(string)
			return v
		}
		return *s
	}
	switch {
	case q.Kind == decide.KindSelect:
		s, _ := v.(string)
		opts := make([]huh.Option[string], len(q.Options))
		for i, o := range q.Options {
			opts[i] = huh.NewOption(o.Label, o.Value)
			if o.Value == s {
				keep(o.Label)
			}
		}
		f := choose(opts, &s)
		return f, func() (any, error) {
			if got := selected(f, &s); got != "" {
				return got, nil
			}
			return convert("")
		}
	case q.Kind == decide.KindNumber && len(q.Options) > 0 && !mode.typed:
		s := ""
		if f, ok := v.(float64); ok {
			s = strconv.FormatFloat(f, 'f', -1, 64)
		}
		opts := make([]huh.Option[string], 0, len(q.Options)+2)
		found := false
		for _, o := range q.Options {
			opts = append(opts, huh.NewOption(o.Label, o.Value))
			found = found || o.Value == s
		}
		if s != "" && !found {
			opts = append(opts, huh.NewOption(s+"% (your answer)", s))
		}
		opts = append(opts, huh.NewOption("another value (type it)", otherValue))
		keep(s)
		f := choose(opts, &s)
		return f, func() (any, error) {
			got := selected(f, &s)
			if got == otherValue {
				return nil, errTyped
			}
			return convert(got)
		}
	case q.Kind == decide.KindMultiSelect:
		ss, _ := v.([]string)
		ss = append([]string(nil), ss...)
		opts := make([]huh.Option[string], len(q.Options))
		for i, o := range q.Options {
			opts[i] = huh.NewOption(o.Label, o.Value)
		}
		// validated on submit (in get): huh validates multi-selects on every
		// keystroke, which would flag an empty required answer before any input
		f := huh.NewMultiSelect[string]().Title(title).Description(desc + " (space or x toggles, enter confirms)").Options(opts...).Value(&ss)
		return f, func() (any, error) {
			if len(ss) == 0 {
				if q.Required {
					return nil, errors.New("pick at least one (space toggles)")
				}
				return nil, nil
			}
			tmp := decide.NewAnswers()
			if err := tmp.Set(q.ID, ss); err != nil {
				return nil, errors.New(strings.TrimPrefix(err.Error(), q.ID+": "))
			}
			return ss, nil
		}
	case q.Kind == decide.KindBool:
		b, _ := v.(bool)
		f := huh.NewConfirm().Title(title).Description(desc).Affirmative("Yes").Negative("No").Value(&b)
		return f, func() (any, error) { return b, nil }
	default:
		s := decide.FormatValue(q, v)
		keep(s)
		f := huh.NewInput().Title(title).Description(desc).Value(&s).Validate(func(s string) error { _, err := convert(s); return err })
		if p := placeholder(q); p != "" {
			f.Placeholder(p)
		}
		return f, func() (any, error) { return convert(s) }
	}
}

// lineReader hands out one line per Read so that huh's accessible prompts,
// which wrap the input in a fresh bufio.Scanner each time, never swallow the
// answers to later questions.
type lineReader struct {
	r    *bufio.Reader
	rest []byte
	eof  bool
}

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReader(r)} }

func (l *lineReader) Read(p []byte) (int, error) {
	if len(l.rest) == 0 {
		line, err := l.r.ReadBytes('\n')
		if len(line) == 0 && err != nil {
			l.eof = true
			return 0, err
		}
		l.rest = line
	}
	n := copy(p, l.rest)
	l.rest = l.rest[n:]
	return n, nil
}

// accessiblePrompter asks each question with a huh field in accessible mode:
// plain numbered prompts, no redrawing, for screen readers and scripts.
type accessiblePrompter struct {
	in      *lineReader
	out     io.Writer
	section string
	n       int
}

func (p *accessiblePrompter) Ask(q decide.Question, cur decide.Answers) (any, error) {
	if p.in.eof {
		return nil, decide.ErrStop
	}
	if q.Section != p.section {
		p.section = q.Section
		fmt.Fprintf(p.out, "\n== %s (section %d of %d) ==\n", q.Section, sectionIndex(q.Section)+1, len(decide.Sections))
	}
	p.n++
	fmt.Fprintf(p.out, "\n[%d] Why it matters: %s\n", p.n, q.Help)
	mode := fieldMode{accessible: true}
	for {
		field, get := questionField(q, cur, mode)
		if err := huh.NewForm(huh.NewGroup(field)).WithAccessible(true).WithInput(p.in).WithOutput(p.out).Run(); err != nil {
			return nil, err
		}
		if p.in.eof {
			return nil, decide.ErrStop
		}
		v, err := get()
		switch {
		case err == nil:
			return v, nil
		case errors.Is(err, errTyped):
			mode.typed = true
			continue
		}
		fmt.Fprintf(p.out, "%s\n", err)
	}
}

func sectionIndex(s string) int {
	for i, x := range decide.Sections {
		if x == s {
			return i
		}
	}
	return 0
}

// askModel is the interactive questionnaire: one question at a time with its
// help, progress through the sections, back and forward, a side panel with
// the running downtime budget and the current leaning, and a final screen
// with the recommendation.
type askModel struct {
	ans     decide.Answers
	in      decide.Inputs
	idx     int   // current question (index into decide.Bank), -1 before the first
	history []int // questions answered, for going back
	form    *huh.Form
	get     func() (any, error)
	typed   bool // the current number with presets is typed (see fieldMode)

	final   bool
	rec     *decide.Recommendation
	lines   []string
	scroll  int
	status  string
	width   int
	height  int
	done    bool // accepted on the final screen
	aborted bool
	styles  askStyles
}

type askStyles struct {
	title, dim, panel, active, bad, good lipgloss.Style
}

func newAskStyles(color bool) askStyles {
	if !color {
		p := lipgloss.NewStyle().Border(lipgloss.NormalBorder()).Padding(0, 1)
		return askStyles{title: lipgloss.NewStyle(), dim: lipgloss.NewStyle(), panel: p, active: lipgloss.NewStyle(), bad: lipgloss.NewStyle(), good: lipgloss.NewStyle()}
	}
	return askStyles{
		title:  lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")),
		dim:    lipgloss.NewStyle().Foreground(lipgloss.Color("8")),
		panel:  lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color("8")).Padding(0, 1),
		active: lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("10")),
		bad:    lipgloss.NewStyle().Foreground(lipgloss.Color("9")),
		good:   lipgloss.NewStyle().Foreground(lipgloss.Color("10")),
	}
}

const panelWidth = 38

func newAskModel(start decide.Answers, in decide.Inputs, color bool) *askModel {
	m := &askModel{ans: start, in: in, idx: -1, width: 100, height: 30, styles: newAskStyles(color)}
	m.next()
	return m
}

// relevant reports whether question i applies given the answers so far.
func (m *askModel) relevant(i int) bool {
	q := decide.Bank[i]
	return q.Ask == nil || q.Ask(m.ans)
}

func (m *askModel) open(i int) tea.Cmd {
	if i != m.idx {
		m.typed = false
	}
	m.idx = i
	m.final = false
	field, get := questionField(decide.Bank[i], m.ans, fieldMode{typed: m.typed})
	m.get = get
	m.form = huh.NewForm(huh.NewGroup(field)).WithShowHelp(true).WithWidth(m.formWidth())
	m.fitForm()
	return m.form.Init()
}

// fitForm limits the question's height to the room the screen has, when
// it needs more (a long list scrolls then); a shorter one keeps its own
// height, leaving room for the side panel below it.
func (m *askModel) fitForm() {
	if h := m.formHeight(); h > 0 && lineCount(strings.TrimRight(m.form.View(), "\n")) > h {
		m.form = m.form.WithHeight(h)
	}
}

// Screen layout: the title and the progress lines on top, the key help
// and the status line at the bottom; the question (and, when there is
// room, the side panel) in between. Everything fits the terminal, so the
// top lines never scroll away (bubbletea shows the last lines of a view
// taller than the screen).
const (
	headerLines = 3 // title, progress, blank
	footerLines = 2 // key help, status
	narrowWidth = 90
)

// panelBelow reports whether the side panel goes under the question
// (narrow terminals), where it is shown only if it fits.
func (m *askModel) panelBelow() bool { return m.width < narrowWidth }

// formHeight is the height the question may take (0: no limit).
func (m *askModel) formHeight() int {
	if m.height <= 0 {
		return 0
	}
	return max(6, m.height-headerLines-footerLines)
}

// next moves to the next relevant question, or to the final screen.
func (m *askModel) next() tea.Cmd {
	for i := m.idx + 1; i < len(decide.Bank); i++ {
		if m.relevant(i) {
			return m.open(i)
		}
	}
	m.showFinal()
	return nil
}

func (m *askModel) back() tea.Cmd {
	if len(m.history) == 0 {
		m.status = "this is the first question"
		return nil
	}
	i := m.history[len(m.history)-1]
	m.history = m.history[:len(m.history)-1]
	return m.open(i)
}

func (m *askModel) showFinal() {
	m.final, m.form, m.scroll = true, nil, 0
	m.rec = nil
	m.lines = nil
	if err := m.ans.Complete(); err != nil {
		m.status = err.Error()
		m.lines = []string{"Some required answers are missing:", "  " + strings.Join(m.ans.Missing(), ", "), "", "Go back (ctrl+b) to answer them."}
		return
	}
	rec, err := decide.Recommend(m.ans, m.in)
	if err != nil {
		m.status = err.Error()
		return
	}
	m.rec = rec
	var b bytes.Buffer
	_ = rec.WriteText(&b)
	m.lines = strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
}

func (m *askModel) formWidth() int {
	w := m.width - panelWidth - 4
	if m.width < 90 {
		w = m.width - 2
	}
	return max(w, 30)
}

func (m *askModel) Init() tea.Cmd {
	if m.form != nil {
		return m.form.Init()
	}
	return nil
}

func (m *askModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		if m.form != nil {
			m.form = m.form.WithWidth(m.formWidth())
			m.fitForm()
		}
	case tea.KeyMsg:
		switch msg.String() {
		case "ctrl+c":
			m.aborted = true
			return m, tea.Quit
		case "ctrl+b", "shift+tab":
			m.status = ""
			if m.final {
				return m, m.reopenLast()
			}
			return m, m.back()
		case "ctrl+f":
			// forward: keep the current (or default) answer if it is valid
			if !m.final && m.get != nil {
				return m, m.accept()
			}
		}
		if m.final {
			return m, m.updateFinal(msg)
		}
	}
	if m.form == nil {
		return m, nil
	}
	fm, cmd := m.form.Update(msg)
	if f, ok := fm.(*huh.Form); ok {
		m.form = f
	}
	switch m.form.State {
	case huh.StateCompleted:
		// drop the finished form's pending commands: they belong to it
		return m, m.accept()
	case huh.StateAborted:
		m.aborted = true
		return m, tea.Quit
	}
	return m, cmd
}

// accept stores the current field's value and moves on.
func (m *askModel) accept() tea.Cmd {
	q := decide.Bank[m.idx]
	v, err := m.get()
	if errors.Is(err, errTyped) {
		m.typed, m.status = true, ""
		return m.open(m.idx)
	}
	if err != nil {
		m.status = q.ID + ": " + err.Error()
		return m.open(m.idx)
	}
	if v == nil {
		m.ans.Unset(q.ID)
	} else if err := m.ans.Set(q.ID, v); err != nil {
		m.status = err.Error()
		return m.open(m.idx)
	}
	m.status = ""
	m.history = append(m.history, m.idx)
	return m.next()
}

func (m *askModel) reopenLast() tea.Cmd {
	if len(m.history) == 0 {
		return nil
	}
	return m.back()
}

func (m *askModel) updateFinal(msg tea.KeyMsg) tea.Cmd {
	switch msg.String() {
	case "enter", "s":
		if m.rec == nil {
			m.status = "nothing to save yet: answer the missing questions first"
			return nil
		}
		m.done = true
		return tea.Quit
	case "q", "esc":
		m.aborted = true
		return tea.Quit
	case "down", "j":
		m.scroll++
	case "up", "k":
		m.scroll = max(0, m.scroll-1)
	case "pgdown", " ":
		m.scroll += m.pageLines()
	case "pgup":
		m.scroll = max(0, m.scroll-m.pageLines())
	}
	return nil
}

func (m *askModel) pageLines() int { return max(5, m.height-6) }

func (m *askModel) View() string {
	if m.done || m.aborted {
		return ""
	}
	var b strings.Builder
	b.WriteString(m.styles.title.Render(fitLine("aadvisor ask — do you really need active-active?", m.width)))
	b.WriteString("\n")
	b.WriteString(m.progress())
	b.WriteString("\n\n")
	if m.final {
		b.WriteString(m.finalView())
	} else {
		left := strings.TrimRight(m.form.View(), "\n")
		panel := m.styles.panel.Width(panelWidth - 2).Render(m.panel())
		room := m.height - headerLines - footerLines
		body := left
		switch {
		case !m.panelBelow():
			body = lipgloss.JoinHorizontal(lipgloss.Top, lipgloss.NewStyle().Width(m.formWidth()+2).Render(left), panel)
		case m.height <= 0 || lineCount(left)+lineCount(panel) <= room:
			body = left + "\n" + panel
		case lineCount(left) < room:
			// no room for the panel: its gist on one line
			body = left + "\n" + m.styles.dim.Render(fitLine(m.panelLine(), m.width))
		}
		if m.height > 0 {
			body = firstLines(body, room)
		}
		b.WriteString(body)
		b.WriteString("\n")
		b.WriteString(m.styles.dim.Render(fitLine("enter next · ctrl+b back · ctrl+f keep & skip · ctrl+c quit", m.width)))
	}
	if m.status != "" {
		b.WriteString("\n" + m.styles.bad.Render(fitLine(m.status, m.width)))
	}
	return b.String()
}

func lineCount(s string) int { return strings.Count(s, "\n") + 1 }

// firstLines keeps the first n lines of s.
func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:max(n, 1)], "\n")
}

// fitLine cuts a line to width cells (no limit when width <= 0).
func fitLine(s string, width int) string {
	if width <= 0 || lipgloss.Width(s) <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && lipgloss.Width(string(r))+1 > width {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// progress shows the sections with the current one marked, and the
// position; on a narrow terminal the marks alone and the current section
// by name.
func (m *askModel) progress() string {
	cur := ""
	if !m.final && m.idx >= 0 {
		cur = decide.Bank[m.idx].Section
	}
	var parts, marks []string
	for _, s := range decide.Sections {
		mark := "○"
		switch {
		case m.final || (cur != "" && sectionIndex(s) < sectionIndex(cur)):
			mark = "●"
		case s == cur:
			mark = "◉"
		}
		label := mark + " " + s
		if s == cur {
			label = m.styles.active.Render(label)
			mark = m.styles.active.Render(mark)
		}
		parts = append(parts, label)
		marks = append(marks, mark)
	}
	where := "· recommendation"
	if !m.final {
		n, pos := 0, 0
		for i := range decide.Bank {
			if m.relevant(i) {
				n++
				if i <= m.idx {
					pos++
				}
			}
		}
		where = fmt.Sprintf("· question %d of %d", pos, n)
	}
	line := strings.Join(parts, "  ") + "  " + m.styles.dim.Render(where)
	if m.width <= 0 || lipgloss.Width(line) <= m.width {
		return line
	}
	name := "recommendation"
	if cur != "" {
		name = fmt.Sprintf("%s (section %d of %d)", cur, sectionIndex(cur)+1, len(decide.Sections))
	}
	return strings.Join(marks, " ") + "  " + m.styles.active.Render(name) + "  " + m.styles.dim.Render(where)
}

// panelLine is the side panel in one line, for narrow terminals.
func (m *askModel) panelLine() string {
	prov, missing := decide.Provisional(m.ans)
	var parts []string
	if m.ans.IsSet("slo_target") {
		d := decide.Derive(prov, m.in.Thresholds)
		parts = append(parts, "budget "+decide.FormatMinutes(d.BudgetYearMin)+"/year")
	}
	if rec, err := decide.Recommend(prov, m.in); err == nil {
		lean := "leaning " + string(rec.Design)
		if missing > 0 {
			lean += " (provisional)"
		}
		parts = append(parts, lean)
	}
	return strings.Join(parts, " · ")
}

// panel is the live side panel: budget, platform, leaning.
func (m *askModel) panel() string {
	th := m.in.Thresholds
	prov, missing := decide.Provisional(m.ans)
	d := decide.Derive(prov, th)
	var b strings.Builder
	b.WriteString(m.styles.title.Render("Downtime budget") + "\n")
	if m.ans.IsSet("slo_target") {
		fmt.Fprintf(&b, "%s%% → %s/year\n", strconv.FormatFloat(d.Availability, 'f', -1, 64), decide.FormatMinutes(d.BudgetYearMin))
		fmt.Fprintf(&b, "         %s/month\n", decide.FormatMinutes(d.BudgetMonthMin))
	} else {
		b.WriteString("target not answered yet\n")
	}
	if m.ans.IsSet("platform") && m.ans.IsSet("slo_target") {
		fmt.Fprintf(&b, "%s fails over in ~%s:\n%s fit a year\n", d.Platform.Name, decide.FormatSeconds(d.Platform.Failover), decide.FormatCount(d.FailoversFit))
		fmt.Fprintf(&b, "in-region need %s/year\n", decide.FormatMinutes(d.InRegionMin))
	}
	for _, r := range d.Remote {
		if r.KnownRTT {
			fmt.Fprintf(&b, "%s: +%.1f ms/write\n", r.Region, r.PenaltyMs)
		}
	}
	b.WriteString("\n" + m.styles.title.Render("Leaning") + "\n")
	rec, err := decide.Recommend(prov, m.in)
	if err != nil {
		b.WriteString("(no leaning yet)\n")
		return b.String()
	}
	fmt.Fprintf(&b, "%s\n%s\n", m.styles.active.Render(string(rec.Design)), rec.Title)
	if missing > 0 {
		b.WriteString(m.styles.dim.Render(fmt.Sprintf("provisional: %d required answer(s) to go", missing)) + "\n")
	}
	good, bad := 0, 0
	for _, r := range rec.Reasons {
		if r.Good && r.Triggered {
			good++
		} else if !r.Good {
			bad++
		}
	}
	if good+bad > 0 {
		fmt.Fprintf(&b, "good reasons %d · bad %d\n", good, bad)
	}
	return b.String()
}

// wrapText breaks a line at spaces to fit width, indenting continuations
// like the line itself (plus two spaces).
func wrapText(line string, width int) []string {
	if width < 20 || lipgloss.Width(line) <= width {
		return []string{line}
	}
	indent := len(line) - len(strings.TrimLeft(line, " "))
	cont := strings.Repeat(" ", indent+2)
	var out []string
	cur := strings.Repeat(" ", indent)
	curW := indent
	for _, w := range strings.Fields(line) {
		ww := lipgloss.Width(w)
		if curW > len(cont) && curW+1+ww > width {
			out = append(out, cur)
			cur, curW = cont+w, len(cont)+ww
			continue
		}
		if strings.TrimSpace(cur) != "" {
			cur += " "
			curW++
		}
		cur += w
		curW += ww
	}
	return append(out, cur)
}

func (m *askModel) wrapped() []string {
	var out []string
	for i, l := range m.lines {
		for j, w := range wrapText(l, m.width-1) {
			if i == 0 && j == 0 {
				w = "\x00" + w // marks the headline for styling
			}
			out = append(out, w)
		}
	}
	return out
}

func (m *askModel) finalView() string {
	h := m.pageLines()
	lines := m.wrapped()
	m.scroll = min(m.scroll, max(0, len(lines)-1))
	end := min(len(lines), m.scroll+h)
	var b strings.Builder
	for _, l := range lines[m.scroll:end] {
		switch {
		case strings.HasPrefix(l, "\x00"):
			l = m.styles.active.Render(l[1:])
		case strings.HasPrefix(l, "  ✗"):
			l = m.styles.bad.Render(l)
		case strings.HasPrefix(l, "  ✓"):
			l = m.styles.good.Render(l)
		}
		b.WriteString(l + "\n")
	}
	more := ""
	if end < len(lines) {
		more = fmt.Sprintf(" · ↓ %d more lines", len(lines)-end)
	}
	b.WriteString(m.styles.dim.Render("enter accept & save · ctrl+b back to the questions · ↑/↓/space scroll · q quit without saving" + more))
	return b.String()
}
