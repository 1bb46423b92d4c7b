package replicate

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// stLSN writes a WAL position as PostgreSQL does (0/16B3748).
func stLSN(v int64) string { return fmt.Sprintf("%X/%X", uint64(v)>>32, uint32(v)) }

// FormatConflicts writes counts by conflict type, sorted by type:
// "insert_exists=2 update_missing=1".
func FormatConflicts(m map[string]int64) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, m[k])
	}
	return strings.Join(parts, " ")
}

// walKeepText is max_slot_wal_keep_size as the status shows it (-1 is
// unlimited).
func walKeepText(b int64) string {
	if b < 0 {
		return "unlimited"
	}
	return inspect.FormatBytesShort(b)
}

// WriteText writes the snapshot for people: the nodes, the Patroni
// cluster, the links, notes, the star of a hub-and-spoke topology and the
// alarms.
func (st *Status) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "mesh %s · %s", st.Kind, st.Engine)
	if st.Database != "" {
		fmt.Fprintf(w, " · database %s", st.Database)
	}
	fmt.Fprintf(w, " · %s\n\n", st.Time.Format("2006-01-02 15:04:05Z"))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tSTATE\tVERSION\tWAL RETAINED\tDISK FREE\tCONFLICTS")
	var notes []string
	for _, n := range st.Nodes {
		if !n.Up {
			fmt.Fprintf(tw, "%s\t%s\tDOWN\t-\t-\t-\t-\n", n.Name, n.Role)
			continue
		}
		var retained int64
		for _, s := range n.Slots {
			retained = max(retained, s.RetainedBytes)
		}
		state := "up"
		if n.InRecovery {
			state = "up (standby)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", n.Name, n.Role, state, n.Version, inspect.FormatBytesShort(retained),
			BytesText(n.DiskFreeBytes), CountText(n.Conflicts))
		if n.ConflictsNote != "" {
			notes = append(notes, n.Name+": "+n.ConflictsNote)
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
	st.HA.writeText(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LINK\tSUBSCRIPTION\tSTATE\tLAG\tLAG s\tRETAINED\tSAFE WAL\tCONFLICTS\tERRORS")
	for _, l := range st.Links {
		safe := "unlimited"
		if l.SafeWALBytes != nil {
			safe = inspect.FormatBytesShort(*l.SafeWALBytes)
		}
		if l.RetainedBytes == nil {
			safe = "-"
		}
		sec := "-"
		if l.LagSeconds != nil {
			sec = fmt.Sprintf("%.1f", *l.LagSeconds)
		}
		conflicts := CountText(l.Conflicts)
		if len(l.ConflictsByType) > 0 {
			conflicts += " (" + FormatConflicts(l.ConflictsByType) + ")"
		}
		fmt.Fprintf(tw, "%s -> %s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", l.From, l.To, orDash(l.Subscription), l.State,
			BytesText(l.LagBytes), sec, BytesText(l.RetainedBytes), safe, conflicts, CountText(l.ApplyErrors))
		if l.Note != "" {
			notes = append(notes, fmt.Sprintf("%s -> %s: %s", l.From, l.To, l.Note))
		}
	}
	if len(st.Links) == 0 {
		fmt.Fprintln(tw, "(none found)")
	}
	tw.Flush()
	if len(notes) > 0 {
		fmt.Fprintln(w, "\nnotes:")
		for _, n := range notes {
			fmt.Fprintf(w, "  %s\n", n)
		}
	}
	fmt.Fprintln(w)
	if st.Hub != nil {
		st.Hub.writeText(w)
	}
	if len(st.Alarms) == 0 {
		fmt.Fprintln(w, "alarms: none")
		return nil
	}
	fmt.Fprintf(w, "alarms (%d):\n", len(st.Alarms))
	for _, a := range st.Alarms {
		fmt.Fprintf(w, "  ! %s: %s\n", a.Kind, a.Message)
	}
	return nil
}

// writeText writes the Patroni cluster part of the status (nothing without
// one).
func (h *HAStatus) writeText(w io.Writer) {
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

// writeText writes the star of a hub-and-spoke topology: per site,
// whether it is cut off, the WAL each side keeps for the other and how
// long until that slot is lost at the current WAL rate, and the site's
// own writes to shared tables.
func (h *HubStatus) writeText(w io.Writer) {
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
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Name, state, s.HubHolds.Text(), s.SiteHolds.Text(), writes)
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// Text is what a slot holds for a cut-off peer and how long it lasts:
// "12.0MiB, lost in 3h12m (max_slot_wal_keep_size, at 1.0KiB/s)"; "-"
// for none.
func (c *SlotClock) Text() string {
	if c == nil {
		return "-"
	}
	out := inspect.FormatBytesShort(c.RetainedBytes)
	switch {
	case c.Limit == "lost":
		return out + ", LOST (the peer must be rebuilt)"
	case c.SecondsLeft != nil:
		out += fmt.Sprintf(", lost in %s (%s, at %s)", fmtLeft(*c.SecondsLeft), c.Limit, FormatRate(*c.Rate))
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

// BytesText is an optional byte count as the status shows it ("-": unknown).
func BytesText(v *int64) string {
	if v == nil {
		return "-"
	}
	return inspect.FormatBytesShort(*v)
}

// CountText is an optional count as the status shows it ("unknown").
func CountText(v *int64) string {
	if v == nil {
		return "unknown"
	}
	return fmt.Sprint(*v)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
