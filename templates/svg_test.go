package templates

import (
	"encoding/xml"
	"errors"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wellFormed parses s as XML and counts elements by name.
func wellFormed(t *testing.T, s string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	count := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return count
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, s)
		}
		if se, ok := tok.(xml.StartElement); ok {
			count[se.Name.Local]++
		}
	}
}

const evil = `<script>alert(1)</script>&"'`

func TestChartsEscapeText(t *testing.T) {
	charts := map[string]string{
		"bar": string(BarChart{ID: evil, Title: evil, Unit: evil, Bars: []Bar{{Label: evil, Value: 3, Note: evil}}, Marks: []Mark{{Label: evil, Value: 1}}}.SVG()),
		"line": string(LineChart{ID: evil, Title: evil, XLabel: evil, YLabel: evil, Series: []Series{{Name: evil, Points: []Point{{1, 1}, {2, 4}}}},
			XMarks: []Mark{{Label: evil, Value: 1.5}}, YMarks: []Mark{{Label: evil, Value: 2}}}.SVG()),
		"diagram": string(Diagram{ID: "d", Title: evil, Groups: []DiagramGroup{{Label: evil, Nodes: []DiagramNode{{ID: evil, Label: evil, Sub: evil}, {ID: "b", Label: "b"}}}},
			Edges: []DiagramEdge{{From: evil, To: "b", Kind: EdgeMesh, Label: evil}}}.SVG()),
	}
	for name, s := range charts {
		t.Run(name, func(t *testing.T) {
			if strings.Contains(s, "<script") {
				t.Errorf("unescaped <script> in %s", s)
			}
			if !strings.Contains(s, "&lt;script&gt;") {
				t.Errorf("the label is missing (escaped) from %s", s)
			}
			wellFormed(t, s)
		})
	}
}

var rectWidth = regexp.MustCompile(`<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="[0-9.]+" fill="#[0-9a-f]+" rx="2"/>`)

