package decide

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aadvisor/aadvisor/replicate"
)

var nonName = regexp.MustCompile(`[^a-z0-9_]+`)

// nodeName turns a region into a node name ("us-east-1" → "us_east_1").
func nodeName(s string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if n == "" || n[0] < 'a' || n[0] > 'z' {
		n = "n_" + n
	}
	if len(n) > 63 {
		n = n[:63]
	}
	return n
}

func placeholderDSN(where string) string {
	return fmt.Sprintf("postgres://postgres@<%s-host>:5432/postgres", where)
}

// Plan is the plan skeleton of the recommendation for bootstrap, made by
// the command by (GeneratedBy) and keeping the answers ans: the nodes are
// the recommendation's copies, with placeholder DSNs to fill in, and the
// tables' write modes. replicate does not know assess; this is where the
// two meet.
func (rec *Recommendation) Plan(ans Answers, by string) *replicate.Plan {
	p := &replicate.Plan{Version: replicate.PlanVersion, GeneratedBy: by, Answers: ans.Node()}
	pr := &replicate.PlanRecommendation{Design: string(rec.Design), Family: string(rec.Family), Title: rec.Title, Engine: rec.Engine, HA: rec.HATooling}
	for _, r := range rec.Reasons {
		kind := "bad"
		if r.Good {
			kind = "good"
		}
		pr.Reasons = append(pr.Reasons, fmt.Sprintf("%s (%s) %s", r.ID, kind, r.Title))
	}
	for _, b := range rec.Blockers {
		pr.Blockers = append(pr.Blockers, strings.TrimSpace(b.Gate+" "+b.Object+": "+b.Message))
	}
	for _, c := range rec.Also {
		pr.Also = append(pr.Also, fmt.Sprintf("%s for %s", c.Design, c.For))
	}
	p.Recommendation = pr

	t := &p.Topology
	t.Engine = rec.Engine
	primary := rec.Derived.Primary
	if primary == "" {
		primary = "primary"
	}
	// The nodes are the recommendation's copies: where it keeps the data.
	copies := func(role string) []Copy {
		var out []Copy
		for _, c := range rec.Copies {
			if c.Role == role {
				out = append(out, c)
			}
		}
		return out
	}
	add := func(n replicate.PlanNode) {
		for _, x := range t.Nodes {
			if x.Name == n.Name {
				return
			}
		}
		t.Nodes = append(t.Nodes, n)
	}
	switch rec.Family {
	case SinglePrimary:
		t.Kind = replicate.TopologyStreaming
		t.Engine = replicate.EnginePhysical
		add(replicate.PlanNode{Name: "primary", Region: primary, Role: replicate.RolePrimary, DSN: placeholderDSN(primary + "-a")})
		add(replicate.PlanNode{Name: "standby_1", Region: primary, Role: replicate.RoleStandby, DSN: placeholderDSN(primary + "-b")})
		for _, c := range copies("sync-standby") {
			name, where := "sync_"+nodeName(c.Region), c.Region
			switch {
			case c.Region == "":
				name, where = "sync_region_2", "sync-region"
			case c.Region == primary:
				name, where = "sync_"+nodeName(primary)+"_az2", primary+"-c"
			}
			add(replicate.PlanNode{Name: name, Region: c.Region, Role: replicate.RoleStandby, DSN: placeholderDSN(where)})
		}
		for _, c := range copies("dr-standby") {
			name, where := "dr_"+nodeName(c.Region), c.Region
			if c.Region == "" {
				name, where = "dr_region", "dr-region"
			}
			add(replicate.PlanNode{Name: name, Region: c.Region, Role: replicate.RoleStandby, DSN: placeholderDSN(where)})
		}
		// Self-managed in-region HA is Patroni: bootstrap stands it up
		// (synchronous mode for SP-SYNC), and drill measures it.
		if pl := ans.String("platform"); pl == PlatformPatroni || pl == PlatformEdge {
			t.HA = &replicate.HA{Engine: replicate.HAPatroni, SynchronousMode: rec.Design == SPSync}
		}
	case WritePartitioned:
		t.Kind = replicate.TopologyPartitioned
		t.OwnerColumn = rec.OwnerColumn
		if t.OwnerColumn == "" {
			t.OwnerColumn = "owner_id"
		}
		switch rec.Design {
		case WPSite:
			siteNodes(t, rec, ans)
		case WPShard:
			for i := 1; i <= 2; i++ {
				add(replicate.PlanNode{Name: fmt.Sprintf("shard_%d", i), Region: primary, Role: replicate.RoleOwner,
					DSN: placeholderDSN(fmt.Sprintf("shard-%d", i)), Owns: []string{fmt.Sprintf("<owners of shard %d>", i)}})
			}
		default:
			for _, c := range copies("owner") {
				add(replicate.PlanNode{Name: nodeName(c.Region), Region: c.Region, Role: replicate.RoleOwner, DSN: placeholderDSN(c.Region), Owns: []string{"<owners homed in " + c.Region + ">"}})
			}
			for i := 2; len(t.Nodes) < 2; i++ {
				r := fmt.Sprintf("region-%d", i)
				add(replicate.PlanNode{Name: nodeName(r), Region: r, Role: replicate.RoleOwner, DSN: placeholderDSN(r), Owns: []string{"<owners homed in " + r + ">"}})
			}
		}
		t.Sequences = rec.Sequences
	case ActiveActive:
		t.Kind = replicate.TopologyActiveActive
		t.OwnerColumn = rec.OwnerColumn
		for _, c := range copies("peer") {
			r := c.Region
			if r == "" {
				r = "region-2"
			}
			add(replicate.PlanNode{Name: nodeName(r), Region: c.Region, Role: replicate.RolePeer, DSN: placeholderDSN(r)})
		}
		if len(copies("site")) > 0 {
			for i := 1; i <= 2; i++ {
				add(replicate.PlanNode{Name: fmt.Sprintf("site_%04d", i), Role: replicate.RolePeer, DSN: placeholderDSN(fmt.Sprintf("site-%04d", i))})
			}
		}
		for i := 2; len(t.Nodes) < 2; i++ {
			r := fmt.Sprintf("region-%d", i)
			add(replicate.PlanNode{Name: nodeName(r), Region: r, Role: replicate.RolePeer, DSN: placeholderDSN(r)})
		}
		t.Sequences = rec.Sequences
	}
	t.Tables = []string{"public.*"}
	if rec.Family != SinglePrimary {
		t.WriteModes = planWriteModes(rec.Tables, t.Nodes)
	}
	return p
}

