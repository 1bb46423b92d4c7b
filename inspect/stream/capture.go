package stream

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pglogrepl"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
)

// Prefix starts the name of every publication and slot observe creates.
const Prefix = "aadv_observe_"

// marker follows the first word of every statement observe sends on a
// regular connection, so that pg_stat_statements shows them as aadvisor's
// and assess leaves them out of the workload (not at the very start:
// pg_stat_statements drops leading comments from PostgreSQL 18 on).
const marker = inspect.OwnStatementMarker + "observe */"

// ErrRefused marks a server that cannot be observed as configured
// (wal_level, privileges); the message says how to fix it.
var ErrRefused = errors.New("cannot observe this server")

// Options for Capture.
type Options struct {
	// DSN of the database to observe (URL or keyword form).
	DSN string
	// Duration of the capture; 0 runs until ctx is done.
	Duration time.Duration
	// Publication names an existing publication to read; empty creates
	// one for all tables (or, for a non-superuser, the tables it owns)
	// and drops it at the end.
	Publication string
	// Slot names an existing logical slot (plugin pgoutput) to read
	// instead of a temporary one. observe never drops it but advances it.
	Slot string
	// EndLSN stops the capture once the stream reaches this position
	// (0: no end position), like pg_recvlogical --endpos.
	EndLSN uint64
	// MaxChanges stops the capture at the first commit after this many
	// changes (0: no cap). The trace then says so.
	MaxChanges int64
	// StatementTimeout and LockTimeout for the regular connection.
	StatementTimeout, LockTimeout time.Duration
	// StatusInterval is how often a standby status update is sent even
	// when the server does not ask (default 5s).
	StatusInterval time.Duration
	// CheckEvery is how often the capture checks that its publication
	// and slot still exist (default 2s).
	CheckEvery time.Duration
	// DrainTimeout bounds how long, after the duration ends, the capture
	// waits for the stream to reach the WAL written before the end
	// (default 30s); a stream that cannot makes the capture incomplete.
	DrainTimeout time.Duration
	// Progress, when set, is called about every ProgressEvery (default
	// 1s) from the capturing goroutine.
	Progress      func(Stats)
	ProgressEvery time.Duration
	Log           *slog.Logger
}

// Stats are the live counters of a capture.
type Stats struct {
	Elapsed    time.Duration `json:"elapsed_ns"`
	Txns       int64         `json:"txns"`
	Changes    int64         `json:"changes"`
	Bytes      int64         `json:"stream_bytes"` // pgoutput payload received
	TraceBytes int64         `json:"trace_bytes"`
	Tables     int           `json:"tables"`
	LastCommit time.Time     `json:"last_commit,omitzero"`
	// Behind is how far the stream is behind the server's WAL end, in
	// bytes, at the last keepalive.
	Behind int64 `json:"behind_bytes"`
}

// Result of a capture.
type Result struct {
	Stats
	// Reason the capture stopped: "duration", "interrupted", "change
	// cap", "end LSN", or "incomplete" (see Incomplete).
	Reason      string   `json:"reason"`
	Publication string   `json:"publication"`
	Slot        string   `json:"slot"`
	Created     bool     `json:"created_publication"`
	Cleaned     []string `json:"cleaned,omitempty"` // stale publications dropped first
	Notes       []string `json:"notes,omitempty"`
	// Incomplete says why the capture does not cover its whole window:
	// its publication or slot went away, the stream ended early, or it
	// did not reach the WAL written before the window closed. Empty when
	// the capture is complete.
	Incomplete string `json:"incomplete,omitempty"`
}

// ServerInfo is what the pre-flight checks read.
type ServerInfo struct {
	WALLevel      string
	ServerVersion int
	User          string
	Database      string
	Superuser     bool
	Replication   bool
}

