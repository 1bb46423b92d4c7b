package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/spf13/cobra"
)

func init() { registerMesh((*app).meshStatusCommand) }

type meshStatusOptions struct {
	plan     string
	format   string
	watch    bool
	interval time.Duration
	logs     map[string]string
}

func (a *app) meshStatusCommand() *cobra.Command {
	o := &meshStatusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Nodes, links, lag, conflicts, retained WAL and alarms of the mesh",
		Long: `status reads every node of the plan: up or down, role and version; each link (subscription)
with its state, lag in bytes (WAL the subscriber has not confirmed) and seconds (walsender replay
lag), conflicts (PostgreSQL 18 counts them per subscription; pglogical only logs them, so pass the
server log with --log NODE=FILE to count them), the WAL each slot retains and how much more it may
retain before max_slot_wal_keep_size drops it. --watch opens a live dashboard.

A hub-and-spoke topology also gets a line per site: connected or cut off, and for a site cut off
the WAL the hub keeps for it and the site keeps for the hub, each with how long until that slot
is lost at the node's current WAL rate (to max_slot_wal_keep_size, or with no limit until the
disk fills); and the site's own writes to shared tables, which only the hub may write (alarm
shared_write).

Exit status: 0 when nothing needs a human, 3 when an alarm is raised, 1 on errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "text" && o.format != "json" {
				return usagef("--format: unknown format %q (want text or json)", o.format)
			}
			if o.watch && o.format != "text" {
				return usagef("--watch is a dashboard on the terminal: leave out --format %s", o.format)
			}
			if o.watch && !(isTerminal(a.stdin) && isTerminal(a.stderr)) {
				return usagef("--watch needs a terminal (standard input and error); without one run 'aadvisor mesh status' again, or 'aadvisor mesh run' for metrics")
			}
			if o.interval < 200*time.Millisecond {
				return usagef("--interval %s: want at least 200ms", o.interval)
			}
			p, err := readPlanFlag(o.plan)
			if err != nil {
				return err
			}
			opts := replicate.StatusOptions{LogFiles: o.logs}
			if o.watch {
				return a.meshWatch(cmd, p, opts, o.interval)
			}
			st := replicate.MeshStatus(cmd.Context(), p, opts)
			if err := printMeshStatus(a.stdout, st, o.format); err != nil {
				return err
			}
			if len(st.Alarms) > 0 {
				return silentError{code: exitFindings}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.plan, "plan", "", "plan file (from 'aadvisor bootstrap --output')")
	f.StringVar(&o.format, "format", "text", "output format: text, json")
	f.BoolVar(&o.watch, "watch", false, "live dashboard (q quits)")
	f.DurationVar(&o.interval, "interval", 2*time.Second, "refresh interval for --watch")
	f.StringToStringVar(&o.logs, "log", nil, "server log of a node on this machine, to count pglogical conflicts (NODE=FILE, repeatable)")
	return cmd
}

func printMeshStatus(w io.Writer, st *replicate.Status, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return fmt.Errorf("write status: %w", err)
		}
		return nil
	}
	return st.WriteText(w)
}
