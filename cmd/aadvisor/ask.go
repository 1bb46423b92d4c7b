package main

import (
	"errors"
	"fmt"

	"github.com/aadvisor/aadvisor/assess/decide"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/spf13/cobra"
)

func init() {
	register(func(a *app) *cobra.Command {
		var o adviceOptions
		var accessible bool
		cmd := &cobra.Command{
			Use:   "ask",
			Short: "Answer the questionnaire and get a recommendation: do you really need active-active?",
			Long: `ask walks through the questions that decide whether you need active-active PostgreSQL:
availability target, failure domains, RTO/RPO, where your writers are, workload, data ownership,
invariants, motivations and who runs it. Each question explains why it matters; a side panel shows
the running downtime budget and where the answers lean. The recommendation goes to stdout; the
questionnaire itself runs on stderr.

Without a terminal, with --no-input, or with --answers FILE it asks nothing: answers come from the
file and every missing required answer is listed in one error. --accessible asks with plain
numbered prompts (screen readers, scripts) and works without a terminal.`,
			Example: `  aadvisor ask -o plan.yaml
  aadvisor ask --accessible
  aadvisor ask --answers answers.yaml --assessment report.json --format markdown`,
			Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				return a.runAsk(cmd, &o, accessible)
			},
		}
		cmd.Flags().StringVar(&o.answers, "answers", "", "answers file (YAML): no prompts, take the answers from it")
		cmd.Flags().BoolVar(&accessible, "accessible", false, "ask with plain prompts for screen readers (no full-screen UI)")
		o.addFlags(cmd)
		return cmd
	})
}

func (a *app) runAsk(cmd *cobra.Command, o *adviceOptions, accessible bool) error {
	ev, err := a.inputs(cmd, o)
	if err != nil {
		return err
	}
	ans := decide.NewAnswers()
	if o.answers != "" {
		if ans, err = decide.ReadAnswers(o.answers); err != nil {
			return asUsage(err)
		}
	}
	switch {
	case o.answers != "" || a.noInput:
		// no prompts at all
	case accessible:
		p := &accessiblePrompter{in: newLineReader(a.stdin), out: a.stderr}
		fmt.Fprintln(a.stderr, "aadvisor ask: answer each question; press enter to keep the value shown in brackets.")
		if ans, err = decide.Interview(p, ans, false); err != nil {
			return err
		}
	case a.interactive():
		m := newAskModel(ans, ev.Inputs, a.color(a.stderr))
		prog := tea.NewProgram(m, tea.WithInput(a.stdin), tea.WithOutput(a.stderr), tea.WithAltScreen())
		final, err := prog.Run()
		if err != nil {
			return fmt.Errorf("run questionnaire: %w", err)
		}
		fm, ok := final.(*askModel)
		if !ok || fm.aborted || !fm.done {
			return errors.New("ask: cancelled; nothing saved")
		}
		ans = fm.ans
	default:
		// no terminal: behave like --no-input
		a.log.Debug("no terminal, not prompting")
	}
	if err := ans.Complete(); err != nil {
		return usageError{fmt.Errorf("%w (answer them in a file with --answers, or run 'aadvisor ask' in a terminal)", err)}
	}
	rec, err := decide.Recommend(ans, ev.Inputs)
	if err != nil {
		return asUsage(err)
	}
	return a.emit(o, ev, ans, rec, "aadvisor ask")
}
