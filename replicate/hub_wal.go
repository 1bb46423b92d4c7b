package replicate

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
)

// The offline window of a hub-and-spoke topology sizes the WAL each side
// keeps: while a site is cut off, the hub's slot for the site's
// subscription holds all of the hub's WAL since the cut, and the site's
// slot for the hub's subscription all of the site's. Each must hold
// rate × window (× walHeadroom) without being invalidated by
// max_slot_wal_keep_size and without filling the disk.

// walKeepFloor is the least max_slot_wal_keep_size bootstrap sets: an idle
// node's measured rate is near zero, and a tiny limit would invalidate a
// slot at the first burst.
const walKeepFloor = 1 << 30

// walStatsMinPeriod is how long pg_stat_wal must have been counting for
// its average to say something (a fresh cluster's initdb WAL would
// inflate it).
const walStatsMinPeriod = time.Hour

// walFacts is one node's WAL rate and limits.
type walFacts struct {
	Rate   float64 // bytes a second to size for
	Source string  // where Rate comes from
	KeepMB int64   // max_slot_wal_keep_size in MB; -1: unlimited
	WALDir string  // data_directory/pg_wal ("" without the privilege)
	Free   *int64  // free bytes where pg_wal lives (nodes on this machine)
	Local  bool    // the node runs on this machine
}

// Need is the WAL the node must keep for a peer cut off for the window.
func (w *walFacts) Need(o *Offline) int64 { return o.WALToHold(w.Rate) }

// qWALSample: the WAL position, pg_stat_wal's counters and the limits.
const qWALSample = `SELECT pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), '0/0')::bigint,
  pg_catalog.clock_timestamp(),
  (SELECT wal_bytes::bigint FROM pg_catalog.pg_stat_wal),
  (SELECT stats_reset FROM pg_catalog.pg_stat_wal),
  (SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size'),
  coalesce((SELECT setting FROM pg_catalog.pg_settings WHERE name = 'data_directory'), '')`

type walSample struct {
	lsn      int64
	at       time.Time
	walBytes *int64
	reset    *time.Time
	keepMB   int64
	dataDir  string
}

func readWALSample(ctx context.Context, conn *pgx.Conn) (walSample, error) {
	var s walSample
	err := conn.QueryRow(ctx, qWALSample).Scan(&s.lsn, &s.at, &s.walBytes, &s.reset, &s.keepMB, &s.dataDir)
	return s, err
}

// hubGather reads what the hub-and-spoke prechecks need besides the facts:
// each node's WAL rate (given in the plan, or measured over opt.WALSample
// and from pg_stat_wal) and limits, and the rows the hub already holds of
// each site that has not joined. It returns failing checks for what it
// cannot read.
func (b *bootstrapper) hubGather(ctx context.Context) []Check {
	for _, n := range b.nodes {
		if n.facts == nil {
			return nil // reported by connect
		}
	}
	b.hub = &hubState{wal: map[string]*walFacts{}, hubRows: map[string][]string{}}
	var cs []Check
	if c := b.readHubRows(ctx); c != nil {
		cs = append(cs, *c)
	}
	if b.plan.Topology.Offline == nil {
		return cs
	}
	o := b.plan.Topology.Offline
	given := map[string]string{}
	for _, n := range b.nodes {
		r := o.SiteWALRate
		if n.Name == b.plan.Topology.Hub {
			r = o.HubWALRate
		}
		given[n.Name] = r
	}
	first := make([]walSample, len(b.nodes))
	errs := make([]error, len(b.nodes))
	each := func(f func(i int, n *nodeConn)) {
		var wg sync.WaitGroup
		for i, n := range b.nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(i, n)
			}()
		}
		wg.Wait()
	}
	each(func(i int, n *nodeConn) { first[i], errs[i] = readWALSample(ctx, n.conn) })
	sample := b.opt.WALSample
	measure := false
	for _, n := range b.nodes {
		measure = measure || given[n.Name] == ""
	}
	second := make([]walSample, len(b.nodes))
	if measure && sample > 0 {
		select {
		case <-ctx.Done():
			return append(cs, Check{Name: "wal rate", Status: StatusFail, Detail: ctx.Err().Error()})
		case <-time.After(sample):
		}
		each(func(i int, n *nodeConn) {
			if errs[i] == nil && given[n.Name] == "" {
				second[i], errs[i] = readWALSample(ctx, n.conn)
			}
		})
	}
	for i, n := range b.nodes {
		if errs[i] != nil {
			cs = append(cs, Check{Node: n.Name, Name: "wal rate", Status: StatusFail, Detail: "read WAL position: " + errs[i].Error(),
				Fix: "connect as a superuser or a member of pg_monitor"})
			continue
		}
		w := &walFacts{KeepMB: first[i].keepMB}
		if first[i].dataDir != "" {
			w.WALDir = filepath.Join(first[i].dataDir, "pg_wal")
		}
		if ep, ok := meshEndpoint(b.plan, n.PlanNode); ok && isLoopbackHost(ep.host) {
			w.Local = true
			var fs syscall.Statfs_t
			if w.WALDir != "" && syscall.Statfs(w.WALDir, &fs) == nil {
				free := int64(fs.Bavail) * int64(fs.Bsize)
				w.Free = &free
			}
		}
		if r := given[n.Name]; r != "" {
			w.Rate, _ = ParseRate(r) // validated with the plan
			w.Source = "given in the plan"
		} else {
			w.Rate, w.Source = measuredRate(first[i], second[i], sample)
		}
		b.hub.wal[n.Name] = w
	}
	return cs
}

