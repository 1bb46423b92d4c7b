package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/spf13/cobra"
)

// meshDash is the `mesh status --watch` dashboard: a topology matrix of
// nodes and links coloured by health, lag sparklines, conflict counters
// and the last events.
type meshDash struct {
	collect  func(context.Context) *replicate.Status
	interval time.Duration
	ctx      context.Context

	st      *replicate.Status
	lag     map[string][]float64 // link -> recent lag bytes
	events  []replicate.Event
	width   int
	color   bool
	paused  bool
	polls   int
	quitted bool
}

type dashStatusMsg struct{ st *replicate.Status }
type dashTickMsg struct{}

const dashHistory = 30

func newMeshDash(ctx context.Context, collect func(context.Context) *replicate.Status, interval time.Duration, color bool) *meshDash {
	return &meshDash{ctx: ctx, collect: collect, interval: interval, color: color, lag: map[string][]float64{}, width: 100}
}

func (m *meshDash) fetch() tea.Cmd {
	return func() tea.Msg { return dashStatusMsg{m.collect(m.ctx)} }
}

func (m *meshDash) Init() tea.Cmd { return m.fetch() }

func (m *meshDash) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch msg.String() {
		case "q", "ctrl+c", "esc":
			m.quitted = true
			return m, tea.Quit
		case "r":
			return m, m.fetch()
		case "p", " ":
			m.paused = !m.paused
			if !m.paused {
				return m, m.fetch()
			}
		}
	case tea.WindowSizeMsg:
		m.width = msg.Width
	case dashTickMsg:
		if m.paused {
			return m, nil
		}
		return m, m.fetch()
	case dashStatusMsg:
		m.apply(msg.st)
		return m, tea.Tick(m.interval, func(time.Time) tea.Msg { return dashTickMsg{} })
	}
	return m, nil
}

// apply records a new snapshot: lag history and events.
func (m *meshDash) apply(st *replicate.Status) {
	if st == nil {
		return
	}
	m.polls++
	m.events = append(m.events, replicate.Changes(m.st, st)...)
	if len(m.events) > 50 {
		m.events = m.events[len(m.events)-50:]
	}
	for _, l := range st.Links {
		k := l.From + "->" + l.To
		v := 0.0
		if l.LagBytes != nil {
			v = float64(*l.LagBytes)
		}
		h := append(m.lag[k], v)
		if len(h) > dashHistory {
			h = h[len(h)-dashHistory:]
		}
		m.lag[k] = h
	}
	m.st = st
}

func (m *meshDash) style(s, color string) string {
	if !m.color {
		return s
	}
	return lipgloss.NewStyle().Foreground(lipgloss.Color(color)).Render(s)
}

func (m *meshDash) bold(s string) string {
	if !m.color {
		return s
	}
	return lipgloss.NewStyle().Bold(true).Render(s)
}

const (
	dashGreen  = "2"
	dashYellow = "3"
	dashRed    = "1"
	dashGrey   = "8"
)

func linkColor(l replicate.LinkStatus) string {
	switch l.State {
	case replicate.LinkStreaming:
		if l.LagBytes != nil && *l.LagBytes > 16<<20 {
			return dashYellow
		}
		return dashGreen
	case replicate.LinkCatchup, replicate.LinkInitializing:
		return dashYellow
	case replicate.LinkDisabled:
		return dashGrey
	}
	return dashRed
}

func linkMark(l replicate.LinkStatus) string {
	switch linkColor(l) {
	case dashGreen:
		return "●"
	case dashYellow:
		return "◐"
	case dashGrey:
		return "○"
	}
	return "✖"
}

// sparkline draws values scaled to their maximum.
func sparkline(vals []float64, width int) string {
	const bars = "▁▂▃▄▅▆▇█"
	runes := []rune(bars)
	if len(vals) > width {
		vals = vals[len(vals)-width:]
	}
	var top float64
	for _, v := range vals {
		top = max(top, v)
	}
	var b strings.Builder
	for i := len(vals); i < width; i++ {
		b.WriteRune(' ')
	}
	for _, v := range vals {
		k := 0
		if top > 0 {
			k = int(v / top * float64(len(runes)-1))
		}
		b.WriteRune(runes[k])
	}
	return b.String()
}

