package replicate

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// AlarmSharedWrite: a site wrote a shared table, which only the hub
// writes (its guard counted the writes, or the hub's changes to the rows
// it wrote failed or conflicted on the site).
const AlarmSharedWrite = "shared_write"

// AlarmOfflineWindow: at the current WAL rate, a slot that holds WAL for
// a cut-off site (or for the hub, on the site) is lost before the plan's
// offline window ends.
const AlarmOfflineWindow = "offline_window"

// HubStatus is a hub-and-spoke topology seen site by site: which sites
// are cut off, the WAL each side holds for the other and how long until
// that slot is lost at the current WAL rate, and the site's own writes to
// shared tables.
type HubStatus struct {
	Hub string `json:"hub"`
	// OfflineHours is the plan's offline window (0: none given).
	OfflineHours float64      `json:"offline_hours,omitempty"`
	Sites        []SiteStatus `json:"sites"`
}

// SiteStatus is one site of the star.
type SiteStatus struct {
	Name string `json:"name"`
	Up   bool   `json:"up"`
	// CutOff: the site is down, or a link between it and the hub does not
	// stream.
	CutOff bool `json:"cut_off"`
	// HubHolds is the WAL the hub keeps for the site (the slot of the
	// site's subscription, on the hub); SiteHolds what the site keeps for
	// the hub (the slot of the hub's subscription, on the site).
	HubHolds  *SlotClock `json:"hub_holds,omitempty"`
	SiteHolds *SlotClock `json:"site_holds,omitempty"`
	// SharedWrites counts the site's own write statements to each shared
	// table since bootstrap (nil: unknown, e.g. the site is down).
	SharedWrites map[string]int64 `json:"shared_writes,omitempty"`
	// SharedWriteSigns are the other traces of such writes: apply errors
	// and conflicts of the hub's changes on the site.
	SharedWriteSigns []string `json:"shared_write_signs,omitempty"`
}

// SlotClock is a slot that holds WAL for a peer that is cut off.
type SlotClock struct {
	Node          string `json:"node"` // where the slot is
	Slot          string `json:"slot"`
	RetainedBytes int64  `json:"retained_bytes"`
	// SafeWALBytes is how much more WAL the slot may hold before
	// max_slot_wal_keep_size invalidates it (nil: no limit).
	SafeWALBytes *int64 `json:"safe_wal_bytes,omitempty"`
	WALStatus    string `json:"wal_status,omitempty"`
	// Rate is the node's current WAL rate in bytes a second (nil: unknown).
	Rate *float64 `json:"wal_rate_bytes_per_sec,omitempty"`
	// SecondsLeft is how long until the slot is lost at that rate: to
	// max_slot_wal_keep_size, or with no limit until the disk under pg_wal
	// fills (nil: unknown, or the node writes no WAL).
	SecondsLeft *float64 `json:"seconds_left,omitempty"`
	// Limit is what ends it: max_slot_wal_keep_size, disk, or lost (the
	// slot is already invalidated).
	Limit string `json:"limit,omitempty"`
}

// hubCollector remembers each node's WAL position between reads, to
// measure WAL rates.
type hubCollector struct {
	mu   sync.Mutex
	prev map[string]lsnAt
}

type lsnAt struct {
	lsn int64
	at  time.Time
}

// reliableConflicts are the conflict types that only a site's own write
// explains on its subscription from the hub. update_origin_differs and
// delete_origin_differs are left out: PostgreSQL 18 also counts them for
// the first change of each row the initial copy brought.
var reliableConflicts = []string{"insert_exists", "update_exists", "update_missing", "delete_missing", "multiple_unique_conflicts"}

// qGuardCounts: a site's counters of local writes to shared tables.
const qGuardCounts = `SELECT coalesce(pg_catalog.obj_description(c.oid, 'pg_class'), c.relname::text),
  CASE WHEN pg_catalog.has_sequence_privilege(c.oid, 'SELECT') THEN coalesce(s.last_value, 0) END
FROM pg_catalog.pg_sequences s
JOIN pg_catalog.pg_namespace n ON n.nspname = s.schemaname
JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = s.sequencename
WHERE s.schemaname = $1 ORDER BY 1`

