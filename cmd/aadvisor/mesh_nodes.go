package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/spf13/cobra"
)

func init() {
	registerMesh((*app).meshAddNodeCommand)
	registerMesh((*app).meshRemoveNodeCommand)
}

func (a *app) meshAddNodeCommand() *cobra.Command {
	var planFile, out, node, region, format string
	var owns []string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Join a node to a running mesh (native or pglogical) and write the new plan",
		Long: `add-node joins one node, NAME=DSN, to the running mesh of the plan. It runs bootstrap on the
plan with the node appended: the existing links stay as they are, the new node gets its
publication (or pglogical node) and a link to and from every member, and the existing rows are
copied into it from one member only. The new node's tables must exist and be empty.

The mesh may keep taking writes, but a row written on another member in the moment the new
links are created can be missed: run 'aadvisor mesh verify' after the join (its --repair-sql
fixes what it finds). The new plan goes to --output (default: the --plan file, rewritten).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usagef("--format: unknown format %q (want text or json)", format)
			}
			p, err := readPlanFlag(planFile)
			if err != nil {
				return err
			}
			name, dsn, ok := strings.Cut(node, "=")
			if !ok || name == "" || dsn == "" {
				return usagef("--node %q: want NAME=DSN", inspect.Redact(node))
			}
			pn := replicate.PlanNode{Name: name, DSN: dsn, Region: region, Owns: owns}
			np, res, err := replicate.AddNode(cmd.Context(), p, pn, replicate.Options{DryRun: dryRun, Log: a.log})
			if res != nil && res.Bootstrap != nil {
				if perr := printBootstrap(a.stdout, res.Bootstrap, format); perr != nil {
					return perr
				}
			}
			if err != nil {
				if isPlanError(err) {
					return asUsage(err)
				}
				return err
			}
			if dryRun {
				return nil
			}
			if out == "" {
				out = planFile
			}
			if err := np.WriteFile(out); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "node %s joined; plan written to %s. Next: aadvisor mesh verify --plan %s\n", name, out, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&planFile, "plan", "", "plan file of the running mesh")
	f.StringVar(&node, "node", "", "the new node, NAME=DSN")
	f.StringVar(&region, "region", "", "the new node's region (recorded in the plan)")
	f.StringSliceVar(&owns, "owns", nil, "partitioned: owner values the new node writes")
	outputFlag(f, &out, "", "write the new plan to `FILE` (default: rewrite --plan)")
	f.BoolVar(&dryRun, "dry-run", false, "print the checks and the SQL per node; change nothing")
	f.StringVar(&format, "format", "text", "output format: text, json")
	return cmd
}

func (a *app) meshRemoveNodeCommand() *cobra.Command {
	var planFile, out, node, format string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "remove-node",
		Short: "Take a node out of a running mesh (up or gone) and free the WAL its slots hold",
		Long: `remove-node takes node NAME out of the mesh of the plan. Every other node drops its
subscription from NAME and the replication slots NAME's subscriptions used, so they stop
retaining WAL for it (the fix for a dead peer filling the disk). When NAME can still be reached,
its own subscriptions and its publication (or pglogical node) are dropped too; its data stays.
Every other node must be reachable. The new plan goes to --output (default: the --plan file,
rewritten). Running it again with the old plan cleans a node that comes back later.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usagef("--format: unknown format %q (want text or json)", format)
			}
			p, err := readPlanFlag(planFile)
			if err != nil {
				return err
			}
			if node == "" {
				return usagef("--node NAME is required")
			}
			np, res, err := replicate.RemoveNode(cmd.Context(), p, node, replicate.RemoveOptions{DryRun: dryRun, Log: a.log})
			if res != nil {
				if perr := printMembership(a.stdout, res, format); perr != nil {
					return perr
				}
			}
			if err != nil {
				if res == nil {
					return asUsage(err)
				}
				return err
			}
			if dryRun {
				return nil
			}
			if len(np.Topology.Nodes) < 2 {
				fmt.Fprintf(a.stderr, "node %s removed; one node is left, so no plan was written (it would not be a mesh)\n", node)
				return nil
			}
			if out == "" {
				out = planFile
			}
			if err := np.WriteFile(out); err != nil {
				return err
			}
			fmt.Fprintf(a.stderr, "node %s removed; plan written to %s\n", node, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&planFile, "plan", "", "plan file of the running mesh")
	f.StringVar(&node, "node", "", "name of the node to remove")
	outputFlag(f, &out, "", "write the new plan to `FILE` (default: rewrite --plan)")
	f.BoolVar(&dryRun, "dry-run", false, "list the SQL per node; change nothing")
	f.StringVar(&format, "format", "text", "output format: text, json")
	return cmd
}

func printMembership(w io.Writer, res *replicate.MembershipResult, format string) error {
	if format == "json" {
		cp := *res
		cp.Steps = redactSteps(res.Steps)
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&cp)
	}
	what := res.Action + " " + res.Node
	if res.DryRun {
		what += " (dry run: nothing changed)"
	}
	fmt.Fprintf(w, "%s, engine %s\n", what, res.Engine)
	if len(res.Steps) == 0 {
		fmt.Fprintln(w, "  nothing to do")
	}
	writeSteps(w, res.Steps, res.DryRun)
	for _, n := range res.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}
