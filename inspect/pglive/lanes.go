package pglive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/aadvisor/aadvisor/inspect"
)

// A read runs its queries on one connection, or on two that see the same
// snapshot, so that the server works on two queries at once and the
// client reads the rows of one while the server computes the other.
//
// The first connection (the caller's) opens the read-only REPEATABLE READ
// transaction and exports its snapshot (pg_export_snapshot). Read opens a
// second connection meanwhile, which imports it (SET TRANSACTION
// SNAPSHOT): both transactions see the database as of the same moment, as
// pg_dump --jobs does. Each query is a part; a lane (one connection) takes
// the next part it may run, and the reader adds the parts' rows to the
// model one after the other in a fixed order, so the model is the same
// whichever lane ran what. The second lane is an optimisation only: when
// it cannot connect, cannot import the snapshot, lands on another server,
// or one of its queries fails, the first lane runs what is left.
//
// Locks. The functions that print expressions and sizes (pg_get_expr,
// pg_get_indexdef, pg_relation_size) lock the relation they print and
// unlock it when done; pg_get_viewdef and pg_get_function_sqlbody lock the
// relations the view or the function reads until the transaction ends.
// Those two run on the first lane only, and last: were they on the second,
// a DDL could queue for one of those relations behind the second lane and
// the first lane's next lock on it behind the DDL, each waiting for the
// other. The second lane may still queue behind a DDL that waits for the
// first lane's locks: it then hands its part back at the lock timeout, and
// the first lane, which holds the lock, runs it.

// A lane is one connection of a read, inside its transaction.
type lane struct {
	conn    *pgx.Conn
	first   bool
	log     *slog.Logger
	queries *atomic.Int64 // the read's count, both lanes together
}

func (l *lane) count() {
	l.queries.Add(1)
	queryCount.Add(1)
}

// exec runs a statement without result rows; sql carries the marker.
func (l *lane) exec(ctx context.Context, sql string) error {
	l.count()
	_, err := l.conn.Exec(ctx, sql)
	return err
}

// where a part may run.
type placement int

const (
	// anyLane: either lane.
	anyLane placement = iota
	// firstLane: the first lane only. Either the query keeps locks on
	// user relations until the transaction ends (see above), or it prints
	// expressions of the relations' parts, which builds the server's
	// cache entry of each relation: on one lane, one backend builds them
	// once.
	firstLane
)

// A part is one kind of object of a read: its query, with any follow-up
// query its rows call for (fetch, on either lane), and what the rows add
// to the model (apply, on the reader's goroutine, in the order of the
// parts). fetch may run twice when the second lane hands a part back;
// apply gets fetch's error and decides whether it is fatal or a skip.
type part struct {
	name  string
	where placement
	// rels: the query takes the relations read (reader.relArg).
	rels bool
	// after: parts whose rows the query takes.
	after []*part
	fetch func(context.Context, *lane) error
	apply func(error) error

	state partState
	err   error
	done  chan struct{}
}

// onRelations marks a part whose query takes the relations read.
func (p *part) onRelations() *part {
	p.rels = true
	return p
}

type partState int

const (
	waiting partState = iota
	running
	finished
)

// schedule hands parts to lanes: both take them in order, the second
// skips the firstLane parts.
type schedule struct {
	mu      sync.Mutex
	cond    *sync.Cond
	parts   []*part
	rels    bool // the relations are read: parts with rels may run
	running int
	failed  chan struct{}
	err     error
}

func newSchedule(parts []*part) *schedule {
	s := &schedule{parts: parts, failed: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	for _, p := range parts {
		p.done = make(chan struct{})
	}
	return s
}

// relationsRead lets the parts that take the relations run.
func (s *schedule) relationsRead() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rels = true
	s.cond.Broadcast()
}