// measuredRate is the larger of the rate between two samples and
// pg_stat_wal's average since its last reset (when that covers at least
// walStatsMinPeriod), with where it comes from.
func measuredRate(a, z walSample, sample time.Duration) (float64, string) {
	rate, src := 0.0, "no measurement"
	if !z.at.IsZero() {
		if dt := z.at.Sub(a.at).Seconds(); dt > 0 {
			rate = float64(max(z.lsn-a.lsn, 0)) / dt
			src = fmt.Sprintf("measured over %s", sample.Round(100*time.Millisecond))
		}
	}
	if a.walBytes != nil && a.reset != nil {
		if period := a.at.Sub(*a.reset); period >= walStatsMinPeriod {
			if avg := float64(*a.walBytes) / period.Seconds(); avg > rate {
				rate = avg
				src = fmt.Sprintf("pg_stat_wal average since %s", a.reset.UTC().Format("2006-01-02 15:04Z"))
			}
		}
	}
	return rate, src
}

// qHubRows: per site that has not joined, the rows of its owner values
// the hub holds in each site table ($1: site, $2: owner values).
func (b *bootstrapper) readHubRows(ctx context.Context) *Check {
	hub := b.hubNode()
	site, _ := b.hubTables()
	var parts []string
	var args []any
	for _, n := range b.siteNodes() {
		if hub.facts.Subscriptions[subName(hub.Name, n.Name)] || hub.facts.PglSubs[subName(hub.Name, n.Name)] {
			continue
		}
		owns := n.Owns
		ok := true
		for _, o := range owns {
			ok = ok && !placeholRE.MatchString(o)
		}
		if !ok {
			continue
		}
		for _, tf := range site {
			if hub.facts.Tables[tf.key()] == nil {
				continue
			}
			args = append(args, owns)
			c := ident(b.plan.Topology.OwnerColumn)
			parts = append(parts, fmt.Sprintf("SELECT %s::text, %s::text, count(*) FROM %s WHERE %s::text = ANY($%d::text[])",
				literal(n.Name), literal(tf.key()), qualified(tf.Schema, tf.Name), c, len(args)))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	rows, err := hub.conn.Query(ctx, strings.Join(parts, " UNION ALL "), args...)
	if err != nil {
		return &Check{Node: hub.Name, Name: "site rows at the hub", Status: StatusFail, Detail: "count rows: " + err.Error()}
	}
	defer rows.Close()
	for rows.Next() {
		var site, table string
		var n int64
		if err := rows.Scan(&site, &table, &n); err != nil {
			return &Check{Node: hub.Name, Name: "site rows at the hub", Status: StatusFail, Detail: "count rows: " + err.Error()}
		}
		if n > 0 {
			b.hub.hubRows[site] = append(b.hub.hubRows[site], fmt.Sprintf("%s (%d rows)", table, n))
		}
	}
	if err := rows.Err(); err != nil {
		return &Check{Node: hub.Name, Name: "site rows at the hub", Status: StatusFail, Detail: "count rows: " + err.Error()}
	}
	return nil
}

// walTarget is the max_slot_wal_keep_size bootstrap sets on a node, in
// MB (0: leave it): the WAL the window needs, at least walKeepFloor, when
// the limit is unlimited or lower.
func walTarget(w *walFacts, o *Offline) int64 {
	need := max(w.Need(o), walKeepFloor)
	mb := (need + 1<<20 - 1) >> 20
	if w.KeepMB >= 0 && w.KeepMB >= mb {
		return 0
	}
	return mb
}

// walChecks judge each node's WAL retention against the offline window.
func (b *bootstrapper) walChecks() []Check {
	o := b.plan.Topology.Offline
	if o == nil || b.hub == nil {
		return nil
	}
	var cs []Check
	for _, n := range b.nodes {
		w := b.hub.wal[n.Name]
		if w == nil {
			continue
		}
		need := w.Need(o)
		who := "cut off from its hub"
		if n.Name == b.plan.Topology.Hub {
			who = "with a site cut off"
		}
		base := fmt.Sprintf("WAL rate %s (%s): %g h %s keeps %s of WAL here (×%g headroom)", FormatRate(w.Rate), w.Source, o.Hours, who, inspect.FormatBytesShort(need), walHeadroom)
		keep := "unlimited"
		if w.KeepMB >= 0 {
			keep = inspect.FormatBytesShort(w.KeepMB << 20)
		}
		if mb := walTarget(w, o); mb > 0 {
			cs = append(cs, Check{Node: n.Name, Name: "offline window", Status: StatusOK,
				Detail: fmt.Sprintf("%s; max_slot_wal_keep_size is %s: bootstrap sets it to %s (a reload), so that a longer outage costs the slot, not the disk", base, keep, inspect.FormatBytesShort(mb<<20))})
		} else {
			cs = append(cs, Check{Node: n.Name, Name: "offline window", Status: StatusOK,
				Detail: fmt.Sprintf("%s; max_slot_wal_keep_size %s holds it", base, keep)})
		}
		hold := max(need, walKeepFloor)
		switch {
		case w.Free != nil && *w.Free < hold:
			cs = append(cs, Check{Node: n.Name, Name: "disk headroom", Status: StatusFail,
				Detail: fmt.Sprintf("%s free where pg_wal lives (%s), keeping %s of WAL for the window needs more", inspect.FormatBytesShort(*w.Free), w.WALDir, inspect.FormatBytesShort(hold)),
				Fix:    "add disk under pg_wal, or shorten topology.offline.hours"})
		case w.Free != nil:
			cs = append(cs, Check{Node: n.Name, Name: "disk headroom", Status: StatusOK,
				Detail: fmt.Sprintf("%s free where pg_wal lives, %s needed for the window", inspect.FormatBytesShort(*w.Free), inspect.FormatBytesShort(hold))})
		default:
			where := "DATA_DIRECTORY/pg_wal"
			if w.WALDir != "" {
				where = w.WALDir
			}
			cs = append(cs, Check{Node: n.Name, Name: "disk headroom", Status: StatusWarn,
				Detail: fmt.Sprintf("free space where pg_wal lives cannot be read from here; the window needs %s", inspect.FormatBytesShort(hold)),
				Fix:    fmt.Sprintf("check on the host: df -h %s shows at least %s available", where, inspect.FormatBytesShort(hold))})
		}
	}
	return cs
}

// walSteps set max_slot_wal_keep_size (a reload, no restart) where the
// offline window needs more than the node keeps.
func (b *bootstrapper) walSteps() []Step {
	o := b.plan.Topology.Offline
	if o == nil || b.hub == nil {
		return nil
	}
	var steps []Step
	for _, n := range b.nodes {
		w := b.hub.wal[n.Name]
		if w == nil {
			continue
		}
		mb := walTarget(w, o)
		if mb == 0 {
			continue
		}
		const holds = `SELECT coalesce((SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size'), -1) >= $1`
		steps = append(steps,
			Step{Node: n.Name, Action: fmt.Sprintf("keep up to %s of WAL for slots (offline window %g h)", inspect.FormatBytesShort(mb<<20), o.Hours),
				SQL:    fmt.Sprintf("ALTER SYSTEM SET max_slot_wal_keep_size = '%dMB'", mb),
				exists: holds, existsArgs: []any{mb}},
			Step{Node: n.Name, Action: "reload configuration", SQL: "SELECT pg_catalog.pg_reload_conf()",
				exists: holds, existsArgs: []any{mb}})
	}
	return steps
}