// Connect opens the regular connection observe uses: application_name
// aadvisor, bounded statement and lock timeouts.
func Connect(ctx context.Context, dsn string, statementTimeout, lockTimeout time.Duration) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse DSN: %w", err)
	}
	if statementTimeout <= 0 {
		statementTimeout = 30 * time.Second
	}
	if lockTimeout <= 0 {
		lockTimeout = 5 * time.Second
	}
	cfg.RuntimeParams["application_name"] = "aadvisor"
	cfg.RuntimeParams["statement_timeout"] = fmt.Sprint(statementTimeout.Milliseconds())
	cfg.RuntimeParams["lock_timeout"] = fmt.Sprint(lockTimeout.Milliseconds())
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn, nil
}

// Check reads wal_level and the role's privileges and refuses (ErrRefused)
// when a capture cannot work, saying how to fix it.
func Check(ctx context.Context, conn *pgx.Conn) (ServerInfo, error) {
	var si ServerInfo
	err := conn.QueryRow(ctx, "SELECT "+marker+` current_setting('wal_level'), current_setting('server_version_num')::int,
		current_user, current_database(), r.rolsuper, r.rolreplication
		FROM pg_catalog.pg_roles r WHERE r.rolname = current_user`).Scan(
		&si.WALLevel, &si.ServerVersion, &si.User, &si.Database, &si.Superuser, &si.Replication)
	if err != nil {
		return si, fmt.Errorf("read server settings: %w", err)
	}
	if si.WALLevel != "logical" {
		return si, fmt.Errorf("%w: wal_level is %q, and logical decoding needs \"logical\": run ALTER SYSTEM SET wal_level = logical as a superuser and restart the server (max_replication_slots and max_wal_senders must be at least 1 free each)",
			ErrRefused, si.WALLevel)
	}
	if !si.Superuser && !si.Replication {
		return si, fmt.Errorf("%w: role %q has neither REPLICATION nor SUPERUSER: run ALTER ROLE %s REPLICATION as a superuser (on managed services: grant the provider's replication role, e.g. rds_replication), and allow it in pg_hba.conf for \"replication\" connections if needed",
			ErrRefused, si.User, pgx.Identifier{si.User}.Sanitize())
	}
	return si, nil
}

// Cleanup drops the publications crashed observe runs left behind: those
// named aadv_observe_* whose comment (written with the publication, in
// one transaction) says they are older than grace and names a session
// that is gone, and that no replication slot of the same name is
// reading. A publication of a run that is starting, running or stopping
// is never touched, nor one without such a comment (it is reported, to
// be dropped by hand). It returns the dropped names and, for the ones
// kept, why.
func Cleanup(ctx context.Context, conn *pgx.Conn, grace time.Duration) (dropped, kept []string, err error) {
	rows, err := conn.Query(ctx, "SELECT "+marker+` p.pubname, coalesce(pg_catalog.obj_description(p.oid, 'pg_publication'), ''),
		  EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots s WHERE s.slot_name = p.pubname)
		FROM pg_catalog.pg_publication p
		WHERE p.pubname LIKE 'aadv\_observe\_%'
		ORDER BY 1`)
	if err != nil {
		return nil, nil, fmt.Errorf("list stale publications: %w", err)
	}
	type pub struct {
		name, comment string
		slot          bool
	}
	var pubs []pub
	for rows.Next() {
		var p pub
		if err := rows.Scan(&p.name, &p.comment, &p.slot); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("list stale publications: %w", err)
		}
		pubs = append(pubs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("list stale publications: %w", err)
	}
	for _, p := range pubs {
		if p.slot {
			continue // a run is reading it
		}
		started, pid, ok := parseComment(p.comment)
		if !ok {
			kept = append(kept, fmt.Sprintf("%s (it records no start time and session, so it may belong to a run: drop it by hand if no aadvisor observe runs)", p.name))
			continue
		}
		if age := time.Since(started); age < grace {
			kept = append(kept, fmt.Sprintf("%s (created %s ago; it may belong to a run that is starting)", p.name, age.Round(time.Second)))
			continue
		}
		if pid != 0 {
			// The run's regular connection lives as long as the run; a
			// session with that pid that started later is another one.
			var live bool
			if err := conn.QueryRow(ctx, "SELECT "+marker+` EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity
				WHERE pid = $1 AND backend_start <= $2)`, pid, started.Add(time.Second)).Scan(&live); err != nil {
				return dropped, kept, fmt.Errorf("look up the session of %s: %w", p.name, err)
			}
			if live {
				kept = append(kept, fmt.Sprintf("%s (its run's session, pid %d, is still connected)", p.name, pid))
				continue
			}
		}
		if _, err := conn.Exec(ctx, "DROP "+marker+" PUBLICATION IF EXISTS "+pgx.Identifier{p.name}.Sanitize()); err != nil {
			kept = append(kept, fmt.Sprintf("%s (drop failed: %v)", p.name, err))
			continue
		}
		dropped = append(dropped, p.name)
	}
	return dropped, kept, nil
}

