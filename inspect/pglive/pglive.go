// Package pglive reads a running PostgreSQL database into an
// inspect.Database: catalogs, statistics, settings, replication state and
// the pg_stat_statements workload.
//
// It is gentle with the server. Everything runs in one read-only
// REPEATABLE READ transaction with statement_timeout, lock_timeout and
// application_name set (Read shares its snapshot with a second connection,
// see lanes.go); it reads catalogs and statistics views only, with a
// small constant number of queries whatever the size of the schema (one per
// kind of object, never one per table). What the role may not read becomes
// an inspect.Skipped entry naming the grant that fixes it, never an error.
//
// Every statement carries the comment marker /* aadvisor:pglive */ after
// its first word: DBAs see it in pg_stat_activity and logs, and the reader
// leaves its own statements out of the pg_stat_statements workload.
//
// PostgreSQL 13 and later are accepted; the tests run against 15 and 18.
//
// It imports inspect and the statement analyser (inspect/stmt), and pgx;
// never the offline reader, the rules, assess or replicate.
package pglive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/aadvisor/aadvisor/inspect"
)

// Defaults for Options.
const (
	DefaultAppName          = "aadvisor"
	DefaultStatementTimeout = 30 * time.Second
	DefaultLockTimeout      = 2 * time.Second
	DefaultConnectTimeout   = 10 * time.Second
	DefaultMaxStatements    = 5000
)

// Options tune a read. The zero value uses the defaults above.
type Options struct {
	// AppName is the application_name the session shows in
	// pg_stat_activity; default "aadvisor". A DSN that sets
	// application_name keeps its own for the connection.
	AppName string
	// StatementTimeout bounds each query (default 30s).
	StatementTimeout time.Duration
	// LockTimeout bounds the wait for any lock (default 2s).
	LockTimeout time.Duration
	// ConnectTimeout bounds connecting (Read only). Zero takes the DSN's
	// connect_timeout, else 10s.
	ConnectTimeout time.Duration
	// Log receives debug records for each query; nil discards them.
	Log *slog.Logger
	// MaxStatements is how many pg_stat_statements entries to read, the
	// most called first (default 5000).
	MaxStatements int
	// Stats, when not nil, is filled with the cost of the read.
	Stats *Stats
	// OneConnection keeps Read to one connection. By default Read opens a
	// second one that imports the first one's snapshot and runs part of
	// the queries (the catalog and statistics reads, never one that opens
	// a user table), which halves the time on a server with two cores to
	// spare. ReadConn always reads on the connection it is given.
	OneConnection bool
}

// Stats is the cost of one read.
type Stats struct {
	// Queries is the number of SQL statements sent, transaction control
	// and savepoints included, on both connections.
	Queries int
	// Connections is the number of connections that ran queries: 2 when
	// Read's second connection took part, else 1.
	Connections int
	Duration    time.Duration
}

func (o Options) withDefaults() Options {
	if o.AppName == "" {
		o.AppName = DefaultAppName
	}
	if o.StatementTimeout <= 0 {
		o.StatementTimeout = DefaultStatementTimeout
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = DefaultLockTimeout
	}
	if o.MaxStatements <= 0 {
		o.MaxStatements = DefaultMaxStatements
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

var queryCount atomic.Int64

// QueryCount is the number of SQL statements this package has sent since
// the process started (all reads together). Options.Stats gives the count
// of one read.
func QueryCount() int { return int(queryCount.Load()) }

// Read connects to dsn, reads the database and closes the connection. The
// DSN is a libpq keyword/value string or URL; PG* environment variables,
// service files and passfiles apply as in libpq. Errors never hold the
// password.
func Read(ctx context.Context, dsn string, o Options) (*inspect.Database, error) {
	o = o.withDefaults()
	conn, err := Connect(ctx, dsn, o)
	if err != nil {
		return nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var second *pgx.ConnConfig
	if !o.OneConnection {
		second = conn.Config()
	}
	return readConn(ctx, conn, o, true, second)
}

// Connect opens a connection the way Read does: connect timeout,
// application_name, statement and lock timeouts, read-only transactions.
func Connect(ctx context.Context, dsn string, o Options) (*pgx.Conn, error) {
	o = o.withDefaults()
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, parseError(err)
	}
	switch {
	case o.ConnectTimeout > 0:
		cfg.ConnectTimeout = o.ConnectTimeout
	case cfg.ConnectTimeout == 0:
		cfg.ConnectTimeout = DefaultConnectTimeout
	}
	if _, ok := cfg.RuntimeParams["application_name"]; !ok {
		cfg.RuntimeParams["application_name"] = o.AppName
	}
	cfg.RuntimeParams["statement_timeout"] = millis(o.StatementTimeout)
	cfg.RuntimeParams["lock_timeout"] = millis(o.LockTimeout)
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	// The whole attempt, every host and address included, ends within the
	// connect timeout.
	cctx, cancel := context.WithTimeout(ctx, cfg.ConnectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			return nil, &connectError{msg: fmt.Sprintf("connect to %s: timed out after %s", sourceName(cfg), cfg.ConnectTimeout), err: context.DeadlineExceeded}
		}
		return nil, &connectError{msg: "connect: " + inspect.OneLine(inspect.Redact(err.Error())), err: causeOf(err)}
	}
	return conn, nil
}

// CheckDSN reports why a connection string (DSN or URL) does not parse,
// or nil; the error never holds the string itself.
func CheckDSN(dsn string) error {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return parseError(err)
	}
	return nil
}

