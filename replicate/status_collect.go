package replicate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Collector reads the status of a mesh, keeping one connection per node
// between reads.
type Collector struct {
	plan    *Plan
	opts    StatusOptions
	mu      sync.Mutex
	conns   map[string]*pgx.Conn
	queries atomic.Int64
	prev    *Status
	logPos  map[string]*stLogCount
	// known remembers every subscription seen, so that a link still shows
	// (down, with the WAL its slot retains) while its subscriber is down.
	known map[string]LinkStatus
	hub   *hubCollector // hub-and-spoke: WAL positions of the last read
}

type stLogCount struct {
	offset int64
	count  int64
}

// NewCollector makes a collector for the plan's nodes.
func NewCollector(p *Plan, o StatusOptions) *Collector {
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Second
	}
	if o.SlotAlarmFraction <= 0 {
		o.SlotAlarmFraction = 0.2
	}
	return &Collector{plan: p, opts: o, conns: map[string]*pgx.Conn{}, logPos: map[string]*stLogCount{}, known: map[string]LinkStatus{}}
}

// Queries is how many queries the collector has sent so far.
func (c *Collector) Queries() int64 { return c.queries.Load() }

// Close closes the connections.
func (c *Collector) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, conn := range c.conns {
		conn.Close(context.Background())
		delete(c.conns, k)
	}
}

// meshConnConfig parses a plan node's DSN, pointed at the plan's database.
func meshConnConfig(p *Plan, n PlanNode) (*pgx.ConnConfig, error) {
	cfg, err := connConfig(n.DSN)
	if err != nil {
		return nil, fmt.Errorf("node %s: parse DSN: %s", n.Name, inspect.Redact(err.Error()))
	}
	if p.Topology.Database != "" {
		cfg.Database = p.Topology.Database
	}
	return cfg, nil
}

// meshEndpoint is where a plan node's DSN points.
func meshEndpoint(p *Plan, n PlanNode) (stEndpoint, bool) {
	cfg, err := meshConnConfig(p, n)
	if err != nil {
		return stEndpoint{}, false
	}
	return stEndpoint{host: stNormHost(cfg.Host), port: fmt.Sprint(cfg.Port), db: cfg.Database}, true
}

func (c *Collector) conn(ctx context.Context, n PlanNode) (*pgx.Conn, error) {
	c.mu.Lock()
	conn := c.conns[n.Name]
	c.mu.Unlock()
	if conn != nil && !conn.IsClosed() {
		return conn, nil
	}
	cfg, err := meshConnConfig(c.plan, n)
	if err != nil {
		return nil, err
	}
	cfg.ConnectTimeout = c.opts.Timeout
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["application_name"] = "aadvisor mesh"
	conn, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %s", inspect.Redact(err.Error()))
	}
	c.mu.Lock()
	c.conns[n.Name] = conn
	c.mu.Unlock()
	return conn, nil
}

func (c *Collector) drop(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if conn := c.conns[name]; conn != nil {
		conn.Close(context.Background())
		delete(c.conns, name)
	}
}