const commentPrefix = "aadvisor observe, started "

// parseComment reads the start time and the backend pid of the run's
// regular connection from a publication comment written by
// createPublication ("aadvisor observe, started T, session pid P (...)");
// pid is 0 in comments of older versions, which did not record it.
func parseComment(comment string) (started time.Time, pid int, ok bool) {
	s, ok := strings.CutPrefix(comment, commentPrefix)
	if !ok {
		return time.Time{}, 0, false
	}
	ts, rest, _ := strings.Cut(s, " ")
	ts = strings.TrimSuffix(ts, ",")
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		return time.Time{}, 0, false
	}
	if p, ok := strings.CutPrefix(rest, "session pid "); ok {
		digits, _, _ := strings.Cut(p, " ")
		pid, _ = strconv.Atoi(digits)
	}
	return t, pid, true
}

// StaleGrace is how old a leftover publication must be before Cleanup
// drops it.
const StaleGrace = time.Minute

var slotName = regexp.MustCompile(`^[a-z0-9_]{1,63}$`)

// NewName returns a fresh aadv_observe_<pid>_<random> name.
func NewName() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s%d_%s", Prefix, os.Getpid(), hex.EncodeToString(b[:]))
}

type tableMeta struct {
	pk, seq []string
}

func readTableMeta(ctx context.Context, conn *pgx.Conn, pub string) (map[uint32]tableMeta, error) {
	rows, err := conn.Query(ctx, "SELECT "+marker+` c.oid::int8,
		  coalesce((SELECT array_agg(a.attname::text ORDER BY k.ord)
		     FROM pg_catalog.pg_index i
		     CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		     JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		     WHERE i.indrelid = c.oid AND i.indisprimary), '{}'),
		  coalesce((SELECT array_agg(a.attname::text)
		     FROM pg_catalog.pg_attribute a
		     LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
		     WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		       AND (a.attidentity <> '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE 'nextval(%')
		       AND EXISTS (SELECT 1 FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid AND i.indisunique
		                   AND i.indnatts = 1 AND i.indkey[0] = a.attnum)), '{}')
		FROM pg_catalog.pg_publication_tables p
		JOIN pg_catalog.pg_namespace n ON n.nspname = p.schemaname
		JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.tablename
		WHERE p.pubname = $1`, pub)
	if err != nil {
		return nil, fmt.Errorf("read published tables: %w", err)
	}
	defer rows.Close()
	out := map[uint32]tableMeta{}
	for rows.Next() {
		var oid int64
		var m tableMeta
		if err := rows.Scan(&oid, &m.pk, &m.seq); err != nil {
			return nil, fmt.Errorf("read published tables: %w", err)
		}
		out[uint32(oid)] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read published tables: %w", err)
	}
	return out, nil
}

