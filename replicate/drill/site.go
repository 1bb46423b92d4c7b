package drill

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
)

// disconnect-site=NAME cuts a site of a hub-and-spoke topology off from
// its hub for the hold (--for): both of its links are disabled
// (replicate.CutOffSite) while the hub, the site and the other sites keep
// writing, then enabled again. Measured besides the logical drill's
// numbers: the WAL the hub and the site held for each other at the end of
// the outage, and the catch-up: how long after the links came back the
// hub held every write the site had acknowledged.

// checkSite refuses a disconnect-site the plan cannot take.
func checkSite(p *replicate.Plan, o Options) error {
	t := p.Topology
	if t.Kind != replicate.TopologyHubSpoke {
		return usage("--fault disconnect-site=%s: the plan is %s; disconnect-site cuts a site of a hub-and-spoke topology off from its hub", o.Fault.Target, t.Kind)
	}
	var sites []string
	for _, s := range t.Sites() {
		sites = append(sites, s.Name)
		if s.Name == o.Fault.Target {
			return nil
		}
	}
	if o.Fault.Target == t.Hub {
		return usage("--fault disconnect-site=%s: that is the hub; name a site (%s), or use kill-node=%s", o.Fault.Target, strings.Join(sites, ", "), t.Hub)
	}
	return usage("--fault disconnect-site=%s: no site of that name in the plan (sites: %s)", o.Fault.Target, strings.Join(sites, ", "))
}

// holds reports whether node must hold the drill rows that writer
// acknowledged (writer "": the rows of any other node): in a star a site
// holds only its own rows, the hub everybody's; elsewhere every node all.
func holds(p *replicate.Plan, node, writer string) bool {
	t := p.Topology
	if t.Kind != replicate.TopologyHubSpoke {
		return true
	}
	return node == t.Hub || node == writer
}

// siteHeld records, at the end of the outage, the writes the site
// acknowledged while cut off that the hub lacks, and the WAL the hub keeps
// for the site and the site for the hub (mesh status; none at the hub
// when there are no shared tables: the site then does not subscribe).
func siteHeld(ctx context.Context, p *replicate.Plan, site string, run *Run, hubDSN, col string, acks []ack, homes map[string]bool, faultAt time.Duration) error {
	rows, err := present(ctx, hubDSN, run.ID, col)
	if err != nil {
		return fmt.Errorf("read the drill rows on %s: %s", p.Topology.Hub, inspect.Redact(err.Error()))
	}
	var held int64
	for _, a := range acks {
		if homes[a.home] && a.at > faultAt && !rows[a.home][a.seq] {
			held++
		}
	}
	run.HeldBackWrites = &held
	st := replicate.MeshStatus(ctx, p, replicate.StatusOptions{Timeout: 3 * time.Second, RateSample: -1})
	if st.Hub == nil {
		return nil
	}
	for _, s := range st.Hub.Sites {
		if s.Name != site {
			continue
		}
		if s.HubHolds != nil {
			v := s.HubHolds.RetainedBytes
			run.HubHeldBytes = &v
		}
		if s.SiteHolds != nil {
			v := s.SiteHolds.RetainedBytes
			run.SiteHeldBytes = &v
		}
	}
	return nil
}

// siteCatchUp waits until the hub holds every write the cut-off site
// acknowledged before the links came back, and records how long that took.
func siteCatchUp(ctx context.Context, p *replicate.Plan, dsns map[string]string, run *Run, col string, acks []ack,
	site map[string]bool, undoneAt time.Duration, since func() time.Duration, timeout time.Duration, events *[]Event) error {
	hub := p.Topology.Hub
	deadline := time.Now().Add(timeout)
	for {
		rows, err := present(ctx, dsns[hub], run.ID, col)
		if err != nil {
			return fmt.Errorf("read the drill rows on %s: %s", hub, inspect.Redact(err.Error()))
		}
		missing := 0
		for _, a := range acks {
			if site[a.home] && a.at <= undoneAt && !rows[a.home][a.seq] {
				missing++
			}
		}
		if missing == 0 {
			at := since()
			v := (at - undoneAt).Milliseconds()
			run.CatchUpMS = &v
			*events = append(*events, Event{AtMS: at.Milliseconds(), Kind: "caught_up", Node: hub,
				Detail: fmt.Sprintf("the hub holds every write the site acknowledged while cut off, %.1f s after the links came back", float64(v)/1000)})
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the hub still lacks %d of the site's writes %s after the links came back", missing, timeout)
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
}

// heldText is a byte count or "-".
func heldText(v *int64) string {
	if v == nil {
		return "-"
	}
	return inspect.FormatBytesShort(*v)
}
