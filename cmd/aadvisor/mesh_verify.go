package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aadvisor/aadvisor/replicate"
	"github.com/spf13/cobra"
)

func init() { registerMesh((*app).meshVerifyCommand) }

type meshVerifyOptions struct {
	plan    string
	tables  []string
	repair  string
	format  string
	recheck time.Duration
	source  string
	maxRows int
	buckets int
}

func (a *app) meshVerifyCommand() *cobra.Command {
	o := &meshVerifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Compare tables across every node without copying them; list missing, extra and different rows",
		Long: `verify compares tables (with a primary key) across all nodes of the plan without moving whole
tables. Each node first computes one digest of the whole table on the server (row count and xor
of row hashes); when the digests agree the table is done. Otherwise each node hashes its rows
into buckets of primary-key hashes, only buckets that differ are listed by key and row hash, and
only rows that differ are read in full. Each node is read from one REPEATABLE READ snapshot.
A row is missing on a node that lacks it while most nodes have it, extra when most nodes lack it,
different when its values differ from the majority's (ties go to a present row, then --source).

On a live mesh the snapshots of different nodes are not taken at the same instant: rows written
in the last moments may still be in flight and show up as differences. --recheck DURATION reads
the differing rows again after that wait and drops those that agree by then.

--repair-sql FILE writes SQL that a human reviews and runs with psql on each node: values are
literals, identifiers quoted, and each node's section runs under a replication origin so that
the fix does not replicate back to the others.

Exit status: 0 when every row matches, 3 when differences were found, 1 on errors.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.format != "text" && o.format != "json" {
				return usagef("--format: unknown format %q (want text or json)", o.format)
			}
			if o.buckets < 0 || (o.buckets > 0 && o.buckets&(o.buckets-1) != 0) {
				return usagef("--buckets %d: want a power of two", o.buckets)
			}
			if o.maxRows < 1 {
				return usagef("--max-rows %d: want 1 or more", o.maxRows)
			}
			if o.recheck < 0 {
				return usagef("--recheck %s: want a wait of 0 (no recheck) or more", o.recheck)
			}
			p, err := readPlanFlag(o.plan)
			if err != nil {
				return err
			}
			if o.source != "" {
				var names []string
				for _, n := range p.Topology.Nodes {
					names = append(names, n.Name)
				}
				if !slices.Contains(names, o.source) {
					return usagef("--source %s: not a node of the plan (nodes: %s)", o.source, strings.Join(names, ", "))
				}
			}
			var tables []string
			for _, t := range o.tables {
				for _, s := range strings.Split(t, ",") {
					if s = strings.TrimSpace(s); s != "" {
						tables = append(tables, s)
					}
				}
			}
			stop := a.progress("verifying tables on " + fmt.Sprint(len(p.Topology.Nodes)) + " nodes")
			rep, err := replicate.Verify(cmd.Context(), p, replicate.VerifyOptions{Tables: tables, Recheck: o.recheck,
				Source: o.source, MaxRows: o.maxRows, Buckets: o.buckets, Log: a.log})
			stop()
			if errors.Is(err, replicate.ErrTableNotFound) {
				if len(tables) > 0 {
					return usagef("--tables: %v", err)
				}
				return asUsage(err)
			}
			if err != nil {
				return err
			}
			if o.repair != "" {
				var b bytes.Buffer
				if err := rep.WriteRepairSQL(&b); err != nil {
					return err
				}
				if err := os.WriteFile(o.repair, b.Bytes(), 0o600); err != nil {
					return fmt.Errorf("write repair script: %w", err)
				}
			}
			if err := printVerify(a.stdout, rep, o.format, o.repair); err != nil {
				return err
			}
			if rep.Differences > 0 {
				return silentError{code: exitFindings}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.plan, "plan", "", "plan file (from 'aadvisor bootstrap --output')")
	f.StringSliceVar(&o.tables, "tables", nil, "tables to compare: schema.table, schema.* (default: the plan's tables, else every table with a primary key)")
	f.StringVar(&o.repair, "repair-sql", "", "write a repair script to FILE (reviewed and applied by a human)")
	f.StringVar(&o.format, "format", "text", "output format: text, json")
	f.DurationVar(&o.recheck, "recheck", 0, "read differing rows again after this wait, to drop rows that were in flight")
	f.StringVar(&o.source, "source", "", "node whose version wins a tie (default: the first node)")
	f.IntVar(&o.maxRows, "max-rows", 10000, "differing rows kept per table for the report and the repair script")
	f.IntVar(&o.buckets, "buckets", 0, "first-pass buckets per table, a power of two (default: about 256 rows a bucket)")
	return cmd
}

func printVerify(w io.Writer, rep *replicate.VerifyReport, format, repairFile string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	what := "tables"
	for _, t := range rep.Tables {
		if t.Scope != "" {
			what = "comparisons"
		}
	}
	fmt.Fprintf(w, "verify: %d %s on %s", len(rep.Tables), what, strings.Join(rep.Nodes, ", "))
	if rep.Database != "" {
		fmt.Fprintf(w, " (database %s)", rep.Database)
	}
	fmt.Fprintf(w, " in %.2fs, %d queries\n\n", rep.Seconds, rep.Queries)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tROWS\tBUCKETS\tMISMATCHED\tDIFFERENCES\tRESULT")
	for _, t := range rep.Tables {
		if t.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tskipped: %s\n", verifyLabel(t), t.Skipped)
			continue
		}
		var counts []string
		for _, n := range rep.Nodes {
			if c, ok := t.Rows[n]; ok {
				counts = append(counts, fmt.Sprint(c))
			}
		}
		rows := "-"
		if len(counts) > 0 {
			rows = counts[0]
		}
		for _, c := range counts[min(1, len(counts)):] {
			if c != counts[0] {
				rows = strings.Join(counts, "/")
				break
			}
		}
		result := "same"
		if t.Differences > 0 {
			result = "DIFFERENT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", verifyLabel(t), rows, t.Buckets, t.MismatchedBuckets, t.Differences, result)
	}
	tw.Flush()
	for _, t := range rep.Tables {
		if t.Differences == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s (key %s):\n", verifyLabel(t), strings.Join(t.Key, ", "))
		for _, n := range t.PerNode {
			if n.Missing+n.Extra+n.Different > 0 {
				fmt.Fprintf(w, "  %s: %d missing, %d extra, %d different\n", n.Node, n.Missing, n.Extra, n.Different)
			}
		}
		for i, d := range t.Diffs {
			if i == 20 {
				fmt.Fprintf(w, "  ... %d more (see --format json or --repair-sql)\n", len(t.Diffs)-20)
				break
			}
			var parts []string
			nodes := make([]string, 0, len(d.Nodes))
			for n := range d.Nodes {
				nodes = append(nodes, n)
			}
			sort.Strings(nodes)
			for _, n := range nodes {
				parts = append(parts, n+" "+d.Nodes[n])
			}
			line := fmt.Sprintf("  (%s): %s", strings.Join(d.Key, ", "), strings.Join(parts, ", "))
			if len(d.Columns) > 0 {
				line += " [" + strings.Join(d.Columns, ", ") + "]"
			}
			fmt.Fprintln(w, line)
		}
		if t.Truncated {
			fmt.Fprintf(w, "  (only the first %d differing rows were read)\n", len(t.Diffs))
		}
	}
	fmt.Fprintln(w)
	if rep.InFlight > 0 {
		fmt.Fprintf(w, "%d row(s) differed at first and agreed when read again: they were in flight\n", rep.InFlight)
	}
	for _, n := range rep.Notes {
		if rep.Differences > 0 {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}
	if rep.Differences == 0 {
		fmt.Fprintln(w, "result: every compared row is the same on every node")
	} else {
		fmt.Fprintf(w, "result: %d differing row(s)\n", rep.Differences)
	}
	if repairFile != "" {
		fmt.Fprintf(w, "repair script: %s (review it, then run it with psql on each node)\n", repairFile)
	}
	return nil
}

// verifyLabel names a compared table, with the rows compared when not the
// whole table on every node (hub-and-spoke).
func verifyLabel(t replicate.TableVerify) string {
	if t.Scope == "" {
		return t.Table
	}
	return t.Table + " · " + t.Scope
}