// createPublication makes the capture's publication: FOR ALL TABLES for a
// superuser, else FOR TABLE over the tables the role owns. Changes of a
// partition are published as its partitioned table's (the forecast speaks
// of the table the schema and the audit name, not of each partition).
func createPublication(ctx context.Context, conn *pgx.Conn, name string, si ServerInfo) error {
	sql := "CREATE " + marker + " PUBLICATION " + pgx.Identifier{name}.Sanitize()
	if si.Superuser {
		sql += " FOR ALL TABLES"
	} else {
		rows, err := conn.Query(ctx, "SELECT "+marker+` n.nspname::text, c.relname::text FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			WHERE c.relkind IN ('r', 'p') AND c.relpersistence = 'p' AND NOT c.relispartition
			  AND pg_catalog.pg_has_role(c.relowner, 'USAGE')
			  AND `+inspect.UserSchemaSQL("n.nspname")+`
			ORDER BY 1, 2`)
		if err != nil {
			return fmt.Errorf("list owned tables: %w", err)
		}
		var names []string
		for rows.Next() {
			var s, t string
			if err := rows.Scan(&s, &t); err != nil {
				rows.Close()
				return fmt.Errorf("list owned tables: %w", err)
			}
			names = append(names, pgx.Identifier{s, t}.Sanitize())
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("list owned tables: %w", err)
		}
		if len(names) == 0 {
			return fmt.Errorf("%w: role %q owns no tables, and only a superuser may publish all tables: run as a superuser or pass --publication with one a superuser made", ErrRefused, si.User)
		}
		sql += " FOR TABLE " + strings.Join(names, ", ")
	}
	sql += " WITH (publish_via_partition_root = true)"
	// The comment is made in the same transaction: no other run's
	// clean-up ever sees the publication without it.
	comment := fmt.Sprintf("%s%s, session pid %d (drop it if no aadvisor observe runs)",
		commentPrefix, time.Now().UTC().Format(time.RFC3339), conn.PgConn().PID())
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, sql); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "COMMENT "+marker+" ON PUBLICATION "+pgx.Identifier{name}.Sanitize()+" IS "+inspect.QuoteLiteral(comment))
		return err
	})
	if err != nil {
		return fmt.Errorf("create publication %s: %w", name, err)
	}
	return nil
}

func dropPublication(conn *pgx.Conn, name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, "DROP "+marker+" PUBLICATION IF EXISTS "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("drop publication %s: %w (drop it by hand, or run 'aadvisor observe --cleanup')", name, err)
	}
	return nil
}

// SourceName is host:port/db for a DSN, without user or password.
func SourceName(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "?"
	}
	return net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)) + "/" + cfg.Database
}

