package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
)

// printHubStatus writes the star of a hub-and-spoke topology: per site,
// whether it is cut off, the WAL each side keeps for the other and how
// long until that slot is lost at the current WAL rate, and the site's
// own writes to shared tables.
func printHubStatus(w io.Writer, h *replicate.HubStatus) {
	head := fmt.Sprintf("star: hub %s, %d site(s)", h.Hub, len(h.Sites))
	if h.OfflineHours > 0 {
		head += fmt.Sprintf(", offline window %g h", h.OfflineHours)
	}
	cut := 0
	for _, s := range h.Sites {
		if s.CutOff {
			cut++
		}
	}
	head += fmt.Sprintf(", %d cut off", cut)
	fmt.Fprintln(w, head)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SITE\tSTATE\tHUB KEEPS FOR IT\tSITE KEEPS FOR HUB\tSHARED WRITES")
	for _, s := range h.Sites {
		state := "connected"
		switch {
		case !s.Up:
			state = "DOWN"
		case s.CutOff:
			state = "CUT OFF"
		}
		writes := "unknown"
		if s.SharedWrites != nil {
			var n int64
			for _, v := range s.SharedWrites {
				n += v
			}
			writes = fmt.Sprint(n)
		}
		if len(s.SharedWriteSigns) > 0 {
			writes += " + signs"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, state, slotClockText(s.HubHolds), slotClockText(s.SiteHolds), writes)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// slotClockText is what a slot holds for a cut-off peer and how long it
// lasts: "12.0MiB, lost in 3h12m (max_slot_wal_keep_size, at 1.0KiB/s)".
func slotClockText(c *replicate.SlotClock) string {
	if c == nil {
		return "-"
	}
	out := inspect.FormatBytesShort(c.RetainedBytes)
	switch {
	case c.Limit == "lost":
		return out + ", LOST (the peer must be rebuilt)"
	case c.SecondsLeft != nil:
		out += fmt.Sprintf(", lost in %s (%s, at %s)", fmtLeft(*c.SecondsLeft), c.Limit, replicate.FormatRate(*c.Rate))
	case c.Rate != nil && *c.Rate == 0:
		out += ", not growing"
	case c.Limit == "":
		out += ", no limit known"
	}
	return out
}

// fmtLeft renders a time left, to the minute beyond an hour.
func fmtLeft(sec float64) string {
	d := time.Duration(sec * float64(time.Second))
	switch {
	case d >= 100*24*time.Hour:
		return fmt.Sprintf("%.0fd", d.Hours()/24)
	case d >= time.Hour:
		return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
	default:
		return d.Round(time.Second).String()
	}
}
