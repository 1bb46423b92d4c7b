package decide

// hubAndSpoke: site-owned partitions (WP-SITE) replicate as a star, never
// as a mesh of sites, with each side's WAL sized for the offline window.
func (x *decider) hubAndSpoke() {
	r, a := x.r, x.a
	r.Topology = TopologyHubSpoke
	r.Hub = x.d.Primary
	owner := r.OwnerColumn
	if owner == "" {
		owner = "the owner column"
	}
	hq := "HQ"
	if r.Hub != "" {
		hq = "HQ in " + r.Hub
	}
	n := "N"
	if s := a.Number("site_count"); a.IsSet("site_count") && s > 0 {
		n = fmtNum(s)
	}
	x.advise("Build the sites as a hub and spokes, never a mesh: each site publishes only its own rows (a row filter on %s) to %s, HQ publishes the shared tables (those without %s) to every site, and sites never subscribe to each other: one subscription and one slot per site, %s of each at HQ, whose max_replication_slots, max_wal_senders, max_logical_replication_workers and max_worker_processes must be sized for them (bootstrap's prechecks say what to set).",
		owner, hq, owner, n)
	x.advise("Write the shared tables at HQ only and let the sites read them (bootstrap prints each table's rule; mesh status flags a site that writes one); key the site tables by (%s, id), so that each site's own sequence needs no offsets.", owner)
	if h := a.Number("disconnect_hours"); h > 0 {
		x.advise("While a site is cut off (up to %s h), HQ's slot for it holds all of HQ's WAL and the site's slot all of the site's: size max_slot_wal_keep_size and the disk under pg_wal for each node's WAL rate × %s h (× 1.5 headroom); bootstrap measures the rates and sets the limit, and mesh status shows each cut-off site's time left.",
			fmtNum(h), fmtNum(h))
	}
}