// Capture streams the committed changes of the database into a trace
// written to out until the duration ends, ctx is done, or a cap is
// reached. It always cleans up: the slot is temporary (it dies with the
// connection, even if this process is killed), and a publication it
// created is dropped before it returns, also on error and cancellation.
func Capture(ctx context.Context, o Options, out io.Writer) (res *Result, err error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.StatusInterval <= 0 {
		o.StatusInterval = 5 * time.Second
	}
	if o.ProgressEvery <= 0 {
		o.ProgressEvery = time.Second
	}
	if o.CheckEvery <= 0 {
		o.CheckEvery = 2 * time.Second
	}
	if o.DrainTimeout <= 0 {
		o.DrainTimeout = 30 * time.Second
	}
	if o.Slot != "" && !slotName.MatchString(o.Slot) {
		return nil, fmt.Errorf("--slot %q: want lower-case letters, digits and _", o.Slot)
	}
	conn, err := Connect(ctx, o.DSN, o.StatementTimeout, o.LockTimeout)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	si, err := Check(ctx, conn)
	if err != nil {
		return nil, err
	}
	res = &Result{}
	res.Cleaned, _, err = Cleanup(ctx, conn, StaleGrace)
	if err != nil {
		o.Log.Warn("stale publication clean-up failed", "err", err)
	}
	name := NewName()
	res.Publication, res.Slot = o.Publication, o.Slot
	if res.Slot == "" {
		res.Slot = name
	}
	if o.Publication == "" {
		res.Publication = name
		if err := createPublication(ctx, conn, name, si); err != nil {
			return nil, err
		}
		res.Created = true
		defer func() {
			if derr := dropPublication(conn, name); derr != nil && err == nil {
				err = derr
			}
		}()
	} else {
		var n int
		if err := conn.QueryRow(ctx, "SELECT "+marker+" count(*) FROM pg_catalog.pg_publication WHERE pubname = $1", o.Publication).Scan(&n); err != nil {
			return nil, fmt.Errorf("look up publication: %w", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("--publication %s: no such publication in database %s", o.Publication, si.Database)
		}
	}
	meta, err := readTableMeta(ctx, conn, res.Publication)
	if err != nil {
		return nil, err
	}

	rcfg, err := pgconn.ParseConfig(o.DSN)
	if err != nil {
		return nil, fmt.Errorf("parse DSN: %w", err)
	}
	rcfg.RuntimeParams["replication"] = "database"
	rcfg.RuntimeParams["application_name"] = "aadvisor"
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	rconn, err := pgconn.ConnectConfig(cctx, rcfg)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("open replication connection: %w (pg_hba.conf must allow \"replication\" connections for this role)", err)
	}
	defer rconn.Close(context.WithoutCancel(ctx))
	var startLSN pglogrepl.LSN
	if o.Slot == "" {
		sr, err := pglogrepl.CreateReplicationSlot(ctx, rconn, res.Slot, "pgoutput",
			pglogrepl.CreateReplicationSlotOptions{Temporary: true, Mode: pglogrepl.LogicalReplication, SnapshotAction: "NOEXPORT_SNAPSHOT"})
		if err != nil {
			return nil, fmt.Errorf("create temporary replication slot: %w (max_replication_slots may be exhausted)", err)
		}
		startLSN, _ = pglogrepl.ParseLSN(sr.ConsistentPoint)
	}
	pubArg := "publication_names " + inspect.QuoteLiteralStandard(pgx.Identifier{res.Publication}.Sanitize())
	if err := pglogrepl.StartReplication(ctx, rconn, res.Slot, 0, pglogrepl.StartReplicationOptions{
		Mode: pglogrepl.LogicalReplication, PluginArgs: []string{"proto_version '1'", pubArg}}); err != nil {
		return nil, fmt.Errorf("start replication: %w", err)
	}

	tw, err := NewWriter(out, Meta{Source: SourceName(o.DSN), ServerVersion: si.ServerVersion,
		Publication: res.Publication, Slot: res.Slot, Started: time.Now().UTC(), Tool: "aadvisor observe"})
	if err != nil {
		return nil, err
	}
	c := &capture{o: o, conn: rconn, check: conn, tw: tw, meta: meta, rels: map[uint32]*Table{}, res: res, start: time.Now(), received: startLSN}
	reason, lerr := c.loop(ctx)
	res.Reason = reason
	res.Stats = c.stats()
	if lerr != nil {
		tw.Flush()
		return res, lerr
	}
	if res.Incomplete != "" {
		res.Notes = append(res.Notes, "partial capture: "+res.Incomplete+"; the forecast covers only what was captured")
	}
	f := Footer{Ended: time.Now().UTC(), Reason: reason, Notes: res.Notes, Incomplete: res.Incomplete}
	if err := tw.Close(f); err != nil {
		return res, err
	}
	res.TraceBytes = tw.Bytes()
	return res, nil
}

type capture struct {
	o     Options
	conn  *pgconn.PgConn // the replication connection
	check *pgx.Conn      // the regular connection, for the checks
	tw    *Writer
	meta  map[uint32]tableMeta
	rels  map[uint32]*Table
	res   *Result
	start time.Time

	txns, changes, bytes int64
	lastCommit           time.Time
	inTxn                bool
	received             pglogrepl.LSN // end of the last XLogData
	acked                pglogrepl.LSN
	serverEnd            pglogrepl.LSN
}

func (c *capture) stats() Stats {
	s := Stats{Elapsed: time.Since(c.start), Txns: c.txns, Changes: c.changes, Bytes: c.bytes,
		TraceBytes: c.tw.Bytes(), Tables: len(c.rels), LastCommit: c.lastCommit}
	if c.received > 0 && c.serverEnd > c.received {
		s.Behind = int64(c.serverEnd - c.received)
	}
	return s
}

