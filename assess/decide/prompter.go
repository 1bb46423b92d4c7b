package decide

import (
	"errors"
	"fmt"
)

// Prompter asks one question. It returns the typed value for q's kind (see
// Answers), or nil to leave the question unanswered (its default applies).
// cmd/aadvisor implements it with huh; tests with a script.
type Prompter interface {
	Ask(q Question, current Answers) (any, error)
}

// ErrStop may be returned by a Prompter to end the interview early, keeping
// the answers given so far.
var ErrStop = errors.New("stop asking")

// Interview asks, in bank order, every question relevant to the answers so
// far. Questions already answered in start are skipped unless askAll is set
// (then the current answer is offered as the default).
func Interview(p Prompter, start Answers, askAll bool) (Answers, error) {
	a := NewAnswers()
	a.file = start.file
	for k, v := range start.values {
		a.values[k] = v
	}
	for _, q := range Bank {
		if q.Ask != nil && !q.Ask(a) {
			continue
		}
		if a.IsSet(q.ID) && !askAll {
			continue
		}
		v, err := p.Ask(q, a)
		if errors.Is(err, ErrStop) {
			return a, nil
		}
		if err != nil {
			return a, fmt.Errorf("ask %s: %w", q.ID, err)
		}
		if v == nil {
			continue
		}
		if err := a.Set(q.ID, v); err != nil {
			return a, err
		}
	}
	return a, nil
}