// collectHub fills st.Hub and adds the hub-and-spoke alarms.
func (c *Collector) collectHub(ctx context.Context, st *Status, nodes []*stNode) {
	t := c.plan.Topology
	hs := &HubStatus{Hub: t.Hub, Sites: []SiteStatus{}}
	if t.Offline != nil {
		hs.OfflineHours = t.Offline.Hours
	}
	st.Hub = hs
	byName := map[string]*stNode{}
	for _, n := range nodes {
		byName[n.plan.Name] = n
	}
	nodeStatus := map[string]*NodeStatus{}
	for i := range st.Nodes {
		nodeStatus[st.Nodes[i].Name] = &st.Nodes[i]
	}
	link := func(from, to string) *LinkStatus {
		for i := range st.Links {
			if st.Links[i].From == from && st.Links[i].To == to {
				return &st.Links[i]
			}
		}
		return nil
	}
	for _, site := range t.Sites() {
		s := SiteStatus{Name: site.Name}
		if ns := nodeStatus[site.Name]; ns != nil {
			s.Up = ns.Up
		}
		up, down := link(site.Name, t.Hub), link(t.Hub, site.Name)
		s.CutOff = !s.Up || up == nil || up.State != LinkStreaming || (down != nil && down.State != LinkStreaming)
		if down != nil {
			if down.ApplyErrors != nil && *down.ApplyErrors > 0 {
				s.SharedWriteSigns = append(s.SharedWriteSigns, fmt.Sprintf("%d apply error(s) of the hub's changes on %s", *down.ApplyErrors, site.Name))
			}
			for _, k := range reliableConflicts {
				if v := down.ConflictsByType[k]; v > 0 {
					s.SharedWriteSigns = append(s.SharedWriteSigns, fmt.Sprintf("%s=%d on %s's subscription from the hub", k, v, site.Name))
				}
			}
		}
		hs.Sites = append(hs.Sites, s)
	}
	rates := c.hubRates(ctx, hs, byName)
	for i := range hs.Sites {
		s := &hs.Sites[i]
		if !s.CutOff {
			continue
		}
		if l := link(t.Hub, s.Name); l != nil && l.Slot != "" {
			s.HubHolds = slotClock(t.Hub, l, rates[t.Hub], nodeStatus[t.Hub])
		}
		if l := link(s.Name, t.Hub); l != nil && l.Slot != "" && s.Up {
			s.SiteHolds = slotClock(s.Name, l, rates[s.Name], nodeStatus[s.Name])
		}
	}
	if t.Offline != nil {
		for _, s := range hs.Sites {
			for _, sc := range []*SlotClock{s.HubHolds, s.SiteHolds} {
				if sc == nil || sc.SecondsLeft == nil || *sc.SecondsLeft >= t.Offline.Window() {
					continue
				}
				st.Alarms = append(st.Alarms, Alarm{Kind: AlarmOfflineWindow, Node: sc.Node, Link: sc.Slot, Message: fmt.Sprintf(
					"slot %s on %s holds %s for %s, cut off; at %s it is lost (%s) in %s, less than the plan's offline window of %g h: raise max_slot_wal_keep_size (and the disk), or bring the site back sooner",
					sc.Slot, sc.Node, inspect.FormatBytesShort(sc.RetainedBytes), s.Name, FormatRate(*sc.Rate), sc.Limit, (time.Duration(*sc.SecondsLeft) * time.Second).Round(time.Second), t.Offline.Hours)})
			}
		}
	}
	c.guardCounts(ctx, hs, byName)
	for _, s := range hs.Sites {
		var parts []string
		for _, k := range sortedKeysInt(s.SharedWrites) {
			if v := s.SharedWrites[k]; v > 0 {
				parts = append(parts, fmt.Sprintf("%s (%d statement(s))", k, v))
			}
		}
		parts = append(parts, s.SharedWriteSigns...)
		if len(parts) > 0 {
			st.Alarms = append(st.Alarms, Alarm{Kind: AlarmSharedWrite, Node: s.Name, Message: fmt.Sprintf(
				"site %s wrote shared tables, which only hub %s writes: %s; its copy differs from the hub's until repaired ('mesh verify --repair-sql')",
				s.Name, t.Hub, strings.Join(parts, "; "))})
		}
	}
}