// planSites bounds the sites a plan lists; more are added with 'mesh
// add-node' once the first ones run.
const planSites = 100

// siteNodes makes a hub-and-spoke topology of a WP-SITE recommendation:
// the hub (HQ, in the hub region) and one site per store the answers
// count (two when they do not say, at most planSites), each with its
// owner value to fill in, and the offline window.
func siteNodes(t *replicate.Topology, rec *Recommendation, ans Answers) {
	t.Kind = replicate.TopologyHubSpoke
	t.Hub = "hq"
	t.Nodes = append(t.Nodes, replicate.PlanNode{Name: t.Hub, Region: rec.Hub, Role: replicate.RoleHub, DSN: placeholderDSN("hq")})
	sites := 2
	if n := ans.Number("site_count"); ans.IsSet("site_count") && n >= 1 {
		sites = min(int(n), planSites)
	}
	for i := 1; i <= sites; i++ {
		name := fmt.Sprintf("site-%04d", i)
		t.Nodes = append(t.Nodes, replicate.PlanNode{Name: nodeName(name), Role: replicate.RoleSite, DSN: placeholderDSN(name),
			Owns: []string{fmt.Sprintf("<%s of %s>", t.OwnerColumn, name)}})
	}
	if h := ans.Number("disconnect_hours"); h > 0 {
		t.Offline = &replicate.Offline{Hours: h}
	}
}

// planWriteModes carries the recommendation's per-table write modes into the
// plan; a table homed in a region is homed on that region's node.
func planWriteModes(tables []TableMode, nodes []replicate.PlanNode) []replicate.WriteMode {
	var out []replicate.WriteMode
	for _, tm := range tables {
		if !replicate.ValidTableName(tm.Table) {
			continue // the recommendation lists it; the plan names tables schema.table
		}
		wm := replicate.WriteMode{Table: tm.Table, Mode: tm.Mode, Why: tm.Why}
		if tm.Mode == ModeHome && tm.Home != "" {
			for _, n := range nodes {
				if n.Region == tm.Home {
					wm.Home = n.Name
					break
				}
			}
		}
		out = append(out, wm)
	}
	return out
}
