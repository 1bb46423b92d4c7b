package templates

// Generated SVG charts for the HTML reports. Each chart is plain data
// (JSON-friendly, so report goldens can hold it) with an SVG method that
// returns inline markup. Every piece of text goes through
// html.EscapeString, so a label such as <script> renders as text.

import (
	"fmt"
	"html"
	htmltemplate "html/template"
	"math"
	"strconv"
	"strings"
)

// Chart colour classes. The palette is fixed here so a chart looks the same
// inline, printed and saved on its own.
const (
	ClassNeutral = "neutral"
	ClassGood    = "good"
	ClassWarn    = "warn"
	ClassBad     = "bad"
	ClassAccent  = "accent"
	ClassMuted   = "muted"
)

var palette = map[string]string{
	ClassNeutral: "#5c7a99",
	ClassGood:    "#2e7d32",
	ClassWarn:    "#c77700",
	ClassBad:     "#c62828",
	ClassAccent:  "#1565c0",
	ClassMuted:   "#9aa5b1",
}

// seriesColours are used in order by line charts whose series have no class.
var seriesColours = []string{"#1565c0", "#c62828", "#2e7d32", "#c77700", "#6a1b9a", "#00838f", "#5d4037"}

func colour(class string) string {
	if c, ok := palette[class]; ok {
		return c
	}
	return palette[ClassNeutral]
}

const (
	fontAttr = `font-family="system-ui,-apple-system,Segoe UI,Roboto,sans-serif"`
	chartW   = 760.0
)

func esc(s string) string { return html.EscapeString(s) }

func num(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// Mark is a reference line on a chart: a budget, a threshold, a chosen lag.
type Mark struct {
	Label string  `json:"label"`
	Value float64 `json:"value"`
	Class string  `json:"class,omitempty"`
}

// Bar is one row of a BarChart. Segments, when set, split the bar into
// stacked parts (e.g. one per round trip); their sum should be Value.
type Bar struct {
	Label    string    `json:"label"`
	Value    float64   `json:"value"`
	Segments []float64 `json:"segments,omitempty"`
	Note     string    `json:"note,omitempty"` // printed right of the bar
	Class    string    `json:"class,omitempty"`
	Bold     bool      `json:"bold,omitempty"` // highlight the row (e.g. your target)
}

// BarChart is a horizontal bar chart with optional vertical reference marks.
type BarChart struct {
	ID    string `json:"id"`
	Title string `json:"title"` // accessible name (the page prints its own caption)
	Unit  string `json:"unit"`
	Log   bool   `json:"log,omitempty"`
	Bars  []Bar  `json:"bars"`
	Marks []Mark `json:"marks,omitempty"`
}

// scale maps values to x positions on [x0, x1].
type scale struct {
	log    bool
	lo, hi float64
	x0, x1 float64
}

// newScale fits values on [x0, x1]. With bars, a log scale starts one decade
// lower when the smallest value is a power of ten, so its bar still shows.
func newScale(log bool, values []float64, x0, x1 float64, bars bool) scale {
	s := scale{log: log, x0: x0, x1: x1}
	lo, hi := math.Inf(1), 0.0
	for _, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			continue
		}
		lo = math.Min(lo, v)
		hi = math.Max(hi, v)
	}
	if hi == 0 {
		hi, lo = 1, 0.1
	}
	if log {
		s.lo = math.Pow(10, math.Floor(math.Log10(lo)))
		if bars && s.lo >= lo*0.999 {
			s.lo /= 10 // so the smallest bar still shows
		}
		s.hi = math.Pow(10, math.Ceil(math.Log10(hi)))
		if s.hi <= s.lo {
			s.hi = s.lo * 10
		}
		return s
	}
	s.lo = 0
	step := niceStep(hi / 5)
	s.hi = math.Ceil(hi/step) * step
	if s.hi < hi {
		s.hi += step
	}
	return s
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func (s scale) at(v float64) float64 {
	if math.IsInf(v, 1) {
		return s.x1
	}
	if s.log {
		if v <= s.lo {
			return s.x0
		}
		f := (math.Log10(v) - math.Log10(s.lo)) / (math.Log10(s.hi) - math.Log10(s.lo))
		return s.x0 + math.Min(1, f)*(s.x1-s.x0)
	}
	if v <= 0 {
		return s.x0
	}
	return s.x0 + math.Min(1, v/s.hi)*(s.x1-s.x0)
}