func TestBarChartLengths(t *testing.T) {
	cases := []struct {
		name string
		c    BarChart
		want []float64 // bar widths relative to the first
	}{
		{"linear", BarChart{Bars: []Bar{{Label: "a", Value: 100}, {Label: "b", Value: 50}, {Label: "c", Value: 25}}}, []float64{1, 0.5, 0.25}},
		{"log decades", BarChart{Log: true, Bars: []Bar{{Label: "a", Value: 1000}, {Label: "b", Value: 100}, {Label: "c", Value: 10}}}, []float64{1, 2.0 / 3, 1.0 / 3}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := string(c.c.SVG())
			wellFormed(t, s)
			m := rectWidth.FindAllStringSubmatch(s, -1)
			if len(m) != len(c.want) {
				t.Fatalf("%d bars, want %d:\n%s", len(m), len(c.want), s)
			}
			var got []float64
			first, _ := strconv.ParseFloat(m[0][2], 64)
			for _, x := range m {
				w, _ := strconv.ParseFloat(x[2], 64)
				got = append(got, math.Round(100*w/first)/100)
			}
			var want []float64
			for _, w := range c.want {
				want = append(want, math.Round(100*w)/100)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("relative bar lengths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBarChartSegmentsAndMarks(t *testing.T) {
	c := BarChart{Unit: "ms", Bars: []Bar{{Label: "far", Value: 240, Segments: []float64{80, 80, 80}, Class: ClassBad}}, Marks: []Mark{{Label: "budget", Value: 200, Class: ClassBad}}}
	s := string(c.SVG())
	n := wellFormed(t, s)
	if got := strings.Count(s, `fill="`+palette[ClassBad]+`"`); got < 3 {
		t.Errorf("%d segments in the bad colour, want 3:\n%s", got, s)
	}
	if n["line"] < 2 || !strings.Contains(s, `stroke-dasharray="5 3"`) {
		t.Errorf("budget mark missing:\n%s", s)
	}
}

func TestScaleTicks(t *testing.T) {
	cases := []struct {
		name string
		log  bool
		vals []float64
		want []float64
	}{
		{"log", true, []float64{3, 700}, []float64{1, 10, 100, 1000}},
		{"log below one", true, []float64{0.004, 0.9}, []float64{0.001, 0.01, 0.1, 1}},
		{"linear", false, []float64{322, 300}, []float64{0, 100, 200, 300, 400}},
		{"nothing positive", false, []float64{0, -1, math.NaN()}, []float64{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}},
		{"infinity ignored", true, []float64{math.Inf(1), 5}, []float64{1, 10}},
		{"decade start", true, []float64{10, 1000}, []float64{10, 100, 1000}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := newScale(c.log, c.vals, 0, 100, false).ticks()
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("ticks (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormatTick(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 0.01: "0.01", 0.5: "0.5", 12: "12", 1000: "1000", 15000: "15k", 2e6: "2M", 1e9: "1G"} {
		if got := FormatTick(in); got != want {
			t.Errorf("FormatTick(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestLineChartPlotsEveryPoint(t *testing.T) {
	c := LineChart{ID: "l", LogX: true, LogY: true, Series: []Series{
		{Name: "a", Points: []Point{{1, 1}, {10, 10}, {100, 100}}},
		{Name: "b", Dashed: true, Points: []Point{{1, 0}, {10, 5}, {100, 50}}}, // 0 cannot be drawn on a log axis
	}}
	s := string(c.SVG())
	n := wellFormed(t, s)
	if n["polyline"] != 2 {
		t.Fatalf("%d polylines, want 2", n["polyline"])
	}
	pts := regexp.MustCompile(`<polyline points="([^"]*)"`).FindAllStringSubmatch(s, -1)
	if got := []int{len(strings.Fields(pts[0][1])), len(strings.Fields(pts[1][1]))}; !cmp.Equal(got, []int{3, 2}) {
		t.Errorf("points per series = %v, want [3 2]", got)
	}
}

func TestDiagramEdges(t *testing.T) {
	nodes := func(ids ...string) []DiagramNode {
		var out []DiagramNode
		for _, id := range ids {
			out = append(out, DiagramNode{ID: id, Label: id})
		}
		return out
	}
	cases := []struct {
		name    string
		d       Diagram
		paths   int
		markers int // marker references: one per one-way edge, two per two-way edge
	}{
		{"streaming", Diagram{ID: "s", Groups: []DiagramGroup{{Label: "eu", Nodes: nodes("p", "s1")}, {Label: "us", Nodes: nodes("dr")}},
			Edges: []DiagramEdge{{From: "p", To: "s1", Kind: EdgeStream}, {From: "p", To: "dr", Kind: EdgeStream}}}, 2, 2},
		{"mesh of three", Diagram{ID: "m", Groups: []DiagramGroup{{Label: "a", Nodes: nodes("a")}, {Label: "b", Nodes: nodes("b")}, {Label: "c", Nodes: nodes("c")}},
			Edges: []DiagramEdge{{From: "a", To: "b", Kind: EdgeMesh}, {From: "a", To: "c", Kind: EdgeMesh}, {From: "b", To: "c", Kind: EdgeRows}}}, 3, 6},
		{"star", Diagram{ID: "h", Groups: []DiagramGroup{{Label: "sites", Nodes: nodes("s1", "s3")}, {Label: "HQ", Nodes: nodes("hq")}, {Label: "sites", Nodes: nodes("s2")}},
			Edges: []DiagramEdge{{From: "s1", To: "hq", Kind: EdgeSpoke}, {From: "s2", To: "hq", Kind: EdgeSpoke}, {From: "s3", To: "hq", Kind: EdgeSpoke}}}, 3, 6},
		{"unknown node skipped", Diagram{ID: "u", Groups: []DiagramGroup{{Label: "a", Nodes: nodes("a")}},
			Edges: []DiagramEdge{{From: "a", To: "nowhere", Kind: EdgeMesh}}}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := string(c.d.SVG())
			wellFormed(t, s)
			edgePaths := len(regexp.MustCompile(`<path d="M[^"]*" fill="none"`).FindAllString(s, -1))
			if edgePaths != c.paths {
				t.Errorf("%d edge paths, want %d", edgePaths, c.paths)
			}
			if got := strings.Count(s, `="url(#`+c.d.ID+`-arrow)"`); got != c.markers {
				t.Errorf("%d arrow heads, want %d", got, c.markers)
			}
		})
	}
}
