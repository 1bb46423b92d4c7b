package replicate

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// verifyHub compares a hub-and-spoke topology by what each node must
// hold, not whole tables: a shared table is the same on every node (the
// hub's version wins: it is the only writer); each site's rows of a site
// table are the same on the site and the hub (the site's version wins);
// and a site holds no rows of other owners (they never leave it, so each
// is a difference: extra). One comparison runs over all nodes, then one
// per site over the site and the hub, each node reading only the rows in
// question.
func verifyHub(ctx context.Context, p *Plan, o VerifyOptions) (*VerifyReport, error) {
	start := time.Now()
	t := p.Topology
	hub := t.HubNode()
	if o.Source != "" && o.Source != hub.Name {
		found := false
		for _, n := range t.Nodes {
			found = found || n.Name == o.Source
		}
		if !found {
			return nil, fmt.Errorf("verify: --source %s is not a node of the plan", o.Source)
		}
	}
	rep := &VerifyReport{SchemaVersion: VerifySchemaVersion, Time: start.UTC(), Database: t.Database,
		Tables: []TableVerify{}, sysIDs: map[string]string{}}
	for _, n := range t.Nodes {
		rep.Nodes = append(rep.Nodes, n.Name)
	}
	shared := func(tv *TableVerify) bool {
		has := false
		for _, c := range tv.cols {
			has = has || c.name == t.OwnerColumn
		}
		return !has || t.listedShared(tv.Table)
	}
	merge := func(r *VerifyReport) {
		rep.Tables = append(rep.Tables, r.Tables...)
		rep.Differences += r.Differences
		rep.InFlight += r.InFlight
		rep.Queries += r.Queries
		for k, v := range r.sysIDs {
			rep.sysIDs[k] = v
		}
		for _, n := range r.Notes {
			if !slices.Contains(rep.Notes, n) {
				rep.Notes = append(rep.Notes, n)
			}
		}
	}
	so := o
	so.Source = ""
	so.expand = func(ts []TableVerify) []TableVerify {
		var out []TableVerify
		for _, tv := range ts {
			if shared(&tv) {
				tv.authority = hub.Name
				tv.Scope = fmt.Sprintf("shared: every node (written at hub %s)", hub.Name)
				out = append(out, tv)
			}
		}
		return out
	}
	r, err := Verify(ctx, p, so)
	if err != nil {
		return nil, err
	}
	merge(r)
	for _, site := range t.Sites() {
		sp := *p
		sp.Topology.Nodes = []PlanNode{*hub, site}
		own := ownerFilter(t.OwnerColumn, site.Owns)
		so := o
		so.Source = ""
		so.expand = func(ts []TableVerify) []TableVerify {
			var out []TableVerify
			for _, tv := range ts {
				if shared(&tv) {
					continue
				}
				mine := cloneTableVerify(tv)
				mine.filters = map[string]string{hub.Name: own, site.Name: own}
				mine.authority = site.Name
				mine.Scope = fmt.Sprintf("%s's rows (%s): on %s and hub %s", site.Name, own, site.Name, hub.Name)
				others := cloneTableVerify(tv)
				others.filters = map[string]string{hub.Name: "false", site.Name: "(" + own + ") IS NOT TRUE"}
				others.authority = hub.Name
				others.Scope = fmt.Sprintf("rows on %s of other owners (a site keeps only its own)", site.Name)
				out = append(out, mine, others)
			}
			return out
		}
		r, err := Verify(ctx, &sp, so)
		if err != nil {
			return nil, err
		}
		merge(r)
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, nil
}

// cloneTableVerify copies a table's entry before any pass ran.
func cloneTableVerify(tv TableVerify) TableVerify {
	tv.Rows = map[string]int64{}
	tv.PerNode = []NodeDiff{}
	tv.Diffs = []RowDiff{}
	tv.byKey = map[string]*RowDiff{}
	return tv
}