func (m *meshDash) View() string {
	if m.quitted {
		return ""
	}
	var b strings.Builder
	if m.st == nil {
		return "reading the mesh...\n"
	}
	st := m.st
	state := "ok"
	stateColor := dashGreen
	if len(st.Alarms) > 0 {
		state, stateColor = fmt.Sprintf("%d alarm(s)", len(st.Alarms)), dashRed
	} else {
		for _, l := range st.Links {
			if l.State != replicate.LinkStreaming {
				state, stateColor = "degraded", dashYellow
			}
		}
	}
	paused := ""
	if m.paused {
		paused = "  [paused]"
	}
	fmt.Fprintf(&b, "%s  %s · %s%s  %s  %s%s\n\n", m.bold("aadvisor mesh"), st.Kind, st.Engine, dbSuffix(st.Database),
		m.style(state, stateColor), st.Time.Format("15:04:05Z"), paused)

	// Nodes.
	var boxes []string
	for _, n := range st.Nodes {
		mark, col, info := "●", dashGreen, n.Version
		if !n.Up {
			mark, col, info = "✖", dashRed, "down"
		}
		conf := "conflicts " + replicate.CountText(n.Conflicts)
		boxes = append(boxes, m.style(mark+" "+n.Name, col)+" "+info+" · "+conf)
	}
	b.WriteString("nodes   " + strings.Join(boxes, "   ") + "\n\n")

	// Topology matrix: rows publish, columns subscribe.
	nameW := 6
	for _, n := range st.Nodes {
		nameW = max(nameW, len(n.Name))
	}
	cellW := max(nameW, 9) + 2
	byPair := map[string]replicate.LinkStatus{}
	for _, l := range st.Links {
		byPair[l.From+"->"+l.To] = l
	}
	fmt.Fprintf(&b, "%-*s", nameW+4, "from\\to")
	for _, n := range st.Nodes {
		fmt.Fprintf(&b, "%-*s", cellW, n.Name)
	}
	b.WriteString("\n")
	for _, from := range st.Nodes {
		fmt.Fprintf(&b, "%-*s", nameW+4, from.Name)
		for _, to := range st.Nodes {
			l, ok := byPair[from.Name+"->"+to.Name]
			cell := "·"
			if from.Name == to.Name {
				cell = " "
			} else if ok {
				cell = linkMark(l) + " " + replicate.BytesText(l.LagBytes)
			}
			pad := cellW - lipgloss.Width(cell)
			if ok {
				cell = m.style(cell, linkColor(l))
			}
			b.WriteString(cell + strings.Repeat(" ", max(pad, 1)))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")

	// Links with sparklines.
	fmt.Fprintf(&b, "%-*s %-11s %9s %6s %9s %-*s %s\n", 2*nameW+4, "link", "state", "lag", "lag s", "retained", dashHistory, "lag history", "conflicts")
	for _, l := range st.Links {
		sec := "-"
		if l.LagSeconds != nil {
			sec = fmt.Sprintf("%.1f", *l.LagSeconds)
		}
		conf := replicate.CountText(l.Conflicts)
		if len(l.ConflictsByType) > 0 {
			conf += " " + replicate.FormatConflicts(l.ConflictsByType)
		}
		name := fmt.Sprintf("%s → %s", l.From, l.To)
		fmt.Fprintf(&b, "%s %s %9s %6s %9s %s %s\n",
			name+strings.Repeat(" ", max(0, 2*nameW+4-lipgloss.Width(name))),
			m.style(fmt.Sprintf("%-11s", l.State), linkColor(l)), replicate.BytesText(l.LagBytes), sec, replicate.BytesText(l.RetainedBytes),
			m.style(sparkline(m.lag[l.From+"->"+l.To], dashHistory), linkColor(l)), conf)
	}

	// A star: its cut-off sites and how long their slots last.
	if h := st.Hub; h != nil {
		var cut []replicate.SiteStatus
		for _, s := range h.Sites {
			if s.CutOff {
				cut = append(cut, s)
			}
		}
		fmt.Fprintf(&b, "\nstar    hub %s · %d site(s) · %d cut off\n", h.Hub, len(h.Sites), len(cut))
		for _, s := range cut {
			line := fmt.Sprintf("  %s: hub keeps %s; site keeps %s", s.Name, s.HubHolds.Text(), s.SiteHolds.Text())
			b.WriteString(m.style(trimTo(line, m.width-1), dashYellow) + "\n")
		}
	}

	// Alarms and events.
	b.WriteString("\n")
	if len(st.Alarms) == 0 {
		b.WriteString("alarms  none\n")
	} else {
		b.WriteString("alarms\n")
		for _, a := range st.Alarms {
			b.WriteString(m.style(trimTo("  ! "+a.Kind+": "+a.Message, m.width-1), dashRed) + "\n")
		}
	}
	b.WriteString("\nlast events\n")
	if len(m.events) == 0 {
		b.WriteString("  (none yet)\n")
	}
	evs := append([]replicate.Event(nil), m.events...)
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.After(evs[j].Time) })
	for i, e := range evs {
		if i == 6 {
			break
		}
		b.WriteString(trimTo("  "+e.Time.Format("15:04:05")+"  "+e.Message, m.width-1) + "\n")
	}
	fmt.Fprintf(&b, "\n%s\n", m.style(fmt.Sprintf("q quit · r refresh · p pause · every %s · %d polls, %d queries last poll", m.interval, m.polls, st.Queries), dashGrey))
	return b.String()
}

func dbSuffix(db string) string {
	if db == "" {
		return ""
	}
	return " · database " + db
}

func trimTo(s string, n int) string {
	if n < 20 {
		n = 20
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// meshWatch runs the dashboard on the terminal (stderr), polling the mesh.
func (a *app) meshWatch(cmd *cobra.Command, p *replicate.Plan, opts replicate.StatusOptions, interval time.Duration) error {
	c := replicate.NewCollector(p, opts)
	defer c.Close()
	m := newMeshDash(cmd.Context(), c.Collect, interval, a.color(a.stderr))
	prog := tea.NewProgram(m, tea.WithContext(cmd.Context()), tea.WithInput(a.stdin), tea.WithOutput(a.stderr), tea.WithAltScreen())
	if _, err := prog.Run(); err != nil && cmd.Context().Err() == nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