// take returns the next part lane may run, waiting while the parts left
// to it cannot run yet; nil when there is nothing more for it. The first
// lane also waits while the second runs a part, which it may hand back.
func (s *schedule) take(l *lane) *part {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.err == nil {
		later := false
		for _, p := range s.parts {
			if p.state != waiting || p.where == firstLane && !l.first {
				continue
			}
			if s.ready(p) {
				p.state = running
				s.running++
				return p
			}
			later = true
		}
		if !later && !(l.first && s.running > 0) {
			return nil
		}
		s.cond.Wait()
	}
	return nil
}

// ready: what p's query takes has been read.
func (s *schedule) ready(p *part) bool {
	if p.rels && !s.rels {
		return false
	}
	for _, d := range p.after {
		if d.state != finished {
			return false
		}
	}
	return true
}

// finish records a part's outcome; a fatal one ends the read.
func (s *schedule) finish(p *part, err error, fatal bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.state, p.err = finished, err
	s.running--
	close(p.done)
	if fatal && s.err == nil {
		s.err = err
		close(s.failed)
	}
	s.cond.Broadcast()
}

// giveBack returns a part the second lane could not run.
func (s *schedule) giveBack(p *part) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p.state = waiting
	s.running--
	s.cond.Broadcast()
}

// wait returns when p has finished, or the read failed.
func (s *schedule) wait(ctx context.Context, p *part) error {
	select {
	case <-p.done:
		return nil
	case <-s.failed:
		return s.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// work runs parts on l until none is left for it, and says whether it
// ran any. The first lane stops at a fatal error; the second hands the
// part back instead, and stops.
func (s *schedule) work(ctx context.Context, l *lane) (ran bool) {
	for {
		p := s.take(l)
		if p == nil {
			return ran
		}
		ran = true
		err := p.fetch(ctx, l)
		var ge *guardedError
		skip := errors.As(err, &ge)
		if !l.first && err != nil && ctx.Err() == nil && (!skip || ge.pe.Code == "55P03") {
			// A lock timeout on the second lane may come from queueing
			// behind a DDL that waits for the first lane's locks, which
			// the first lane, holding them, does not meet.
			l.log.Debug("second connection gives a query back", "name", p.name, "error", err)
			s.giveBack(p)
			return ran
		}
		s.finish(p, err, err != nil && !skip)
		if err != nil && !skip {
			return ran
		}
	}
}

// openSecond connects with cfg, with the settings setupQuery gives the
// first lane's transaction, imports snapshot into a read-only REPEATABLE
// READ transaction, and checks that the server is the first lane's
// (started at started: a DSN of several hosts may land elsewhere), in one
// message.
func (r *reader) openSecond(ctx context.Context, cfg *pgx.ConnConfig, snapshot, started string) (*lane, error) {
	cfg = cfg.Copy()
	for k, v := range setupParams {
		cfg.RuntimeParams[k] = v
	}
	cfg.RuntimeParams["application_name"] = r.o.AppName
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %s", inspect.OneLine(inspect.Redact(err.Error())))
	}
	l := &lane{conn: conn, log: r.log, queries: &r.queries}
	l.count()
	res, err := conn.PgConn().Exec(ctx, beginQuery+"; SET "+marker+" TRANSACTION SNAPSHOT "+inspect.QuoteLiteral(snapshot)+
		"; "+mark(startedQuery)).ReadAll()
	if err == nil && (len(res) != 3 || len(res[2].Rows) != 1) {
		err = errors.New("no start time")
	}
	if err != nil {
		l.close(ctx)
		return nil, fmt.Errorf("import snapshot: %w", err)
	}
	if s := string(res[2].Rows[0][0]); s != started {
		l.close(ctx)
		return nil, fmt.Errorf("another server (started %s, the first connection's %s)", s, started)
	}
	return l, nil
}

// secondDone, set by tests, sees the second connection when it has run
// its last part, before it closes.
var secondDone func(*pgx.Conn)

// close ends the lane's connection, and with it its transaction.
func (l *lane) close(ctx context.Context) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	_ = l.conn.Close(cctx)
}