// Status queries. Each runs once per node per read.
const (
	// stqNode: version, role, WAL position, limits and paths.
	stqNode = `SELECT pg_catalog.current_setting('server_version'),
  pg_catalog.current_setting('server_version_num')::int,
  pg_catalog.pg_is_in_recovery(),
  pg_catalog.pg_wal_lsn_diff(CASE WHEN pg_catalog.pg_is_in_recovery()
       THEN coalesce(pg_catalog.pg_last_wal_replay_lsn(), '0/0') ELSE pg_catalog.pg_current_wal_lsn() END, '0/0')::bigint,
  (SELECT setting::bigint FROM pg_catalog.pg_settings WHERE name = 'max_slot_wal_keep_size'),
  (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'data_directory'),
  (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'log_min_messages'),
  (SELECT setting FROM pg_catalog.pg_settings WHERE name = 'pglogical.conflict_log_level'),
  EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pglogical'),
  CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_ls_waldir()', 'EXECUTE')
       THEN (SELECT sum(size)::bigint FROM pg_catalog.pg_ls_waldir()) END,
  CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_current_logfile()', 'EXECUTE')
       THEN pg_catalog.pg_current_logfile() END,
  CASE WHEN pg_catalog.pg_is_in_recovery() AND pg_catalog.pg_last_wal_replay_lsn() IS DISTINCT FROM pg_catalog.pg_last_wal_receive_lsn()
       THEN extract(epoch FROM pg_catalog.now() - pg_catalog.pg_last_xact_replay_timestamp())::float8 END`

	// stqSlots: every slot with its retained WAL and its consumer's lag.
	stqSlots = `SELECT s.slot_name::text, s.slot_type, s.active, coalesce(s.wal_status, ''), s.safe_wal_size,
  CASE WHEN s.restart_lsn IS NOT NULL THEN pg_catalog.pg_wal_lsn_diff(
    CASE WHEN pg_catalog.pg_is_in_recovery() THEN pg_catalog.pg_last_wal_replay_lsn() ELSE pg_catalog.pg_current_wal_lsn() END,
    s.restart_lsn)::bigint END,
  CASE WHEN s.confirmed_flush_lsn IS NOT NULL AND NOT pg_catalog.pg_is_in_recovery()
    THEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), s.confirmed_flush_lsn)::bigint END,
  extract(epoch FROM coalesce(r.replay_lag, r.flush_lag, r.write_lag))::float8,
  CASE WHEN r.replay_lsn IS NOT NULL AND NOT pg_catalog.pg_is_in_recovery()
    THEN pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_lsn(), r.replay_lsn)::bigint END
FROM pg_catalog.pg_replication_slots s
LEFT JOIN pg_catalog.pg_stat_replication r ON r.pid = s.active_pid
ORDER BY 1`

	// stqReceiver: the WAL receiver of a standby.
	stqReceiver = `SELECT coalesce(sender_host, ''), coalesce(sender_port, 0), coalesce(slot_name, ''), status
FROM pg_catalog.pg_stat_wal_receiver`

	// stqPglSlotNames: the names pglogical gives the slots of the plan's
	// subscriptions from this node (subscription $1[i] in database
	// $2[i], provider node $3).
	stqPglSlotNames = `SELECT s.sub, pglogical.pglogical_gen_slot_name(s.db, $3, s.sub)::text
FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[])) AS s(sub, db)`

	// stqPglogical: pglogical subscriptions of this database.
	stqPglogical = `SELECT subscription_name::text, status, provider_node::text, coalesce(provider_dsn, ''), slot_name::text
FROM pglogical.show_subscription_status() ORDER BY 1`
)

// stqSubscriptions returns the native subscription query for a server
// version: PG15+ has error counts, PG18+ conflict counts.
func stqSubscriptions(version int, withConninfo bool) string {
	conninfo := "''"
	if withConninfo {
		conninfo = "s.subconninfo"
	}
	stats := "NULL::bigint, NULL::bigint"
	if version >= 150000 {
		stats = "ss.apply_error_count, ss.sync_error_count"
	}
	confl := "NULL::bigint[]"
	if version >= 180000 {
		confl = "ARRAY[ss.confl_insert_exists, ss.confl_update_origin_differs, ss.confl_update_exists, ss.confl_update_missing, ss.confl_delete_origin_differs, ss.confl_delete_missing, ss.confl_multiple_unique_conflicts]"
	}
	statsJoin := ""
	if version >= 150000 {
		statsJoin = "LEFT JOIN pg_catalog.pg_stat_subscription_stats ss ON ss.subid = s.oid"
	}
	return `SELECT s.subname::text, s.subenabled, ` + conninfo + `, coalesce(s.subslotname::text, ''),
  (SELECT pid FROM pg_catalog.pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NULL LIMIT 1),
  (SELECT count(*) FROM pg_catalog.pg_stat_subscription st WHERE st.subid = s.oid AND st.relid IS NOT NULL),
  ` + stats + `, ` + confl + `
FROM pg_catalog.pg_subscription s ` + statsJoin + `
WHERE s.subdbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
ORDER BY 1`
}

