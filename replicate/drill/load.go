package drill

import (
	"context"
	"fmt"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/jackc/pgx/v5"
)

// Table is where the drill writes: one row per write, numbered per run and
// per home (the node a logical client writes to, or "primary").
const Table = "public.aadv_drill_writes"

// TableDDL creates the drill table; col is the column naming the home (the
// owner column of a partitioned topology, else "node").
func TableDDL(col string) string {
	return fmt.Sprintf(`CREATE TABLE IF NOT EXISTS public.aadv_drill_writes (
  run text NOT NULL,
  %s text NOT NULL,
  seq bigint NOT NULL,
  client int NOT NULL,
  written_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
  PRIMARY KEY (run, %s, seq))`, pgx.Identifier{col}.Sanitize(), pgx.Identifier{col}.Sanitize())
}

// homeColumn is the column naming a row's home.
func homeColumn(p *replicate.Plan) string {
	if (p.Topology.Kind == replicate.TopologyPartitioned || p.Topology.Kind == replicate.TopologyHubSpoke) && p.Topology.OwnerColumn != "" {
		return p.Topology.OwnerColumn
	}
	return "node"
}

// target is where a group of clients writes: a connection string and the
// home value of its rows.
type target struct {
	name string // plan node, or "primary" for the streaming endpoint
	dsn  string
	home string
}

// ack is one acknowledged write.
type ack struct {
	home string
	seq  int64
	at   time.Duration // from the start of the load
	node string        // the plan node that acknowledged it
	// conn is when the connection that carried it was made: a write
	// acknowledged on a connection made after the fault is one the
	// outage did not hold up.
	conn time.Duration
}

// load is the drill's write load.
type load struct {
	start     time.Time
	run       string
	insert    string
	nodeOf    map[string]string // "host:port" → plan node
	timeout   time.Duration
	mu        sync.Mutex
	acks      []ack
	unacked   map[string][]int64 // home → seqs sent without an acknowledgement
	attempted atomic.Int64
	seqs      map[string]*atomic.Int64
	stopped   chan struct{}
	wg        sync.WaitGroup
}

// startLoad starts clients writing rate rows a second in total, spread
// over the targets (client i writes to target i mod len).
func startLoad(ctx context.Context, p *replicate.Plan, o Options, run string, targets []target) (*load, error) {
	l := &load{start: time.Now(), run: run, timeout: o.WriteTimeout, nodeOf: map[string]string{}, unacked: map[string][]int64{},
		seqs: map[string]*atomic.Int64{}, stopped: make(chan struct{}),
		insert: fmt.Sprintf("INSERT INTO public.aadv_drill_writes (run, %s, seq, client) VALUES ($1, $2, $3, $4)", pgx.Identifier{homeColumn(p)}.Sanitize())}
	for _, n := range p.Topology.Nodes {
		cfg, err := pgx.ParseConfig(n.DSN)
		if err != nil {
			return nil, fmt.Errorf("node %s: %w", n.Name, err)
		}
		l.nodeOf[net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port)))] = n.Name
	}
	cfgs := make([]*pgx.ConnConfig, len(targets))
	for i, t := range targets {
		cfg, err := pgx.ParseConfig(t.dsn)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.name, err)
		}
		cfg.ConnectTimeout = 2 * time.Second
		cfg.RuntimeParams["application_name"] = "aadvisor drill"
		cfgs[i] = cfg
		l.seqs[t.home] = &atomic.Int64{}
	}
	per := time.Duration(float64(time.Second) * float64(o.Clients) / float64(o.Rate))
	for c := 0; c < o.Clients; c++ {
		t := targets[c%len(targets)]
		cfg := cfgs[c%len(targets)]
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.client(ctx, c, t, cfg, per)
		}()
	}
	return l, nil
}

func (l *load) since() time.Duration { return time.Since(l.start) }

// client writes one row every period until the load stops. A failed
// write drops the connection; the client reconnects (the multi-host
// connection string finds the new primary) and goes on with the next
// number.
func (l *load) client(ctx context.Context, id int, t target, cfg *pgx.ConnConfig, period time.Duration) {
	var conn *pgx.Conn
	var connAt time.Duration
	defer func() {
		if conn != nil {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx)
			cancel()
		}
	}()
	// Stagger the clients over one period.
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-l.stopped:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if conn == nil {
			cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
			c, err := pgx.ConnectConfig(cctx, cfg)
			cancel()
			if err != nil {
				continue
			}
			conn, connAt = c, l.since()
		}
		seq := l.seqs[t.home].Add(1)
		l.attempted.Add(1)
		node := l.nodeOf[conn.PgConn().Conn().RemoteAddr().String()]
		wctx, cancel := context.WithTimeout(ctx, l.timeout)
		_, err := conn.Exec(wctx, l.insert, l.run, t.home, seq, id)
		cancel()
		at := l.since()
		l.mu.Lock()
		if err == nil {
			l.acks = append(l.acks, ack{home: t.home, seq: seq, at: at, node: node, conn: connAt})
		} else {
			l.unacked[t.home] = append(l.unacked[t.home], seq)
		}
		l.mu.Unlock()
		if err != nil {
			cctx, cancel := context.WithTimeout(context.Background(), time.Second)
			conn.Close(cctx)
			cancel()
			conn = nil
		}
	}
}

// stop ends the load and waits for every client.
func (l *load) stop() {
	select {
	case <-l.stopped:
	default:
		close(l.stopped)
	}
	l.wg.Wait()
}

// snapshot returns the acknowledged writes so far, in time order.
func (l *load) snapshot() []ack {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := append([]ack(nil), l.acks...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// buckets counts acknowledgements per 100 ms up to end.
func buckets(acks []ack, end time.Duration) []int {
	n := int(end/(100*time.Millisecond)) + 1
	out := make([]int, n)
	for _, a := range acks {
		i := int(a.at / (100 * time.Millisecond))
		if i >= 0 && i < n {
			out[i]++
		}
	}
	return out
}

// maxGap is the longest time between two acknowledgements of the given
// homes within [from, to].
func maxGap(acks []ack, from, to time.Duration, homes map[string]bool) time.Duration {
	var gap time.Duration
	prev := from
	for _, a := range acks {
		if !homes[a.home] || a.at < from {
			continue
		}
		if a.at > to {
			break
		}
		gap = max(gap, a.at-prev)
		prev = a.at
	}
	return max(gap, to-prev)
}

// present reads which rows of this run a node holds, per home.
func present(ctx context.Context, dsn, run, col string) (map[string]map[int64]bool, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, dsn)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows, err := conn.Query(cctx, fmt.Sprintf("SELECT %s, seq FROM public.aadv_drill_writes WHERE run = $1", pgx.Identifier{col}.Sanitize()), run)
	if err != nil {
		return nil, err
	}
	out := map[string]map[int64]bool{}
	for rows.Next() {
		var home string
		var seq int64
		if err := rows.Scan(&home, &seq); err != nil {
			return nil, err
		}
		if out[home] == nil {
			out[home] = map[int64]bool{}
		}
		out[home][seq] = true
	}
	return out, rows.Err()
}
