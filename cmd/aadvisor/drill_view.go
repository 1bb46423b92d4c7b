package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/replicate/drill"
	"github.com/aadvisor/aadvisor/templates"
)

// measuredFailover is what recommend and report use instead of the
// assumed failover time: the worst write outage of a drill's runs.
func measuredFailover(r *drill.Result, file string) *decide.MeasuredFailover {
	if r.Kind != "streaming" || !r.MeasuresFailover() {
		return nil
	}
	return &decide.MeasuredFailover{Seconds: r.Summary.MaxRTOS, Source: fmt.Sprintf("measured by aadvisor drill: %s, worst of %d run(s), %s (%s)",
		r.Fault, len(r.Runs), r.Generated.Format("2006-01-02"), filepath.Base(file))}
}

// drillView turns a drill result into the report's section.
func drillView(r *drill.Result) *decide.DrillView {
	v := &decide.DrillView{Fault: r.Fault.String(), Kind: r.Kind, Design: r.Design, HA: r.HASummary(), Settings: r.SettingsSummary(),
		Endpoint: r.Settings.Endpoint, Logical: r.Kind != "streaming", Met: r.Verdict.Met, MeasuredFailoverS: r.Summary.MaxRTOS,
		Items: []decide.DrillItem{}, Runs: []decide.DrillRunRow{}, Charts: []templates.LineChart{}}
	if e := r.Expected; e != nil {
		v.Expected = fmt.Sprintf("Patroni's settings predict a write outage of %.0f–%.0f s: %s.", e.LowS, e.HighS, e.Why)
	}
	for _, it := range r.Verdict.Items {
		cls := "good"
		if !it.Met {
			cls = "bad"
		}
		v.Items = append(v.Items, decide.DrillItem{Measure: it.Measure, Target: it.Target, Measured: it.Measured, Margin: it.Margin, Class: cls})
	}
	for _, run := range r.Runs {
		row := decide.DrillRunRow{N: run.N, Broken: strings.Join(run.Broken, ", "), RTO: drill.Seconds(run.RTOMS), Lost: run.LostWrites,
			Window: drill.Seconds(run.LostWindowMS), InDoubt: run.InDoubtCommitted, SplitBrain: run.SplitBrainWrites,
			Rejoin: drill.Seconds(run.RejoinAfterUndoMS), Acked: fmt.Sprintf("%d of %d", run.Acked, run.Attempted), Notes: run.Notes, Class: "good"}
		if run.RTOMS < 0 || run.LostWrites > 0 || run.SplitBrainWrites > 0 || run.RejoinMS < 0 {
			row.Class = "bad"
		}
		row.Leader = run.LeaderBefore
		if run.LeaderAfter != "" && run.LeaderAfter != run.LeaderBefore {
			row.Leader += " → " + run.LeaderAfter
		}
		if run.PromotedMS >= 0 {
			row.Promoted = drill.Seconds(run.PromotedMS - run.FaultMS)
		}
		if run.LagBeforeBytes != nil {
			row.LagBefore = fmt.Sprintf("%d B", *run.LagBeforeBytes)
		}
		if run.StrandedWrites != nil {
			row.Stranded = fmt.Sprint(*run.StrandedWrites)
		}
		if run.VerifyDiffs != nil {
			row.Verify = fmt.Sprintf("%d difference(s)", *run.VerifyDiffs)
			if run.RepairedDiffs != nil {
				row.Verify += fmt.Sprintf(", %d after repair", *run.RepairedDiffs)
			}
		}
		v.Runs = append(v.Runs, row)
		v.Charts = append(v.Charts, drillChart(run))
	}
	return v
}

// drillChart is a run's timeline: acknowledged writes per 100 ms, with the
// fault, the undo, the promotion, the first write after the outage and the
// rejoin marked.
func drillChart(run drill.Run) templates.LineChart {
	c := templates.LineChart{ID: fmt.Sprintf("chart-drill-%d", run.N), Title: fmt.Sprintf("Run %d: acknowledged writes per 100 ms", run.N),
		XLabel: "seconds from the start of the load", YLabel: "writes per 100 ms"}
	s := templates.Series{Name: "acknowledged", Class: templates.ClassAccent}
	for i, n := range run.AcksPer100ms {
		s.Points = append(s.Points, templates.Point{X: float64(i) / 10, Y: float64(n)})
	}
	c.Series = []templates.Series{s}
	class := map[string]string{"fault": templates.ClassBad, "undo": templates.ClassWarn, "promoted": templates.ClassGood,
		"writes_resumed": templates.ClassGood, "rejoined": templates.ClassNeutral, "links_resumed": templates.ClassNeutral}
	label := map[string]string{"fault": "fault", "undo": "undo", "promoted": "promoted", "writes_resumed": "writes resume",
		"rejoined": "rejoined", "links_resumed": "links back"}
	for _, e := range run.Events {
		if l, ok := label[e.Kind]; ok {
			c.XMarks = append(c.XMarks, templates.Mark{Label: l, Value: float64(e.AtMS) / 1000, Class: class[e.Kind]})
		}
	}
	return c
}