// PG18 conflict types, in the order of stqSubscriptions' array.
var stConflictTypes = []string{"insert_exists", "update_origin_differs", "update_exists", "update_missing",
	"delete_origin_differs", "delete_missing", "multiple_unique_conflicts"}

type stSlot struct {
	name, typ, walStatus string
	active               bool
	safe                 *int64
	retained, lag        *int64
	lagSec               *float64
	replayLag            *int64
}

// slotGone says why a native link cannot resume when its publisher is up
// and has no slot by the subscription's slot name (dropped by hand, or
// lost with a rebuilt publisher); "" otherwise. pglogical names and
// checks its own slots.
func slotGone(sub stSub, slot *stSlot, pubUp bool) string {
	if !pubUp || slot != nil || !sub.enabled || sub.slot == "" || sub.pglStatus != "" {
		return ""
	}
	return "slot " + sub.slot + " is gone from the publisher: the link cannot resume; drop the subscription and bootstrap again (its rows are copied anew)"
}

type stSub struct {
	name, conninfo, slot string
	enabled              bool
	pid                  *int32
	syncWorkers          int64
	applyErrors          *int64
	syncErrors           *int64
	confl                []int64
	// pglogical
	pglStatus, providerNode string
}

type stNode struct {
	plan        PlanNode
	err         error
	version     string
	versionNum  int
	recovery    bool
	lsn         int64
	maxKeepMB   int64
	dataDir     string
	logMin      string
	pglLogLevel *string
	pglogical   bool
	// pglSlots maps the plan's subscriptions from this node to the names
	// pglogical gives their slots here.
	pglSlots    map[string]string
	walDir      *int64
	logFile     *string
	replayDelay *float64
	slots       []stSlot
	subs        []stSub
	receiver    *struct {
		host, slot, status string
		port               int32
	}
}

func (c *Collector) q(ctx context.Context, conn *pgx.Conn, sql string, args ...any) (pgx.Rows, error) {
	c.queries.Add(1)
	return conn.Query(ctx, sql, args...)
}

func (c *Collector) readNode(ctx context.Context, pn PlanNode) *stNode {
	out := &stNode{plan: pn}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	conn, err := c.conn(ctx, pn)
	if err != nil {
		out.err = err
		return out
	}
	if err := c.readNodeOn(ctx, conn, out); err != nil {
		// A broken connection is dropped so the next read reconnects.
		c.drop(pn.Name)
		out.err = err
	}
	return out
}