// slotClock reads the clock of the slot a link holds on its publisher.
func slotClock(node string, l *LinkStatus, rate *float64, ns *NodeStatus) *SlotClock {
	sc := &SlotClock{Node: node, Slot: l.Slot, SafeWALBytes: l.SafeWALBytes, WALStatus: l.WALStatus, Rate: rate}
	if l.RetainedBytes != nil {
		sc.RetainedBytes = *l.RetainedBytes
	}
	var room *int64
	switch {
	case l.WALStatus == "lost":
		sc.Limit = "lost"
		zero := 0.0
		sc.SecondsLeft = &zero
		return sc
	case l.SafeWALBytes != nil:
		sc.Limit, room = "max_slot_wal_keep_size", l.SafeWALBytes
	case ns != nil && ns.DiskFreeBytes != nil:
		sc.Limit, room = "disk", ns.DiskFreeBytes
	}
	if room != nil && rate != nil && *rate > 0 {
		left := float64(max(*room, 0)) / *rate
		sc.SecondsLeft = &left
	}
	return sc
}

// hubRates measures the WAL rate of the nodes a cut-off site involves:
// from the previous read when there is one, else over a short sample
// (StatusOptions.RateSample).
func (c *Collector) hubRates(ctx context.Context, hs *HubStatus, nodes map[string]*stNode) map[string]*float64 {
	c.mu.Lock()
	if c.hub == nil {
		c.hub = &hubCollector{prev: map[string]lsnAt{}}
	}
	hc := c.hub
	c.mu.Unlock()
	now := time.Now()
	want := map[string]bool{}
	for _, s := range hs.Sites {
		if s.CutOff {
			want[hs.Hub] = true
			if s.Up {
				want[s.Name] = true
			}
		}
	}
	out := map[string]*float64{}
	hc.mu.Lock()
	defer hc.mu.Unlock()
	var missing []string
	for name, n := range nodes {
		if n.err != nil || n.recovery {
			delete(hc.prev, name)
			continue
		}
		cur := lsnAt{lsn: n.lsn, at: now}
		if p, ok := hc.prev[name]; ok && now.Sub(p.at) > 0 {
			r := float64(max(cur.lsn-p.lsn, 0)) / now.Sub(p.at).Seconds()
			out[name] = &r
		} else if want[name] {
			missing = append(missing, name)
		}
		hc.prev[name] = cur
	}
	if len(missing) == 0 || c.opts.RateSample < 0 {
		return out
	}
	sample := c.opts.RateSample
	if sample == 0 {
		sample = time.Second
	}
	select {
	case <-ctx.Done():
		return out
	case <-time.After(sample):
	}
	sort.Strings(missing)
	for _, name := range missing {
		conn, err := c.conn(ctx, nodes[name].plan)
		if err != nil {
			continue
		}
		var lsn int64
		c.queries.Add(1)
		if err := conn.QueryRow(ctx, `SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), '0/0')::bigint`).Scan(&lsn); err != nil {
			continue
		}
		at := time.Now()
		p := hc.prev[name]
		r := float64(max(lsn-p.lsn, 0)) / at.Sub(p.at).Seconds()
		out[name] = &r
		hc.prev[name] = lsnAt{lsn: lsn, at: at}
	}
	return out
}

// guardCounts reads each reachable site's counters of local writes to
// shared tables.
func (c *Collector) guardCounts(ctx context.Context, hs *HubStatus, nodes map[string]*stNode) {
	var wg sync.WaitGroup
	for i := range hs.Sites {
		s := &hs.Sites[i]
		n := nodes[s.Name]
		if n == nil || n.err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
			defer cancel()
			conn, err := c.conn(ctx, n.plan)
			if err != nil {
				return
			}
			rows, err := c.q(ctx, conn, qGuardCounts, guardSchema)
			if err != nil {
				return
			}
			defer rows.Close()
			counts := map[string]int64{}
			for rows.Next() {
				var table string
				var v *int64
				if rows.Scan(&table, &v) != nil {
					return
				}
				if v != nil {
					counts[table] = *v
				}
			}
			if rows.Err() == nil && len(counts) > 0 {
				s.SharedWrites = counts
			}
		}()
	}
	wg.Wait()
}

func sortedKeysInt(m map[string]int64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
