package replicate

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"go.yaml.in/yaml/v3"
)

// A hub-and-spoke topology (kind hub-and-spoke) is how sites that write
// while cut off (stores, ships, plants) replicate: each site publishes
// only the rows it owns (a row filter on the owner column) and the hub
// subscribes to every site; the hub publishes the shared tables (the
// tables without the owner column, and topology.shared_tables) and every
// site subscribes to the hub. Sites never subscribe to each other: a site
// holds one subscription and one slot, the hub one of each per site. A
// site never gets its own rows back (docs/bootstrap.md says why).

// Offline is how long a site may stay cut off from the hub: it sizes the
// WAL each side keeps for the other (max_slot_wal_keep_size, disk).
type Offline struct {
	// Hours is the longest outage to ride through (the answers'
	// disconnect_hours).
	Hours float64 `yaml:"hours"`
	// HubWALRate and SiteWALRate are the WAL rates to size for, e.g.
	// "4MiB/s"; empty: bootstrap measures each node's rate.
	HubWALRate  string `yaml:"hub_wal_rate,omitempty"`
	SiteWALRate string `yaml:"site_wal_rate,omitempty"`
}

// walHeadroom multiplies rate × window: the rate is an average, and WAL
// comes in bursts (checkpoints, full-page writes after them, batch jobs).
const walHeadroom = 1.5

// WALToHold is the WAL a node writing rate bytes a second must keep for a
// peer cut off for the window, with headroom (walHeadroom).
func (o *Offline) WALToHold(rate float64) int64 {
	if o == nil || rate <= 0 || o.Hours <= 0 {
		return 0
	}
	return int64(math.Ceil(rate * o.Hours * 3600 * walHeadroom))
}

// Window is the offline window in seconds.
func (o *Offline) Window() float64 {
	if o == nil {
		return 0
	}
	return o.Hours * 3600
}

// ParseRate reads a WAL rate in bytes a second: a number with an optional
// unit (B, kB, MB, GB, TB, with or without i: 1024-based like
// PostgreSQL's memory units) and an optional "/s", e.g. 4MiB/s, 512kB, 1200.
func ParseRate(s string) (float64, error) {
	v := strings.TrimSpace(s)
	v = strings.TrimSuffix(v, "/s")
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	num, unit := v[:i], strings.TrimSpace(v[i:])
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q: want bytes a second, e.g. 4MiB/s", s)
	}
	mult := map[string]float64{"": 1, "b": 1, "kb": 1 << 10, "kib": 1 << 10, "mb": 1 << 20, "mib": 1 << 20,
		"gb": 1 << 30, "gib": 1 << 30, "tb": 1 << 40, "tib": 1 << 40}[strings.ToLower(unit)]
	if mult == 0 {
		return 0, fmt.Errorf("%q: unknown unit %q (want B, kB, MB, GB or TB)", s, unit)
	}
	return f * mult, nil
}

// FormatRate renders bytes a second (1.5MiB/s).
func FormatRate(r float64) string {
	if r < 1024 {
		return fmt.Sprintf("%.0fB/s", r)
	}
	return inspect.FormatBytesShort(int64(r)) + "/s"
}

func (d *planDecoder) offline(n *yaml.Node, path string, o *Offline) error {
	return d.fields(n, path, []string{"hours", "hub_wal_rate", "site_wal_rate"}, func(k string, v *yaml.Node, f string) error {
		s, err := d.str(v, f)
		if err != nil {
			return err
		}
		switch k {
		case "hours":
			h, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return d.err(v, f, "want a number of hours, got %q", s)
			}
			o.Hours = h
		case "hub_wal_rate":
			o.HubWALRate = s
		case "site_wal_rate":
			o.SiteWALRate = s
		}
		return nil
	})
}

// validateHub checks the fields of a hub-and-spoke topology, and that no
// other kind carries them.
func (p *Plan) validateHub(bad func(field, format string, a ...any) error) error {
	t := p.Topology
	if t.Kind != TopologyHubSpoke {
		switch {
		case t.Hub != "":
			return bad("topology.hub", "only a hub-and-spoke topology has a hub")
		case len(t.SharedTables) > 0:
			return bad("topology.shared_tables", "only a hub-and-spoke topology has shared tables")
		case t.Offline != nil:
			return bad("topology.offline", "only a hub-and-spoke topology has an offline window (sites cut off from their hub)")
		}
		return nil
	}
	if t.Hub == "" {
		return bad("topology.hub", "missing: name the hub node (HQ, which every site replicates with)")
	}
	hubs := []string{}
	found := false
	for _, n := range t.Nodes {
		if n.Role == RoleHub {
			hubs = append(hubs, n.Name)
		}
		found = found || n.Name == t.Hub
	}
	if !found {
		return bad("topology.hub", "%q is not a node of the topology", t.Hub)
	}
	if len(hubs) != 1 || hubs[0] != t.Hub {
		return bad("topology.nodes", "a hub-and-spoke topology has one node with role hub, the one topology.hub names (%s); got %s",
			t.Hub, orDefault(strings.Join(hubs, ", "), "none"))
	}
	if t.Sequences == SequencesOffsets {
		return bad("topology.sequences", "a hub-and-spoke topology keys site rows with the owner column and writes shared tables at the hub only: want none or uuid (offsets would re-step every node's sequences for each new site)")
	}
	for i, tb := range t.SharedTables {
		if !qualifiedTableRE.MatchString(tb) {
			return bad(fmt.Sprintf("topology.shared_tables[%d]", i), "%q: want schema.table", tb)
		}
	}
	if o := t.Offline; o != nil {
		if o.Hours <= 0 || o.Hours > 8760 {
			return bad("topology.offline.hours", "%v: want more than 0 and at most 8760 hours", o.Hours)
		}
		for _, r := range [][2]string{{"hub_wal_rate", o.HubWALRate}, {"site_wal_rate", o.SiteWALRate}} {
			if r[1] == "" {
				continue
			}
			if _, err := ParseRate(r[1]); err != nil {
				return bad("topology.offline."+r[0], "%s", err.Error())
			}
		}
	}
	return nil
}

// HubNode is the hub of a hub-and-spoke topology (nil for other kinds).
func (t Topology) HubNode() *PlanNode {
	if t.Kind != TopologyHubSpoke {
		return nil
	}
	for i := range t.Nodes {
		if t.Nodes[i].Name == t.Hub {
			return &t.Nodes[i]
		}
	}
	return nil
}

// Sites are the sites of a hub-and-spoke topology, in plan order.
func (t Topology) Sites() []PlanNode {
	var out []PlanNode
	if t.Kind != TopologyHubSpoke {
		return nil
	}
	for _, n := range t.Nodes {
		if n.Name != t.Hub {
			out = append(out, n)
		}
	}
	return out
}

// listedShared reports whether topology.shared_tables names the table
// (schema.name as the catalog spells it).
func (t Topology) listedShared(key string) bool {
	for _, s := range t.SharedTables {
		if rawTableName(s) == key {
			return true
		}
	}
	return false
}
