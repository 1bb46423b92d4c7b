package drill

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aadvisor/aadvisor/replicate"
)

// HomeColumn is the column of the drill table naming a row's home.
func HomeColumn(p *replicate.Plan) string { return homeColumn(p) }

// Seconds renders milliseconds as seconds, "-" for a negative value.
func Seconds(ms int64) string {
	if ms < 0 {
		return "never"
	}
	return fmt.Sprintf("%.1f s", float64(ms)/1000)
}

// HASummary describes the plan's automatic failover in one line.
func (r *Result) HASummary() string {
	if r.HA == nil {
		if r.Kind == replicate.TopologyStreaming {
			return "no automatic failover"
		}
		return ""
	}
	h := r.HA
	mode := "asynchronous"
	if h.SynchronousMode {
		mode = fmt.Sprintf("synchronous mode (%d synchronous standby)", h.SynchronousNodeCount)
	}
	return fmt.Sprintf("Patroni ttl %ds, loop_wait %ds, retry_timeout %ds, primary_start_timeout %ds, %s", h.TTL, h.LoopWait, h.RetryTimeout, *h.PrimaryStartTimeout, mode)
}

// SettingsSummary describes the load in one line.
func (r *Result) SettingsSummary() string {
	s := r.Settings
	hold := "until writes resume"
	if r.resumedByUndo() && s.HoldS == 0 {
		hold = "until the load ended (writes did not resume on their own)"
	}
	if s.HoldS > 0 {
		hold = fmt.Sprintf("%gs", s.HoldS)
	}
	return fmt.Sprintf("%d writes/s from %d clients for %gs, fault after %gs, held %s, %d run(s)", s.Rate, s.Clients, s.DurationS, s.FaultAfterS, hold, len(r.Runs))
}

func optInt(v *int) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

func optInt64(v *int64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(*v)
}

// WriteText writes the result for a terminal.
func WriteText(w io.Writer, r *Result) {
	head := fmt.Sprintf("drill: %s on %s (%s)", r.Fault, r.Kind, r.Engine)
	if r.Design != "" {
		head += ", design " + r.Design
	}
	fmt.Fprintln(w, head)
	if s := r.HASummary(); s != "" {
		fmt.Fprintln(w, "  "+s)
	}
	fmt.Fprintln(w, "  "+r.SettingsSummary())
	fmt.Fprintln(w, "  clients: "+r.Settings.Endpoint)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	logical := r.Kind != replicate.TopologyStreaming
	if logical {
		fmt.Fprintln(tw, "RUN\tBROKEN\tOUTAGE\tOTHERS' MAX GAP\tSTRANDED\tLOST\tLINKS BACK\tVERIFY DIFFS\tAFTER REPAIR\tACKED")
	} else {
		fmt.Fprintln(tw, "RUN\tBROKEN\tLEADER\tRTO\tLOST\tWINDOW\tIN DOUBT\tSPLIT BRAIN\tPROMOTED\tREJOIN\tLAG BEFORE\tACKED")
	}
	for _, run := range r.Runs {
		if logical {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%d/%d\n", run.N, strings.Join(run.Broken, ","), Seconds(run.RTOMS),
				Seconds(run.OtherNodesMaxGap), optInt64(run.StrandedWrites), run.LostWrites, Seconds(run.RejoinAfterUndoMS),
				optInt(run.VerifyDiffs), optInt(run.RepairedDiffs), run.Acked, run.Attempted)
			continue
		}
		leader := run.LeaderBefore
		if run.LeaderAfter != "" && run.LeaderAfter != run.LeaderBefore {
			leader += "→" + run.LeaderAfter
		}
		promoted := "-"
		if run.PromotedMS >= 0 {
			promoted = Seconds(run.PromotedMS-run.FaultMS) + " after"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%d\t%d\t%s\t%s\t%s\t%d/%d\n", run.N, strings.Join(run.Broken, ","), leader, Seconds(run.RTOMS),
			run.LostWrites, Seconds(run.LostWindowMS), run.InDoubtCommitted, run.SplitBrainWrites, promoted, Seconds(run.RejoinAfterUndoMS),
			replicate.BytesText(run.LagBeforeBytes), run.Acked, run.Attempted)
	}
	tw.Flush()
	for _, run := range r.Runs {
		if run.CatchUpMS != nil {
			fmt.Fprintf(w, "  run %d: %s acknowledged %s write(s) while cut off that the hub lacked; the hub held %s of WAL for it and the site %s for the hub; the site's writes were all at the hub %s after the links came back\n",
				run.N, strings.Join(run.Broken, ","), optInt64(run.HeldBackWrites), heldText(run.HubHeldBytes), heldText(run.SiteHeldBytes), Seconds(*run.CatchUpMS))
		}
		for _, n := range run.Notes {
			fmt.Fprintf(w, "  run %d: %s\n", run.N, n)
		}
	}
	if e := r.Expected; e != nil {
		fmt.Fprintf(w, "\nPatroni's settings predict a write outage of %.0f–%.0f s: %s.\n", e.LowS, e.HighS, e.Why)
	}
	if len(r.Runs) > 0 {
		fmt.Fprintln(w, "\nTimeline of the last run:")
		for _, e := range r.Runs[len(r.Runs)-1].Events {
			fmt.Fprintf(w, "  %8.1fs  %-14s %s\n", float64(e.AtMS)/1000, e.Kind, e.Detail)
		}
	}
	verdict := "MET"
	if !r.Verdict.Met {
		verdict = "NOT MET"
	}
	fmt.Fprintf(w, "\nVerdict: %s\n", verdict)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, it := range r.Verdict.Items {
		mark := "ok"
		if !it.Met {
			mark = "FAIL"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", mark, it.Measure, it.Measured, "target "+it.Target, it.Margin)
	}
	tw.Flush()
}
