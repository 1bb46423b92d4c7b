package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
)

// printHAStatus writes the Patroni cluster part of 'mesh status'.
func printHAStatus(w io.Writer, h *replicate.HAStatus) {
	if h == nil {
		return
	}
	mode := "asynchronous"
	if h.Synchronous {
		mode = "synchronous mode"
	}
	fmt.Fprintf(w, "Patroni cluster %s (%s)", h.Scope, mode)
	if h.Source == "" {
		fmt.Fprintf(w, ": %s\n\n", h.Error)
		return
	}
	leader := h.Leader
	if leader == "" {
		leader = "NONE"
	}
	fmt.Fprintf(w, " · leader %s · timeline %d", leader, h.Timeline)
	if len(h.SyncStandbys) > 0 {
		fmt.Fprintf(w, " · synchronous %s", strings.Join(h.SyncStandbys, ", "))
	}
	if h.Paused {
		fmt.Fprint(w, " · PAUSED")
	}
	fmt.Fprintf(w, " · from %s\n", h.Source)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MEMBER\tROLE\tSTATE\tTIMELINE\tLAG\tREST API")
	for _, m := range h.Members {
		tl, lag := "-", "-"
		if m.Timeline > 0 {
			tl = fmt.Sprint(m.Timeline)
		}
		if m.LagBytes != nil {
			lag = inspect.FormatBytesShort(*m.LagBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.Name, orDash(m.Role), m.State, tl, lag, orDash(m.API))
	}
	tw.Flush()
	fmt.Fprintln(w)
}