func (c *capture) sendStatus() error {
	pos := c.received
	if !c.inTxn && c.serverEnd > pos {
		pos = c.serverEnd
	}
	if err := pglogrepl.SendStandbyStatusUpdate(context.Background(), c.conn, pglogrepl.StandbyStatusUpdate{WALWritePosition: pos}); err != nil {
		return fmt.Errorf("send standby status: %w", err)
	}
	c.acked = pos
	return nil
}

func (c *capture) loop(ctx context.Context) (string, error) {
	var stopAt time.Time
	if c.o.Duration > 0 {
		stopAt = c.start.Add(c.o.Duration)
	}
	nextStatus := time.Now().Add(c.o.StatusInterval)
	nextProgress := time.Now().Add(c.o.ProgressEvery)
	nextCheck := time.Now().Add(c.o.CheckEvery)
	var deadline time.Time
	netConn := c.conn.Conn()
	defer netConn.SetReadDeadline(time.Time{})
	// After the duration, the stream must still reach drainTo: the WAL
	// flushed when the window closed, so that every transaction committed
	// in the window is in the trace.
	var drainTo pglogrepl.LSN
	var drainUntil time.Time
	for {
		if ctx.Err() != nil {
			return "interrupted", c.finish()
		}
		now := time.Now()
		if !stopAt.IsZero() && !now.Before(stopAt) && drainTo == 0 {
			lsn, err := c.flushLSN()
			if err != nil {
				return "error", err
			}
			drainTo, drainUntil = lsn, now.Add(c.o.DrainTimeout)
			// Ask for a keepalive: it carries how far the server has sent.
			if err := c.sendStatusReply(); err != nil {
				return c.streamEnded(err)
			}
		}
		if drainTo != 0 && !c.inTxn {
			if c.received >= drainTo || c.serverEnd >= drainTo {
				return "duration", c.finish()
			}
			if now.After(drainUntil) {
				c.res.Incomplete = fmt.Sprintf("the stream did not reach the end of the window within %s (it had reached %s, the window ended at %s: %d bytes of WAL not read)",
					c.o.DrainTimeout, max(c.received, c.serverEnd), drainTo, uint64(drainTo-max(c.received, c.serverEnd)))
				return "duration", c.finish()
			}
		}
		if !now.Before(nextCheck) {
			if gone := c.objectsGone(); gone != "" {
				c.res.Incomplete = gone
				return "incomplete", c.finish()
			}
			nextCheck = now.Add(c.o.CheckEvery)
		}
		if !now.Before(nextStatus) {
			var err error
			if drainTo != 0 {
				err = c.sendStatusReply()
			} else {
				err = c.sendStatus()
			}
			if err != nil {
				return c.streamEnded(err)
			}
			nextStatus = now.Add(c.o.StatusInterval)
			if drainTo != 0 {
				nextStatus = now.Add(200 * time.Millisecond)
			}
		}
		if !now.Before(nextProgress) {
			if c.o.Progress != nil {
				c.o.Progress(c.stats())
			}
			nextProgress = now.Add(c.o.ProgressEvery)
		}
		want := nextStatus
		if nextProgress.Before(want) {
			want = nextProgress
		}
		if !stopAt.IsZero() && stopAt.Before(want) && drainTo == 0 {
			want = stopAt
		}
		if nextCheck.Before(want) {
			want = nextCheck
		}
		if lim := now.Add(250 * time.Millisecond); lim.Before(want) {
			want = lim // notice ctx promptly
		}
		if least := time.Now().Add(time.Millisecond); want.Before(least) {
			want = least // a deadline already past would read nothing
		}
		if !want.Equal(deadline) {
			netConn.SetReadDeadline(want)
			deadline = want
		}
		msg, err := c.conn.ReceiveMessage(context.Background())
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || pgconn.Timeout(err) {
				continue
			}
			if ctx.Err() != nil {
				return "interrupted", nil
			}
			return c.streamEnded(fmt.Errorf("receive from replication stream: %w", err))
		}
		switch m := msg.(type) {
		case *pgproto3.CopyData:
			if len(m.Data) == 0 {
				continue
			}
			switch m.Data[0] {
			case pglogrepl.PrimaryKeepaliveMessageByteID:
				pkm, err := pglogrepl.ParsePrimaryKeepaliveMessage(m.Data[1:])
				if err != nil {
					return "error", fmt.Errorf("parse keepalive: %w", err)
				}
				c.serverEnd = pkm.ServerWALEnd
				if !c.inTxn && c.o.EndLSN != 0 && uint64(pkm.ServerWALEnd) >= c.o.EndLSN {
					return "end LSN", c.finish()
				}
				if pkm.ReplyRequested {
					if err := c.sendStatus(); err != nil {
						return c.streamEnded(err)
					}
					nextStatus = time.Now().Add(c.o.StatusInterval)
				}
			case pglogrepl.XLogDataByteID:
				xld, err := pglogrepl.ParseXLogData(m.Data[1:])
				if err != nil {
					return "error", fmt.Errorf("parse XLogData: %w", err)
				}
				c.bytes += int64(len(xld.WALData))
				if end := xld.WALStart + pglogrepl.LSN(len(xld.WALData)); end > c.received {
					c.received = end
				}
				stop, err := c.handle(xld.WALData)
				if err != nil {
					return "error", err
				}
				if stop != "" {
					return stop, c.finish()
				}
			}
		case *pgproto3.ErrorResponse:
			return c.streamEnded(fmt.Errorf("replication stream: %w", pgconn.ErrorResponseToPgError(m)))
		case *pgproto3.CopyDone:
			return c.streamEnded(errors.New("the server ended the replication stream"))
		default:
			// NoticeResponse and the like: nothing to do.
		}
	}
}

