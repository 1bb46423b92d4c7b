package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/aadvisor/aadvisor/templates"
	"github.com/spf13/cobra"
)

func init() { registerMesh((*app).meshMonitoringCommand) }

func (a *app) meshMonitoringCommand() *cobra.Command {
	var dir string
	var force bool
	cmd := &cobra.Command{
		Use:   "monitoring",
		Short: "Write a Grafana dashboard and Prometheus alert rules for the metrics of 'mesh run'",
		Long: `monitoring writes, into the directory -o names:
  aadvisor-mesh.dashboard.json   Grafana dashboard (import it; pick the Prometheus data source)
  aadvisor-mesh.rules.yml        Prometheus alert rules: supervisor or node down, link down, lag over
                                 the plan's window or RPO, slot retaining WAL, conflicts rising,
                                 apply errors, verify differences
  aadvisor-mesh.rules.test.yml   their unit tests: promtool test rules aadvisor-mesh.rules.test.yml
Scrape 'aadvisor mesh run' as job "aadvisor-mesh". The lag limits come from the plan through the
metrics mesh run exports, so the files need no editing per mesh. Existing files are kept unless
--force is given.`,
		Example: `  aadvisor mesh monitoring -o /etc/prometheus/aadvisor
  promtool check rules /etc/prometheus/aadvisor/aadvisor-mesh.rules.yml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.writeMonitoring(dir, force)
		},
	}
	outputFlag(cmd.Flags(), &dir, ".", "write the files into `DIR` (created if missing)")
	cmd.Flags().BoolVar(&force, "force", false, "overwrite files that exist")
	return cmd
}

func (a *app) writeMonitoring(dir string, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return usagef("--output %s: %v", dir, unwrapPathErr(err))
	}
	src := templates.Monitoring()
	names, err := fs.Glob(src, "*")
	if err != nil {
		return err
	}
	if !force {
		for _, name := range names {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				return usagef("--output %s: %s exists (use --force to overwrite)", dir, name)
			}
		}
	}
	for _, name := range names {
		data, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, name)
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", dst, unwrapPathErr(err))
		}
		fmt.Fprintln(a.stdout, dst)
	}
	return nil
}