func (s scale) ticks() []float64 {
	var out []float64
	if s.log {
		for v := s.lo; v <= s.hi*1.0001; v *= 10 {
			out = append(out, v)
		}
		return out
	}
	step := niceStep(s.hi / 5)
	for v := 0.0; v <= s.hi*1.0001; v += step {
		out = append(out, v)
	}
	return out
}

// FormatTick prints an axis value compactly: 0.01, 0.5, 12, 1.5k, 2M.
func FormatTick(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 1e9:
		return trimNum(v/1e9) + "G"
	case a >= 1e6:
		return trimNum(v/1e6) + "M"
	case a >= 1e4:
		return trimNum(v/1e3) + "k"
	case a >= 1:
		return trimNum(v)
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

func trimNum(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	return strings.TrimSuffix(s, ".0")
}

// SVG renders the chart.
func (c BarChart) SVG() htmltemplate.HTML {
	const (
		labelW = 235.0
		noteW  = 165.0
		rowH   = 28.0
		top    = 26.0
		axisH  = 30.0
	)
	vals := make([]float64, 0, len(c.Bars)+len(c.Marks))
	for _, b := range c.Bars {
		vals = append(vals, b.Value)
	}
	for _, m := range c.Marks {
		vals = append(vals, m.Value)
	}
	x0, x1 := labelW, chartW-noteW
	sc := newScale(c.Log, vals, x0, x1, true)
	h := top + rowH*float64(len(c.Bars)) + axisH
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="%s" role="img" aria-label="%s" viewBox="0 0 %s %s" width="100%%" %s font-size="12">`,
		esc(c.ID), esc(c.Title), num(chartW), num(h), fontAttr)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	// grid and axis
	axisY := top + rowH*float64(len(c.Bars))
	for _, t := range sc.ticks() {
		x := sc.at(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e7ec"/>`, num(x), num(top-6), num(x), num(axisY))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#5f6b7a">%s</text>`, num(x), num(axisY+15), esc(FormatTick(t)))
	}
	fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#9aa5b1"/>`, num(x0), num(axisY), num(x1), num(axisY))
	if c.Unit != "" {
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#5f6b7a">%s</text>`, num(x1), num(axisY+28), esc(c.Unit+scaleNote(c.Log)))
	}
	for i, bar := range c.Bars {
		y := top + rowH*float64(i)
		weight := ""
		if bar.Bold {
			weight = ` font-weight="700"`
			fmt.Fprintf(&b, `<rect x="0" y="%s" width="%s" height="%s" fill="#eef3fb"/>`, num(y), num(chartW), num(rowH))
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#1d2330"%s>%s</text>`, num(x0-8), num(y+rowH/2+4), weight, esc(clip(bar.Label, 36)))
		fill := colour(bar.Class)
		end := sc.at(bar.Value)
		if len(bar.Segments) > 0 && !c.Log {
			start := 0.0
			for j, s := range bar.Segments {
				xa, xb := sc.at(start), sc.at(start+s)
				opacity := "1"
				if j%2 == 1 {
					opacity = "0.75"
				}
				fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" fill-opacity="%s" stroke="#fff" stroke-width="1"/>`,
					num(xa), num(y+5), num(math.Max(0, xb-xa)), num(rowH-10), fill, opacity)
				start += s
			}
		} else if bar.Value > 0 {
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" rx="2"/>`, num(x0), num(y+5), num(math.Max(1, end-x0)), num(rowH-10), fill)
		}
		if bar.Note != "" {
			fmt.Fprintf(&b, `<text x="%s" y="%s" fill="#1d2330"%s>%s</text>`, num(x1+8), num(y+rowH/2+4), weight, esc(clip(bar.Note, 28)))
		}
	}
	for i, m := range c.Marks {
		x := sc.at(m.Value)
		col := colour(m.Class)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="5 3"/>`, num(x), num(top-8), num(x), num(axisY), col)
		anchor := "middle"
		if x > x1-60 {
			anchor = "end"
		} else if x < x0+60 {
			anchor = "start"
		}
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" fill="%s" font-weight="600">%s</text>`, num(x), num(top-12-float64(i%2)*0), anchor, col, esc(m.Label))
	}
	b.WriteString(`</svg>`)
	return htmltemplate.HTML(b.String()) //nolint:gosec // every text above is escaped
}