// finish acknowledges what was read so the server never waits on us.
func (c *capture) finish() error {
	return c.sendStatus()
}

// sendStatusReply sends a status update that asks the server for a
// keepalive, which says how far it has sent.
func (c *capture) sendStatusReply() error {
	err := pglogrepl.SendStandbyStatusUpdate(context.Background(), c.conn,
		pglogrepl.StandbyStatusUpdate{WALWritePosition: c.acked, ReplyRequested: true})
	if err != nil {
		return fmt.Errorf("send standby status: %w", err)
	}
	return nil
}

// streamEnded turns the end of the stream from the server's side (an
// error, a closed connection) into an incomplete capture: what was read
// is kept and the forecast says it is partial. The reason names the
// publication or slot when they are gone.
func (c *capture) streamEnded(err error) (string, error) {
	c.res.Incomplete = "the replication stream ended before the window did: " + err.Error()
	if gone := c.objectsGone(); gone != "" {
		c.res.Incomplete = gone + " (" + err.Error() + ")"
	}
	return "incomplete", nil
}

// flushLSN reads the server's WAL flush position on the regular
// connection.
func (c *capture) flushLSN() (pglogrepl.LSN, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var s string
	if err := c.check.QueryRow(ctx, "SELECT "+marker+` pg_catalog.pg_current_wal_flush_lsn()::text`).Scan(&s); err != nil {
		return 0, fmt.Errorf("read the WAL position at the end of the window: %w", err)
	}
	return pglogrepl.ParseLSN(s)
}

// objectsGone checks on the regular connection that the capture's
// publication exists and that its slot is still read by its walsender;
// it returns what is wrong, or "". Another session dropping them (an
// older 'mesh teardown', a DBA) would silently cut the stream short:
// PostgreSQL 18's pgoutput skips a publication that no longer exists.
func (c *capture) objectsGone() string {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var pub, slot bool
	err := c.check.QueryRow(ctx, "SELECT "+marker+` EXISTS (SELECT 1 FROM pg_catalog.pg_publication WHERE pubname = $1),
		EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $2 AND active_pid = $3)`,
		c.res.Publication, c.res.Slot, int32(c.conn.PID())).Scan(&pub, &slot)
	switch {
	case err != nil:
		if c.o.Log != nil {
			c.o.Log.Warn("check publication and slot", "err", err)
		}
		return ""
	case !pub:
		return fmt.Sprintf("the publication %s was dropped by another session during the capture", c.res.Publication)
	case !slot:
		return fmt.Sprintf("the replication slot %s is gone or no longer read by this capture", c.res.Slot)
	}
	return ""
}