// causeOf is what a connectError may unwrap to.
func causeOf(err error) error {
	if pe := pgError(err); pe != nil {
		return pe
	}
	for _, c := range []error{context.Canceled, context.DeadlineExceeded} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}

func millis(d time.Duration) string { return fmt.Sprintf("%dms", d.Milliseconds()) }

// connectError carries a connection failure with its password-free,
// one-line message. Unwrap gives the server's *pgconn.PgError (for the
// SQLSTATE) or the context error, never the driver's connect error, whose
// Config holds the password.
type connectError struct {
	msg string
	err error
}

func (e *connectError) Error() string { return e.msg }
func (e *connectError) Unwrap() error { return e.err }

// quoted matches a back-quoted or double-quoted stretch of an error
// message: parse errors quote the connection string they failed on.
var quoted = regexp.MustCompile("`[^`]*`|\"[^\"]*\"")

// parseError reports a DSN that does not parse. It does not wrap the
// driver's error, whose fields hold the unredacted connection string, and
// drops every quoted stretch that could be part of it.
func parseError(err error) error {
	msg := quoted.ReplaceAllStringFunc(err.Error(), func(q string) string {
		if strings.ContainsAny(q, "@=:/ ") {
			return "(connection string)"
		}
		return q
	})
	return errors.New("parse dsn: " + inspect.OneLine(inspect.Redact(msg)))
}

// sourceName is host:port/database, never with user or password.
func sourceName(cfg *pgx.ConnConfig) string {
	host := cfg.Host
	if strings.HasPrefix(host, "/") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("%s:%d/%s", host, cfg.Port, cfg.Database)
}

// ReadConn reads the database of an open connection. It runs in its own
// read-only transaction, with the timeouts and application_name of o set
// for that transaction only, and leaves the connection as it found it.
func ReadConn(ctx context.Context, conn *pgx.Conn, o Options) (*inspect.Database, error) {
	return readConn(ctx, conn, o, false, nil)
}

// readConn reads on conn, which it closes after when owned, and, with
// second, on a second connection made with that configuration.
func readConn(ctx context.Context, conn *pgx.Conn, o Options, owned bool, second *pgx.ConnConfig) (*inspect.Database, error) {
	o = o.withDefaults()
	start := time.Now()
	r := &reader{o: o, log: o.Log, owned: owned, second: second}
	r.lane = &lane{conn: conn, first: true, log: o.Log, queries: &r.queries}
	db, err := r.read(ctx)
	queries := int(r.queries.Load())
	if o.Stats != nil {
		*o.Stats = Stats{Queries: queries, Connections: 1 + int(r.seconds.Load()), Duration: time.Since(start)}
	}
	if err != nil {
		return nil, err
	}
	db.Source = inspect.SourceInfo{Kind: inspect.SourceLive, Name: sourceName(conn.Config())}
	o.Log.Info("read database", "source", db.Source.Name, "tables", len(db.Tables), "statements", len(db.Statements),
		"skipped", len(db.Skipped), "queries", queries, "connections", 1+r.seconds.Load(), "duration", time.Since(start).Round(time.Millisecond))
	return db, nil
}

// pgError returns the server error inside err, or nil.
func pgError(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}