func scaleNote(log bool) string {
	if log {
		return " (log scale)"
	}
	return ""
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Point is one point of a Series.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Series is one line of a LineChart.
type Series struct {
	Name   string  `json:"name"`
	Class  string  `json:"class,omitempty"`
	Dashed bool    `json:"dashed,omitempty"`
	Points []Point `json:"points"`
}

// LineChart plots series against a shared X axis, with vertical marks on X
// and horizontal marks on Y.
type LineChart struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	XLabel string   `json:"x_label"`
	YLabel string   `json:"y_label"`
	LogX   bool     `json:"log_x,omitempty"`
	LogY   bool     `json:"log_y,omitempty"`
	Series []Series `json:"series"`
	XMarks []Mark   `json:"x_marks,omitempty"`
	YMarks []Mark   `json:"y_marks,omitempty"`
}

// SVG renders the chart.
func (c LineChart) SVG() htmltemplate.HTML {
	const (
		left, right, top, bottom = 64.0, 200.0, 24.0, 44.0
		plotH                    = 260.0
	)
	h := top + plotH + bottom
	var xs, ys []float64
	for _, s := range c.Series {
		for _, p := range s.Points {
			xs = append(xs, p.X)
			ys = append(ys, p.Y)
		}
	}
	for _, m := range c.XMarks {
		xs = append(xs, m.Value)
	}
	for _, m := range c.YMarks {
		ys = append(ys, m.Value)
	}
	sx := newScale(c.LogX, xs, left, chartW-right, false)
	sy := newScale(c.LogY, ys, 0, plotH, false) // 0 = bottom
	yAt := func(v float64) float64 { return top + plotH - sy.at(v) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="%s" role="img" aria-label="%s" viewBox="0 0 %s %s" width="100%%" %s font-size="12">`,
		esc(c.ID), esc(c.Title), num(chartW), num(h), fontAttr)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	for _, t := range sx.ticks() {
		x := sx.at(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e7ec"/>`, num(x), num(top), num(x), num(top+plotH))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#5f6b7a">%s</text>`, num(x), num(top+plotH+15), esc(FormatTick(t)))
	}
	for _, t := range sy.ticks() {
		y := yAt(t)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#e3e7ec"/>`, num(left), num(y), num(chartW-right), num(y))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="end" fill="#5f6b7a">%s</text>`, num(left-6), num(y+4), esc(FormatTick(t)))
	}
	fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#9aa5b1"/>`, num(left), num(top), num(chartW-right-left), num(plotH))
	fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#1d2330">%s</text>`, num((left+chartW-right)/2), num(top+plotH+34), esc(c.XLabel+scaleNote(c.LogX)))
	fmt.Fprintf(&b, `<text x="14" y="%s" text-anchor="middle" fill="#1d2330" transform="rotate(-90 14 %s)">%s</text>`, num(top+plotH/2), num(top+plotH/2), esc(c.YLabel+scaleNote(c.LogY)))
	for _, m := range c.YMarks {
		y := yAt(m.Value)
		col := colour(m.Class)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="1.5" stroke-dasharray="5 3"/>`, num(left), num(y), num(chartW-right), num(y), col)
		fmt.Fprintf(&b, `<text x="%s" y="%s" fill="%s">%s</text>`, num(left+4), num(y-4), col, esc(m.Label))
	}
	for _, m := range c.XMarks {
		x := sx.at(m.Value)
		col := colour(m.Class)
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2" stroke-dasharray="5 3"/>`, num(x), num(top), num(x), num(top+plotH), col)
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="%s" font-weight="600">%s</text>`, num(x), num(top-8), col, esc(m.Label))
	}
	for i, s := range c.Series {
		col := seriesColours[i%len(seriesColours)]
		if s.Class != "" {
			col = colour(s.Class)
		}
		var pts []string
		for _, p := range s.Points {
			if c.LogY && p.Y <= 0 || c.LogX && p.X <= 0 {
				continue
			}
			pts = append(pts, num(sx.at(p.X))+","+num(yAt(p.Y)))
		}
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		if len(pts) > 0 {
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2.5"%s/>`, strings.Join(pts, " "), col, dash)
		}
		ly := top + 10 + float64(i)*20
		lx := chartW - right + 14
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="3"%s/>`, num(lx), num(ly), num(lx+20), num(ly), col, dash)
		fmt.Fprintf(&b, `<text x="%s" y="%s" fill="#1d2330">%s</text>`, num(lx+26), num(ly+4), esc(clip(s.Name, 24)))
	}
	b.WriteString(`</svg>`)
	return htmltemplate.HTML(b.String()) //nolint:gosec // every text above is escaped
}

// Edge kinds of a Diagram.
const (
	EdgeStream = "stream" // one way: primary to standby
	EdgeMesh   = "mesh"   // both ways: every node writes
	EdgeRows   = "rows"   // both ways, each side sends only the rows it owns
	EdgeSpoke  = "spoke"  // a site and its hub: the site's own rows up, the shared tables down
)

// DiagramNode is a box of a Diagram.
type DiagramNode struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Sub   string `json:"sub,omitempty"` // second line: role, owned rows
	Class string `json:"class,omitempty"`
}

// DiagramGroup is a column of nodes, typically a region.
type DiagramGroup struct {
	Label string        `json:"label"`
	Nodes []DiagramNode `json:"nodes"`
}

// DiagramEdge joins two nodes by ID.
type DiagramEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Kind  string `json:"kind"`
	Label string `json:"label,omitempty"`
}

// Diagram draws a topology: groups as columns of boxes, edges as arrows.
type Diagram struct {
	ID     string         `json:"id"`
	Title  string         `json:"title"`
	Groups []DiagramGroup `json:"groups"`
	Edges  []DiagramEdge  `json:"edges"`
}

type boxPos struct{ x, y, w, h float64 }

// SVG renders the diagram.
func (d Diagram) SVG() htmltemplate.HTML {
	const (
		pad, groupTop, boxH, gapY, legendH = 16.0, 44.0, 46.0, 34.0, 34.0
	)
	n := len(d.Groups)
	if n == 0 {
		n = 1
	}
	maxRows := 1
	for _, g := range d.Groups {
		maxRows = max(maxRows, len(g.Nodes))
	}
	colGap := 70.0
	colW := (chartW - 2*pad - colGap*float64(n-1)) / float64(n)
	boxW := math.Min(200, colW-24)
	curve := 0.0
	if len(d.Groups) > 2 {
		curve = 40 // room for arcs that jump over a column
	}
	groupH := 36 + float64(maxRows)*(boxH+gapY) - gapY + 16
	h := curve + groupTop + groupH + legendH
	pos := map[string]boxPos{}
	col := map[string]int{}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart diagram" id="%s" role="img" aria-label="%s" viewBox="0 0 %s %s" width="100%%" %s font-size="12">`,
		esc(d.ID), esc(d.Title), num(chartW), num(h), fontAttr)
	fmt.Fprintf(&b, `<title>%s</title>`, esc(d.Title))
	mid := esc(d.ID)
	fmt.Fprintf(&b, `<defs><marker id="%s-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#37474f"/></marker></defs>`, mid)
	for gi, g := range d.Groups {
		gx := pad + float64(gi)*(colW+colGap)
		gy := curve + groupTop - 30
		fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="10" fill="#f3f6fa" stroke="#c5ced8" stroke-dasharray="4 3"/>`, num(gx), num(gy), num(colW), num(groupH))
		fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#37474f" font-weight="700">%s</text>`, num(gx+colW/2), num(gy+20), esc(clip(g.Label, 34)))
		for ni, nd := range g.Nodes {
			p := boxPos{x: gx + (colW-boxW)/2, y: gy + 36 + float64(ni)*(boxH+gapY), w: boxW, h: boxH}
			pos[nd.ID] = p
			col[nd.ID] = gi
		}
	}
	// edges under the boxes
	for _, e := range d.Edges {
		a, okA := pos[e.From]
		z, okZ := pos[e.To]
		if !okA || !okZ {
			continue
		}
		stroke, width, dash := "#37474f", "2", ""
		ends := fmt.Sprintf(` marker-end="url(#%s-arrow)"`, mid)
		switch e.Kind {
		case EdgeMesh:
			ends = fmt.Sprintf(` marker-start="url(#%s-arrow)" marker-end="url(#%s-arrow)"`, mid, mid)
			stroke = colour(ClassBad)
		case EdgeRows:
			ends = fmt.Sprintf(` marker-start="url(#%s-arrow)" marker-end="url(#%s-arrow)"`, mid, mid)
			stroke, dash = colour(ClassAccent), ` stroke-dasharray="7 4"`
		case EdgeSpoke:
			ends = fmt.Sprintf(` marker-start="url(#%s-arrow)" marker-end="url(#%s-arrow)"`, mid, mid)
			stroke = colour(ClassNeutral)
		default:
			stroke = colour(ClassGood)
		}
		var path string
		var lx, ly float64
		ca, cz := col[e.From], col[e.To]
		switch {
		case ca == cz: // same column: vertical
			x := a.x + a.w/2
			y1, y2 := a.y+a.h, z.y
			if a.y > z.y {
				y1, y2 = a.y, z.y+z.h
			}
			path = fmt.Sprintf("M%s,%s L%s,%s", num(x), num(y1), num(x), num(y2))
			lx, ly = x+8, (y1+y2)/2+4
		case abs(ca-cz) == 1:
			x1, x2 := a.x+a.w, z.x
			if cz < ca {
				x1, x2 = a.x, z.x+z.w
			}
			y1, y2 := a.y+a.h/2, z.y+z.h/2
			path = fmt.Sprintf("M%s,%s L%s,%s", num(x1), num(y1), num(x2), num(y2))
			lx, ly = (x1+x2)/2, (y1+y2)/2-8
		default: // arc over the columns in between
			x1, y1 := a.x+a.w/2, a.y
			x2, y2 := z.x+z.w/2, z.y
			cy := curve + groupTop - 40 - 10*float64(abs(ca-cz))
			path = fmt.Sprintf("M%s,%s Q%s,%s %s,%s", num(x1), num(y1), num((x1+x2)/2), num(cy-20), num(x2), num(y2))
			lx, ly = (x1+x2)/2, cy-2
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="%s"%s%s/>`, path, stroke, width, dash, ends)
		if e.Label != "" {
			anchor := "middle"
			if ca == cz {
				anchor = "start"
			}
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="%s" fill="%s" font-size="11" paint-order="stroke" stroke="#fff" stroke-width="3">%s</text>`, num(lx), num(ly), anchor, stroke, esc(clip(e.Label, 30)))
		}
	}
	for _, g := range d.Groups {
		for _, nd := range g.Nodes {
			p := pos[nd.ID]
			fill := colour(nd.Class)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="%s" height="%s" rx="6" fill="#fff" stroke="%s" stroke-width="2"/>`, num(p.x), num(p.y), num(p.w), num(p.h), fill)
			fmt.Fprintf(&b, `<rect x="%s" y="%s" width="6" height="%s" rx="2" fill="%s"/>`, num(p.x), num(p.y), num(p.h), fill)
			fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#1d2330" font-weight="700">%s</text>`, num(p.x+p.w/2+3), num(p.y+19), esc(clip(nd.Label, 26)))
			if nd.Sub != "" {
				fmt.Fprintf(&b, `<text x="%s" y="%s" text-anchor="middle" fill="#5f6b7a" font-size="11">%s</text>`, num(p.x+p.w/2+3), num(p.y+35), esc(clip(nd.Sub, 32)))
			}
		}
	}
	// legend
	ly := h - 14
	legend := []struct{ kind, text string }{}
	seen := map[string]bool{}
	for _, e := range d.Edges {
		if seen[e.Kind] {
			continue
		}
		seen[e.Kind] = true
		switch e.Kind {
		case EdgeStream:
			legend = append(legend, struct{ kind, text string }{e.Kind, "one-way replication (physical streaming)"})
		case EdgeMesh:
			legend = append(legend, struct{ kind, text string }{e.Kind, "both ways, every node writes (conflicts possible)"})
		case EdgeRows:
			legend = append(legend, struct{ kind, text string }{e.Kind, "both ways, each node sends only the rows it owns"})
		case EdgeSpoke:
			legend = append(legend, struct{ kind, text string }{e.Kind, "a site's own rows to the hub, shared tables back; never site to site"})
		}
	}
	lx := pad
	for _, l := range legend {
		c := colour(ClassGood)
		dash := ""
		switch l.kind {
		case EdgeMesh:
			c = colour(ClassBad)
		case EdgeRows:
			c, dash = colour(ClassAccent), ` stroke-dasharray="7 4"`
		case EdgeSpoke:
			c = colour(ClassNeutral)
		}
		fmt.Fprintf(&b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2"%s/>`, num(lx), num(ly-4), num(lx+26), num(ly-4), c, dash)
		fmt.Fprintf(&b, `<text x="%s" y="%s" fill="#37474f">%s</text>`, num(lx+32), num(ly), esc(l.text))
		lx += 32 + float64(len(l.text))*6.2 + 20
	}
	b.WriteString(`</svg>`)
	return htmltemplate.HTML(b.String()) //nolint:gosec // every text above is escaped
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}