func (c *Collector) readNodeOn(ctx context.Context, conn *pgx.Conn, out *stNode) error {
	c.queries.Add(1)
	err := conn.QueryRow(ctx, stqNode).Scan(&out.version, &out.versionNum, &out.recovery, &out.lsn, &out.maxKeepMB,
		&out.dataDir, &out.logMin, &out.pglLogLevel, &out.pglogical, &out.walDir, &out.logFile, &out.replayDelay)
	if err != nil {
		return fmt.Errorf("read node: %w", err)
	}
	rows, err := c.q(ctx, conn, stqSlots)
	if err != nil {
		return fmt.Errorf("read replication slots: %w", err)
	}
	for rows.Next() {
		var s stSlot
		if err := rows.Scan(&s.name, &s.typ, &s.active, &s.walStatus, &s.safe, &s.retained, &s.lag, &s.lagSec, &s.replayLag); err != nil {
			rows.Close()
			return fmt.Errorf("read replication slots: %w", err)
		}
		out.slots = append(out.slots, s)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read replication slots: %w", err)
	}
	if out.recovery {
		var r struct {
			host, slot, status string
			port               int32
		}
		c.queries.Add(1)
		err := conn.QueryRow(ctx, stqReceiver).Scan(&r.host, &r.port, &r.slot, &r.status)
		if err == nil {
			out.receiver = &r
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("read wal receiver: %w", err)
		}
		return nil
	}
	if out.versionNum >= 100000 {
		subs, err := c.readSubs(ctx, conn, out.versionNum, true)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42501" { // no access to subconninfo
			subs, err = c.readSubs(ctx, conn, out.versionNum, false)
		}
		if err != nil {
			return err
		}
		out.subs = subs
	}
	if out.pglogical && c.plan.Topology.Engine == EnginePglogical {
		var subs, dbs []string
		for _, m := range c.plan.Topology.Nodes {
			if m.Name != out.plan.Name {
				subs, dbs = append(subs, subName(m.Name, out.plan.Name)), append(dbs, subscriberDB(c.plan, m))
			}
		}
		rows, err := c.q(ctx, conn, stqPglSlotNames, subs, dbs, pglNodeName(out.plan.Name))
		if err != nil {
			return fmt.Errorf("name pglogical slots: %w", err)
		}
		out.pglSlots = map[string]string{}
		for rows.Next() {
			var sub, slot string
			if err := rows.Scan(&sub, &slot); err != nil {
				rows.Close()
				return fmt.Errorf("name pglogical slots: %w", err)
			}
			out.pglSlots[sub] = slot
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("name pglogical slots: %w", err)
		}
	}
	if out.pglogical {
		rows, err := c.q(ctx, conn, stqPglogical)
		if err != nil {
			return fmt.Errorf("read pglogical subscriptions: %w", err)
		}
		for rows.Next() {
			var s stSub
			if err := rows.Scan(&s.name, &s.pglStatus, &s.providerNode, &s.conninfo, &s.slot); err != nil {
				rows.Close()
				return fmt.Errorf("read pglogical subscriptions: %w", err)
			}
			s.enabled = s.pglStatus != "disabled"
			out.subs = append(out.subs, s)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read pglogical subscriptions: %w", err)
		}
	}
	return nil
}

func (c *Collector) readSubs(ctx context.Context, conn *pgx.Conn, version int, conninfo bool) ([]stSub, error) {
	rows, err := c.q(ctx, conn, stqSubscriptions(version, conninfo))
	if err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	subs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (stSub, error) {
		var s stSub
		err := r.Scan(&s.name, &s.enabled, &s.conninfo, &s.slot, &s.pid, &s.syncWorkers, &s.applyErrors, &s.syncErrors, &s.confl)
		return s, err
	})
	if err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	return subs, nil
}

// Collect reads every node (in parallel) and builds the snapshot. It does
// not fail: unreachable nodes are reported down.
func (c *Collector) Collect(ctx context.Context) *Status {
	start := c.queries.Load()
	nodes := make([]*stNode, len(c.plan.Topology.Nodes))
	var wg sync.WaitGroup
	for i, pn := range c.plan.Topology.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i] = c.readNode(ctx, pn)
		}()
	}
	wg.Wait()
	st := c.build(nodes)
	if c.plan.Topology.HA != nil {
		c.collectHA(ctx, st)
	}
	if c.plan.Topology.Kind == TopologyHubSpoke {
		c.collectHub(ctx, st, nodes)
	}
	st.Queries = c.queries.Load() - start
	c.mu.Lock()
	c.prev = st
	c.mu.Unlock()
	return st
}

// stEndpoint is where a DSN points.
type stEndpoint struct{ host, port, db string }

func stParseEndpoint(dsn string) (stEndpoint, bool) {
	if dsn == "" {
		return stEndpoint{}, false
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return stEndpoint{}, false
	}
	return stEndpoint{host: stNormHost(cfg.Host), port: fmt.Sprint(cfg.Port), db: cfg.Database}, true
}

func stNormHost(h string) string {
	if h == "localhost" || h == "::1" {
		return "127.0.0.1"
	}
	return h
}

