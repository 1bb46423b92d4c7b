package main

import (
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/pglive"
	"github.com/spf13/cobra"
)

// readLive reads a live database through the catalog reader: one
// read-only transaction with statement_timeout, lock_timeout and
// application_name=aadvisor.
func (a *app) readLive(cmd *cobra.Command, o *assessOptions) (*inspect.Database, error) {
	var st pglive.Stats
	db, err := pglive.Read(cmd.Context(), o.dsn, pglive.Options{
		StatementTimeout: o.timeout,
		LockTimeout:      o.lockTimeout,
		Log:              a.log,
		Stats:            &st,
	})
	if err != nil {
		return nil, err
	}
	a.log.Info("read database", "queries", st.Queries, "duration", st.Duration.String(), "tables", len(db.Tables), "statements", len(db.Statements))
	return db, nil
}

// checkDSN rejects a connection string that does not parse as bad input
// (exit 2), before anything is started; flag names it in the message.
func checkDSN(flag, dsn string) error {
	if dsn == "" {
		return nil
	}
	if err := pglive.CheckDSN(dsn); err != nil {
		return usagef("%s: %v", flag, err)
	}
	return nil
}

// checkTimeout rejects a server timeout that PostgreSQL would not apply:
// it is sent in whole milliseconds, and 0 (what a negative value or one
// under a millisecond would become) turns the timeout off.
func checkTimeout(flag string, d time.Duration) error {
	if d < time.Millisecond {
		return usagef("%s %s: want 1ms or more", flag, d)
	}
	return nil
}
