package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/aadvisor/aadvisor/rules"
	"github.com/spf13/cobra"
)

func init() {
	register((*app).rulesCommand)
	register((*app).explainCommand)
}

func (a *app) rulesCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "List the hazard rules assess checks",
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return a.printRules(format) },
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text, json")
	return cmd
}

// severityNote says what the SEVERITY column of the catalogue means.
const severityNote = `SEVERITY is each rule's usual severity. Some rules report a finding lower or
higher when its evidence says so (a table without a primary key but with a replica identity index
is a warning, a sequence that already steps by the node count is info); a report then shows the
finding's own severity and says that it differs from the rule's.`

// printRules writes the catalogue.
func (a *app) printRules(format string) error {
	all := rules.All()
	switch format {
	case "json":
		type row struct {
			ID       string   `json:"id"`
			Name     string   `json:"name"`
			Title    string   `json:"title"`
			Severity string   `json:"severity"`
			Category string   `json:"category"`
			Engines  []string `json:"engines"`
		}
		out := struct {
			SchemaVersion int    `json:"schema_version"`
			SeverityNote  string `json:"severity_note"`
			Rules         []row  `json:"rules"`
		}{SchemaVersion: 1, SeverityNote: strings.Join(strings.Fields(severityNote), " ")}
		for _, r := range all {
			out.Rules = append(out.Rules, row{r.ID, r.Name, r.Title, r.Severity.String(), string(r.Category), r.Engines})
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	case "text":
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSEVERITY\tCATEGORY\tTITLE")
		for _, r := range all {
			sev := r.Severity.String()
			switch r.Severity {
			case rules.Error:
				sev = a.paint(a.stdout, sev, colorRed)
			case rules.Warning:
				sev = a.paint(a.stdout, sev, colorYellow)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, sev, r.Category, r.Title)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		_, err := fmt.Fprintf(a.stdout, "\n%s\n'aadvisor explain RULE' (ID or name) prints one rule's documentation.\n", severityNote)
		return err
	}
	return usagef("--format: unknown format %q (want text or json)", format)
}

func (a *app) explainCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "explain [RULE]",
		Short: "Print a rule's documentation: why it breaks, how it is detected, the fix (no RULE: the list)",
		Args:  cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for _, r := range rules.All() {
				out = append(out, r.ID+"\t"+r.Name, r.Name+"\t"+r.Title)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return a.printRules("text")
			}
			r, ok := rules.Lookup(args[0])
			if !ok {
				var names []string
				for _, r := range rules.All() {
					if strings.Contains(r.Name, strings.ToLower(args[0])) {
						names = append(names, r.Name)
					}
				}
				hint := "see 'aadvisor rules'"
				if len(names) > 0 {
					hint = "did you mean " + strings.Join(names, ", ") + "?"
				}
				return usagef("explain: unknown rule %q (%s)", args[0], hint)
			}
			fmt.Fprint(a.stdout, rules.Markdown(r))
			return nil
		},
	}
}
