package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate"
	"github.com/spf13/cobra"
)

func init() {
	register((*app).meshCommand)
	registerMesh((*app).meshTeardownCommand)
}

// meshSubcommands are the subcommands of `aadvisor mesh`; each file that
// defines one adds it with registerMesh from an init function.
var meshSubcommands []func(*app) *cobra.Command

func registerMesh(f func(*app) *cobra.Command) { meshSubcommands = append(meshSubcommands, f) }

func (a *app) meshCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mesh",
		Short: "Operate a bootstrapped topology (every subcommand takes --plan FILE)",
		Long: `mesh works on the topology that 'aadvisor bootstrap' stood up, described by the plan file that
bootstrap wrote with --output (its node list, engine and database).`,
	}
	for _, add := range meshSubcommands {
		cmd.AddCommand(add(a))
	}
	return cmd
}

// readPlanFlag reads --plan; a bad plan is a usage error (exit 2).
func readPlanFlag(path string) (*replicate.Plan, error) {
	if path == "" {
		return nil, usagef("--plan FILE is required (the plan 'aadvisor bootstrap --output' wrote)")
	}
	p, err := replicate.ReadPlan(path)
	if err != nil {
		return nil, asUsage(err)
	}
	if ph := p.Placeholders(); len(ph) > 0 {
		return nil, usagef("%s: fill in the <placeholder> DSN of %s", path, strings.Join(ph, ", "))
	}
	return p, nil
}

func (a *app) meshTeardownCommand() *cobra.Command {
	var planFile, format, sandboxDir, sandboxName string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove exactly what bootstrap created (subscriptions, publications, pglogical nodes and sets, slots)",
		Long: `teardown removes, on every node of the plan, the objects bootstrap made for it, by the names the
plan gives them: subscriptions first, then publications, pglogical replication sets and nodes,
then the replication slots of the plan's links and the aadv_repair origin of verify's repair
scripts. Nothing else is touched, whatever its name: a user's own aadv_* slot, a running
observe's publication, another plan's mesh. A streaming topology has its synchronous quorum
reset and its standbys promoted (they keep their copy of the data). A streaming topology with
automatic failover is taken back from Patroni: Patroni stops on every node (the leader last), etcd
stops, and each data directory is a plain PostgreSQL cluster again (its own configuration, started
with pg_ctl, replicas promoted); on user hosts the same is printed as runbook steps. Tables and rows
are never touched.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" {
				return usagef("--format: unknown format %q (want text or json)", format)
			}
			p, err := readPlanFlag(planFile)
			if err != nil {
				return err
			}
			sb := a.findSandbox(&bootstrapOptions{sandboxDir: sandboxDir, sandboxName: sandboxName})
			res, err := replicate.Teardown(cmd.Context(), p, replicate.Options{DryRun: dryRun, Log: a.log, Local: localNodes(p, sb), Sandbox: sb})
			if res != nil {
				if perr := printTeardown(a.stdout, res, format); perr != nil {
					return perr
				}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&planFile, "plan", "", "plan file (from 'aadvisor bootstrap --output')")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed, remove nothing")
	cmd.Flags().StringVar(&sandboxDir, "sandbox-dir", "", "sandbox directory whose nodes the plan uses (default $TMPDIR/aadvisor-sandbox/NAME)")
	cmd.Flags().StringVar(&sandboxName, "sandbox-name", "default", "sandbox name")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json")
	return cmd
}

func printTeardown(w io.Writer, res *replicate.TeardownResult, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(redactTeardown(res))
	}
	what := "teardown"
	if res.DryRun {
		what = "teardown (dry run: nothing removed)"
	}
	fmt.Fprintf(w, "%s: %s, engine %s\n", what, res.Topology, res.Engine)
	if len(res.Steps) == 0 {
		fmt.Fprintln(w, "  nothing to remove")
	}
	writeSteps(w, res.Steps, res.DryRun)
	for _, k := range res.Kept {
		fmt.Fprintf(w, "kept: %s\n", k)
	}
	for _, e := range res.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	return nil
}

func redactTeardown(res *replicate.TeardownResult) *replicate.TeardownResult {
	cp := *res
	cp.Steps = redactSteps(res.Steps)
	return &cp
}

func redactSteps(steps []replicate.Step) []replicate.Step {
	out := make([]replicate.Step, len(steps))
	for i, s := range steps {
		s.SQL = inspect.Redact(s.SQL)
		s.Shell = inspect.Redact(s.Shell)
		out[i] = s
	}
	return out
}

// isPlanError tells plan problems (usage, exit 2) from runtime errors.
func isPlanError(err error) bool {
	var pe *replicate.PlanError
	return errors.As(err, &pe)
}
