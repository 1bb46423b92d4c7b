package forecast

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// WriteJSON writes the forecast as indented JSON (accepted by recommend
// --forecast).
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func FormatNum(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return fmt.Sprint(v)
	case v == 0:
		return "0"
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func fcPct(p float64) string { return FormatNum(p*100) + "%" }

// fcDisplayName is a table's name on one line, quoted as SQL
// (inspect.QuoteQualifiedLine), for text, markdown and the HTML page. A
// report built without schema and name falls back on table.
func fcDisplayName(schema, name, table string) string {
	if name == "" {
		schema, name = inspect.SplitQualified(table)
	}
	return inspect.QuoteQualifiedLine(schema, name)
}

// Display is the table's name as the outputs show it.
func (t Table) Display() string { return fcDisplayName(t.Schema, t.Name, t.Table) }

// Display is the row's table name as the outputs show it.
func (h HotRow) Display() string { return fcDisplayName(h.Schema, h.Name, h.Table) }

// label is the row in a chart: its table's own name and its key.
func (h HotRow) Label() string {
	name := h.Name
	if name == "" {
		_, name = inspect.SplitQualified(h.Table)
	}
	return inspect.QuoteIdentLine(name) + " " + h.Key
}

// tableRows is the report as header and rows, shared by text and
// markdown.
func (r *Report) tableRows() ([]string, [][]string) {
	head := []string{"table", "writes", "writes/s", "logged", "conflicting", "lost incr.", "conflicts/day", "key collisions/day"}
	var rows [][]string
	for _, t := range r.Tables {
		rows = append(rows, []string{t.Display(), fmt.Sprint(t.Writes), FormatNum(t.WritesPerSec), fmt.Sprint(t.OriginDiffers + t.SeqInsertConflicts),
			r.Applies(t.ConflictingApplies), fmt.Sprint(t.LostIncrements), FormatNum(t.ConflictsPerDay), FormatNum(t.KeyCollisionsPerDay)})
	}
	return head, rows
}

func (r *Report) hotRows() ([]string, [][]string) {
	head := []string{"table", "key", "writes", "writes/s", "P(conflict)", "conflicting", "conflicts/day", "lost incr."}
	var rows [][]string
	for _, h := range r.HotRows {
		perDay := FormatNum(h.ConflictsPerDay)
		if r.oldModel != 0 {
			perDay = Unknown
		}
		rows = append(rows, []string{h.Display(), h.Key, fmt.Sprint(h.Writes), FormatNum(h.WritesPerSec), fcPct(h.PConflict),
			r.Applies(h.ConflictingApplies), perDay, fmt.Sprint(h.LostIncrements)})
	}
	return head, rows
}

// keyCollisionsLine is the report's key collisions as one sentence, apart
// from the conflicts/day, with the number as num writes it. They are the
// keys sequences feed: a counter row that hands out ids (an id
// allocator) collides once per lost increment, which the replay counts
// per column (lostLines) and recommend names when the assessment says
// the column is one (allocatorDups).
func (r *Report) KeyCollisionsLine(num func(float64) string) string {
	const allocators = " Ids handed out by a counter row (an id allocator, which aadvisor assess finds) are not in it: each lost increment of such a counter is an id two nodes both handed out (recommend --assessment --forecast counts them)."
	if r.Sequences == SequencesOffsets {
		return "Key collisions: 0/day: per-node sequence offsets are assumed (bootstrap sets them), so no two nodes hand out the same sequence value." + allocators
	}
	return fmt.Sprintf("Key collisions if sequences are shared: %s/day (inserts that find their sequence-fed key taken on another node); 0 with per-node offsets, which bootstrap sets by default.", num(r.KeyCollisionsPerDay)) + allocators
}

// lostLines says, per counter column that lost increments in the replay,
// what last-update-wins did to it, in words: how many of its changes the
// converged rows lack and how far off that leaves them.
func (r *Report) LostLines() []string {
	var out []string
	for _, t := range r.Tables {
		for _, c := range t.Counters {
			if c.Lost <= 0 {
				continue
			}
			where := "below"
			if c.LostDelta < 0 {
				where = "above"
			}
			out = append(out, fmt.Sprintf("%s.%s: %s of its %s changes are lost: last-update-wins keeps a version of the row built without them, so the converged rows end %s %s where all the changes would put them (together they change it by %s).",
				t.Display(), inspect.QuoteIdentLine(c.Column), inspect.GroupThousands(c.Lost), inspect.GroupThousands(c.Changes), fmtAmount(math.Abs(c.LostDelta)), where, fmtAmount(c.TotalDelta)))
		}
	}
	return out
}

// fmtAmount prints a sum of counter changes: whole numbers with
// thousands separators, others as FormatNum does.
func fmtAmount(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return inspect.GroupThousands(int64(v))
	}
	return FormatNum(v)
}

