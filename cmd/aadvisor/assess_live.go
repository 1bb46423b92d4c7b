package main

import (
	"github.com/aadvisor/aadvisor/inspect"
	"github.com/spf13/cobra"
)

// readLive reads a live database. Replaced by the pglive reader.
func (a *app) readLive(cmd *cobra.Command, o *assessOptions) (*inspect.Database, error) {
	return nil, usagef("--dsn: live assessment is not built yet")
}