type pgTuple []*pglogrepl.TupleDataColumn

func (t pgTuple) Len() int { return len(t) }
func (t pgTuple) At(i int) (byte, []byte) {
	return t[i].DataType, t[i].Data
}

func tupleOf(td *pglogrepl.TupleData) TupleSource {
	if td == nil {
		return nil
	}
	return pgTuple(td.Columns)
}

// handle decodes one pgoutput message; it returns a stop reason when a cap
// or the end position is reached at a commit.
func (c *capture) handle(data []byte) (stop string, err error) {
	if len(data) == 0 {
		return "", nil
	}
	msg, err := safeParse(data)
	if err != nil {
		return "", err
	}
	switch m := msg.(type) {
	case *pglogrepl.RelationMessage:
		t := &Table{ID: m.RelationID, Schema: m.Namespace, Name: m.RelationName, ReplicaIdentity: m.ReplicaIdentity}
		md, known := c.meta[m.RelationID]
		for _, col := range m.Columns {
			tc := Column{Name: col.Name, TypeOID: col.DataType, Key: col.Flags&1 != 0}
			if known && len(md.pk) > 0 {
				tc.Key = slices.Contains(md.pk, col.Name)
			}
			tc.Sequence = known && slices.Contains(md.seq, col.Name)
			t.Columns = append(t.Columns, tc)
		}
		c.rels[m.RelationID] = t
		return "", c.tw.Table(t)
	case *pglogrepl.BeginMessage:
		c.inTxn = true
		return "", c.tw.Begin(m.Xid, m.CommitTime, uint64(m.FinalLSN))
	case *pglogrepl.OriginMessage:
		return "", c.tw.Origin(m.Name)
	case *pglogrepl.InsertMessage:
		c.changes++
		return "", c.tw.Change(OpInsert, m.RelationID, 0, nil, tupleOf(m.Tuple))
	case *pglogrepl.UpdateMessage:
		c.changes++
		return "", c.tw.Change(OpUpdate, m.RelationID, m.OldTupleType, tupleOf(m.OldTuple), tupleOf(m.NewTuple))
	case *pglogrepl.DeleteMessage:
		c.changes++
		return "", c.tw.Change(OpDelete, m.RelationID, m.OldTupleType, tupleOf(m.OldTuple), nil)
	case *pglogrepl.TruncateMessage:
		c.changes++
		return "", c.tw.Truncate(m.RelationIDs)
	case *pglogrepl.CommitMessage:
		c.inTxn = false
		c.txns++
		c.lastCommit = m.CommitTime
		if err := c.tw.Commit(uint64(m.CommitLSN), uint64(m.TransactionEndLSN), m.CommitTime); err != nil {
			return "", err
		}
		if c.o.MaxChanges > 0 && c.changes >= c.o.MaxChanges {
			c.res.Notes = append(c.res.Notes, fmt.Sprintf("capture stopped at the change cap (%d changes, --max-changes) after %s; the forecast covers that window only",
				c.changes, time.Since(c.start).Round(time.Second)))
			return "change cap", nil
		}
		if c.o.EndLSN != 0 && uint64(m.TransactionEndLSN) >= c.o.EndLSN {
			return "end LSN", nil
		}
	}
	return "", nil
}

// safeParse runs pglogrepl.Parse, turning a malformed message (which can
// make it index out of range) into an error.
func safeParse(data []byte) (msg pglogrepl.Message, err error) {
	defer func() {
		if r := recover(); r != nil {
			msg, err = nil, fmt.Errorf("decode pgoutput message %q: malformed (%v)", data[0], r)
		}
	}()
	msg, err = pglogrepl.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("decode pgoutput message %q: %w", data[0], err)
	}
	return msg, nil
}