func (r *Report) summary() []string {
	c := r.Capture
	t := r.Totals
	lines := []string{
		fmt.Sprintf("Trace: %d transactions, %d changes over %s s from %s; changes per transaction: mean %s, max %d.",
			c.Txns, c.Changes, FormatNum(c.DurationS), c.Source, FormatNum(c.MeanTxnChanges), c.MaxTxnChanges),
		fmt.Sprintf("Model: %d regions, replication window W = %s ms, route %s, home share %s, seed %d, sequences %s.", r.Regions, FormatNum(r.LagMs), r.Route, FormatNum(r.HomeShare), r.Seed, r.sequences()),
		fmt.Sprintf("Replay: %d remote changes logged as conflicts (as pglogical / PostgreSQL 18 log them): %s conflicting applies (the row held a write the sender had not seen; last-update-wins keeps one of the two, silently), %d inserts whose sequence-fed key another node also handed out, the rest changes onto a row another region wrote last, which lose nothing. %d pairs of writes to one row within W; %d lost increments (changes of counter columns the converged rows lack; per column below).",
			t.OriginDiffers+t.SeqInsertConflicts, r.Applies(t.ConflictingApplies), t.SeqInsertConflicts, t.Concurrent, t.LostIncrements),
		fmt.Sprintf("Expected conflicts/day: %s conflicting applies, at most one per remote change a node applies (per table the larger of the replay, %s in all, and the Poisson model on rows written more than once, %s in all).",
			FormatNum(r.TotalConflictsPerDay), FormatNum(r.MeasuredPerDay), FormatNum(r.ExpectedPerDay)),
		r.KeyCollisionsLine(FormatNum),
	}
	if _, local := c.Origins["local"]; len(c.Origins) > 1 || len(c.Origins) == 1 && !local {
		names := make([]string, 0, len(c.Origins))
		for n := range c.Origins {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s %d", n, c.Origins[n]))
		}
		lines = append(lines, "Transactions by replication origin: "+strings.Join(parts, ", ")+" (replicated transactions were replayed like local ones).")
	}
	return lines
}

// sequences names the report's sequence strategy.
func (r *Report) sequences() string {
	if r.Sequences == SequencesOffsets {
		return "per-node offsets"
	}
	return "shared"
}

func (r *Report) curves() (lag, regions string) {
	var a, b []string
	for _, p := range r.CurveLag {
		a = append(a, fmt.Sprintf("%s ms: %s", FormatNum(p.LagMs), FormatNum(p.ConflictsPerDay)))
	}
	for _, p := range r.CurveRegions {
		b = append(b, fmt.Sprintf("N=%d: %s", p.Regions, FormatNum(p.ConflictsPerDay)))
	}
	return strings.Join(a, ", "), strings.Join(b, ", ")
}

// WriteText writes the forecast for a terminal (plain text, no colour).
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	b.WriteString("Conflict forecast\n\n")
	for _, l := range r.summary() {
		b.WriteString(l + "\n")
	}
	head, rows := r.tableRows()
	if len(rows) > 0 {
		b.WriteString("\nPer table\n")
		writeAligned(&b, head, rows)
	}
	for _, l := range r.LostLines() {
		b.WriteString("  " + l + "\n")
	}
	head, rows = r.hotRows()
	if len(rows) > 0 {
		b.WriteString("\nHot rows\n")
		writeAligned(&b, head, rows)
	}
	lag, reg := r.curves()
	fmt.Fprintf(&b, "\nExpected conflicts/day vs W (N=%d): %s\n", r.Regions, lag)
	fmt.Fprintf(&b, "Expected conflicts/day vs N (W=%s ms): %s\n", FormatNum(r.LagMs), reg)
	for _, wmsg := range r.Warnings {
		b.WriteString("\nNote: " + wmsg + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeAligned(b *strings.Builder, head []string, rows [][]string) {
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = len([]rune(h))
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := width[i] - len([]rune(c))
			if i == 0 || i == 1 && head[1] == "key" {
				b.WriteString(c + strings.Repeat(" ", pad))
			} else {
				b.WriteString(strings.Repeat(" ", pad) + c)
			}
		}
		b.WriteString("\n")
	}
	line(head)
	for _, r := range rows {
		line(r)
	}
}

func mdCell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func writeMD(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for range head {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = mdCell(c)
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
}

// WriteMarkdown writes the forecast as a Markdown section.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("## Conflict forecast\n\n")
	for _, l := range r.summary() {
		b.WriteString("- " + mdCell(l) + "\n")
	}
	head, rows := r.tableRows()
	if len(rows) > 0 {
		b.WriteString("\n### Per table\n\n")
		writeMD(&b, head, rows)
	}
	if lost := r.LostLines(); len(lost) > 0 {
		b.WriteString("\n### Lost increments\n\n")
		for _, l := range lost {
			b.WriteString("- " + mdCell(l) + "\n")
		}
	}
	head, rows = r.hotRows()
	if len(rows) > 0 {
		b.WriteString("\n### Hot rows\n\n")
		writeMD(&b, head, rows)
	}
	lag, reg := r.curves()
	fmt.Fprintf(&b, "\n### Expected conflicts per day\n\n- vs W (N=%d): %s\n- vs N (W=%s ms): %s\n", r.Regions, lag, FormatNum(r.LagMs), reg)
	if len(r.Warnings) > 0 {
		b.WriteString("\n### Notes\n\n")
		for _, wmsg := range r.Warnings {
			b.WriteString("- " + mdCell(wmsg) + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