func isLoopbackHost(h string) bool {
	if h == "localhost" || strings.HasPrefix(h, "/") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

func (c *Collector) build(nodes []*stNode) *Status {
	p := c.plan
	st := &Status{SchemaVersion: StatusSchemaVersion, Time: time.Now().UTC(), Kind: p.Topology.Kind,
		Engine: p.Topology.Engine, Database: p.Topology.Database, Nodes: []NodeStatus{}, Links: []LinkStatus{}, Alarms: []Alarm{}}
	byEndpoint := map[stEndpoint]string{}
	byHostPort := map[string]string{}
	endpoints := map[string]stEndpoint{}
	for _, n := range nodes {
		if ep, ok := meshEndpoint(p, n.plan); ok {
			byEndpoint[ep] = n.plan.Name
			byHostPort[ep.host+":"+ep.port] = n.plan.Name
			endpoints[n.plan.Name] = ep
		}
	}
	slotOwner := map[string][]int{} // slot name -> node indexes
	for i, n := range nodes {
		for _, s := range n.slots {
			slotOwner[s.name] = append(slotOwner[s.name], i)
		}
	}
	findSlot := func(node int, name string) *stSlot {
		if node < 0 || node >= len(nodes) {
			return nil
		}
		for i := range nodes[node].slots {
			if nodes[node].slots[i].name == name {
				return &nodes[node].slots[i]
			}
		}
		return nil
	}
	index := map[string]int{}
	for i, n := range nodes {
		index[n.plan.Name] = i
	}
	for i, n := range nodes {
		ns := NodeStatus{Name: n.plan.Name, Role: c.role(n), Up: n.err == nil, Slots: []SlotStatus{}}
		if n.err != nil {
			ns.Error = n.err.Error()
			st.Nodes = append(st.Nodes, ns)
			continue
		}
		ns.Version, ns.InRecovery = n.version, n.recovery
		ns.LSN = stLSN(n.lsn)
		ns.MaxSlotWALKeepBytes = -1
		if n.maxKeepMB >= 0 {
			ns.MaxSlotWALKeepBytes = n.maxKeepMB << 20
		}
		ns.WALDirBytes = n.walDir
		if ep, ok := endpoints[n.plan.Name]; ok && isLoopbackHost(ep.host) && n.dataDir != "" {
			var fs syscall.Statfs_t
			if err := syscall.Statfs(filepath.Join(n.dataDir, "pg_wal"), &fs); err == nil {
				free := int64(fs.Bavail) * int64(fs.Bsize)
				ns.DiskFreeBytes = &free
			}
		}
		for _, s := range n.slots {
			ss := SlotStatus{Name: s.name, Type: s.typ, Active: s.active, WALStatus: s.walStatus, SafeWALBytes: s.safe, LagBytes: s.lag}
			if s.retained != nil {
				ss.RetainedBytes = *s.retained
			}
			ns.Slots = append(ns.Slots, ss)
		}
		c.nodeConflicts(n, &ns)
		st.Nodes = append(st.Nodes, ns)
		_ = i
	}
	// Logical links: one per subscription, found on the subscriber.
	for ti, n := range nodes {
		for _, sub := range n.subs {
			l := LinkStatus{To: n.plan.Name, Subscription: sub.name, Slot: sub.slot, Enabled: sub.enabled}
			from := -1
			if ep, ok := stParseEndpoint(sub.conninfo); ok {
				if name, ok := byEndpoint[ep]; ok {
					from = index[name]
				} else if name, ok := byHostPort[ep.host+":"+ep.port]; ok {
					from = index[name]
				}
			}
			if from < 0 {
				for _, j := range slotOwner[sub.slot] {
					if j != ti {
						from = j
						break
					}
				}
			}
			if from < 0 && sub.providerNode != "" {
				for j, m := range nodes {
					if sub.providerNode == m.plan.Name || sub.providerNode == "aadv_"+m.plan.Name {
						from = j
					}
				}
			}
			if from >= 0 {
				l.From = nodes[from].plan.Name
			} else {
				l.From = "?"
				l.Note = "publisher is not a node of the plan"
			}
			slot := findSlot(from, sub.slot)
			if slot != nil {
				l.LagBytes, l.RetainedBytes, l.SafeWALBytes, l.WALStatus = slot.lag, slot.retained, slot.safe, slot.walStatus
				l.LagSeconds = slot.lagSec
				if l.LagBytes != nil && *l.LagBytes <= 0 {
					zero := 0.0
					l.LagSeconds = &zero
				}
			}
			l.ApplyErrors = sub.applyErrors
			if sub.confl != nil {
				var total int64
				l.ConflictsByType = map[string]int64{}
				for k, v := range sub.confl {
					if k < len(stConflictTypes) && v > 0 {
						l.ConflictsByType[stConflictTypes[k]] = v
					}
					total += v
				}
				l.Conflicts = &total
			}
			pub := ""
			if from >= 0 {
				pub = nodes[from].plan.Name
			}
			l.State = c.linkState(sub, slot, from >= 0 && nodes[from].err == nil, from >= 0, pub)
			if from >= 0 && nodes[from].err != nil {
				l.Note = "publisher " + nodes[from].plan.Name + " is down"
			}
			if gone := slotGone(sub, slot, from >= 0 && nodes[from].err == nil); gone != "" {
				// The worker retries for ever and never streams: an
				// error that needs a human, not a link coming back.
				l.State, l.Note = LinkError, gone
			}
			st.Links = append(st.Links, l)
		}
	}
	// Links into a node that is down: from memory, else by the plan's
	// names (native slots are named after their subscription,
	// aadv_<subscriber>_from_<publisher>; pglogical names its own, which
	// the publisher says, see stqPglSlotNames).
	for ti, n := range nodes {
		if n.err == nil || n.plan.Role == RoleStandby {
			continue
		}
		seen := map[string]bool{}
		c.mu.Lock()
		var remembered []LinkStatus
		for _, l := range c.known {
			if l.To == n.plan.Name {
				remembered = append(remembered, l)
			}
		}
		c.mu.Unlock()
		for j, m := range nodes {
			if j == ti || m.err != nil {
				continue
			}
			sub := subName(n.plan.Name, m.plan.Name)
			want := sub
			if m.pglSlots != nil {
				want = m.pglSlots[sub]
			}
			for _, s := range m.slots {
				if s.name == want {
					remembered = append(remembered, LinkStatus{From: m.plan.Name, To: n.plan.Name, Subscription: sub, Slot: s.name})
				}
			}
		}
		for _, r := range remembered {
			if seen[r.From+"|"+r.Subscription] {
				continue
			}
			seen[r.From+"|"+r.Subscription] = true
			l := LinkStatus{From: r.From, To: r.To, Subscription: r.Subscription, Slot: r.Slot, Enabled: r.Enabled,
				State: LinkDown, Note: "subscriber " + n.plan.Name + " is down"}
			if s := findSlot(index[r.From], r.Slot); s != nil {
				l.LagBytes, l.RetainedBytes, l.SafeWALBytes, l.WALStatus = s.lag, s.retained, s.safe, s.walStatus
			}
			st.Links = append(st.Links, l)
		}
	}
	c.mu.Lock()
	for _, l := range st.Links {
		if l.Subscription != "" && l.From != "?" {
			c.known[l.To+"/"+l.Subscription] = LinkStatus{From: l.From, To: l.To, Subscription: l.Subscription, Slot: l.Slot, Enabled: l.Enabled}
		}
	}
	c.mu.Unlock()
	// Physical links: a standby's WAL receiver.
	var primaryIdx = -1
	for i, n := range nodes {
		if n.err == nil && !n.recovery && c.role(n) == RolePrimary {
			primaryIdx = i
		}
	}
	for _, n := range nodes {
		if c.role(n) != RoleStandby {
			continue
		}
		l := LinkStatus{To: n.plan.Name, State: LinkUnknown, Enabled: true}
		from := primaryIdx
		if n.receiver != nil {
			if name, ok := byHostPort[stNormHost(n.receiver.host)+":"+fmt.Sprint(n.receiver.port)]; ok {
				from = index[name]
			}
			l.Slot = n.receiver.slot
		}
		if from >= 0 {
			l.From = nodes[from].plan.Name
		} else {
			l.From = "?"
		}
		l.State = walReceiverLinkState(n)
		if n.err != nil {
			l.Note = "standby is down"
		}
		if from >= 0 && nodes[from].err == nil && n.err == nil {
			lag := nodes[from].lsn - n.lsn
			if lag < 0 {
				lag = 0
			}
			l.LagBytes = &lag
			sec := 0.0
			if lag > 0 && n.replayDelay != nil {
				sec = *n.replayDelay
			}
			l.LagSeconds = &sec
			if s := findSlot(from, l.Slot); s != nil {
				l.RetainedBytes, l.SafeWALBytes, l.WALStatus = s.retained, s.safe, s.walStatus
			}
		}
		st.Links = append(st.Links, l)
	}
	sort.SliceStable(st.Links, func(i, j int) bool {
		if st.Links[i].From != st.Links[j].From {
			return st.Links[i].From < st.Links[j].From
		}
		return st.Links[i].To < st.Links[j].To
	})
	st.Alarms = c.alarms(st)
	return st
}

// nodeConflicts fills a node's conflict count: the sum over its
// subscriptions on PostgreSQL 18 (native), the server log for pglogical.
func (c *Collector) nodeConflicts(n *stNode, ns *NodeStatus) {
	var total int64
	known := false
	for _, s := range n.subs {
		if s.confl != nil {
			known = true
			for _, v := range s.confl {
				total += v
			}
		}
	}
	if known {
		ns.Conflicts = &total
		return
	}
	if !n.pglogical {
		if len(n.subs) > 0 {
			ns.ConflictsNote = "PostgreSQL " + n.version + " does not count conflicts (18+ does)"
		}
		return
	}
	file := c.opts.LogFiles[n.plan.Name]
	if file == "" && n.logFile != nil && *n.logFile != "" {
		if ep, ok := meshEndpoint(c.plan, n.plan); ok && isLoopbackHost(ep.host) {
			file = *n.logFile
			if !filepath.IsAbs(file) {
				file = filepath.Join(n.dataDir, file)
			}
		}
	}
	if file == "" {
		ns.ConflictsNote = "pglogical logs conflicts only to the server log; pass its path (--log NODE=FILE) to count them"
		return
	}
	if lvl := n.pglLogLevel; lvl != nil && stLevelRank(*lvl) < stLevelRank(n.logMin) {
		ns.ConflictsNote = fmt.Sprintf("pglogical.conflict_log_level=%s is below log_min_messages=%s: conflicts are not logged", *lvl, n.logMin)
		return
	}
	count, err := c.countLogConflicts(n.plan.Name, file)
	if err != nil {
		ns.ConflictsNote = "read server log: " + err.Error()
		return
	}
	ns.Conflicts = &count
}

// stLevelRank orders server message levels as log_min_messages does.
func stLevelRank(l string) int {
	order := []string{"debug5", "debug4", "debug3", "debug2", "debug1", "info", "notice", "warning", "error", "log", "fatal", "panic"}
	for i, o := range order {
		if strings.EqualFold(o, l) {
			return i
		}
	}
	return 0
}

// pglogicalConflictMark starts every pglogical conflict report
// (pglogical_conflict.c: "CONFLICT: remote %s on relation %s ...").
const pglogicalConflictMark = "CONFLICT: remote "

// countLogConflicts counts conflict lines in a server log, reading only
// what was appended since the last call.
func (c *Collector) countLogConflicts(node, file string) (int64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	pos := c.logPos[node]
	if pos == nil || fi.Size() < pos.offset {
		pos = &stLogCount{}
		c.logPos[node] = pos
	}
	c.mu.Unlock()
	if _, err := f.Seek(pos.offset, 0); err != nil {
		return 0, err
	}
	buf := make([]byte, 1<<20)
	var carry []byte
	off := pos.offset
	count := pos.count
	for {
		k, err := f.Read(buf)
		if k > 0 {
			chunk := append(carry, buf[:k]...)
			last := strings.LastIndexByte(string(chunk), '\n')
			if last < 0 {
				carry = chunk
			} else {
				count += int64(strings.Count(string(chunk[:last+1]), pglogicalConflictMark))
				off += int64(last + 1 - len(carry))
				carry = append([]byte(nil), chunk[last+1:]...)
			}
		}
		if err != nil {
			break
		}
	}
	c.mu.Lock()
	pos.offset, pos.count = off, count
	c.mu.Unlock()
	return count, nil
}
