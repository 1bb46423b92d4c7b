package decide

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type scriptPrompter struct {
	script map[string]string
	asked  []string
}

func (s *scriptPrompter) Ask(q Question, _ Answers) (any, error) {
	s.asked = append(s.asked, q.ID)
	text, ok := s.script[q.ID]
	if !ok {
		return nil, nil
	}
	if text == "STOP" {
		return nil, ErrStop
	}
	return ParseText(q, text)
}

func TestInterview(t *testing.T) {
	start := NewAnswers()
	if err := start.Set("platform", PlatformRDS); err != nil {
		t.Fatal(err)
	}
	p := &scriptPrompter{script: map[string]string{
		"slo_target": "99.99", "failure_domain": "node, az", "rpo_region": "1m",
		"write_regions": "eu-west-1=100", "write_tps_peak": "50", "partition_key": "no",
		"invariants": "none", "conflict_policy": "repair", "motivations": "backup", "team": "none",
	}}
	a, err := Interview(p, start, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Complete(); err != nil {
		t.Fatal(err)
	}
	// Region-only and conditional questions are not asked; platform was already answered.
	for _, id := range p.asked {
		if id == "rto_region" || id == "partition_key_name" || id == "hot_row_updates_per_sec" || id == "platform" {
			t.Errorf("asked %s", id)
		}
	}
	r, err := Recommend(a, Inputs{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Design != SP1 {
		t.Errorf("design = %s", r.Design)
	}
	// Stopping early keeps what was given.
	p2 := &scriptPrompter{script: map[string]string{"slo_target": "99.95", "slo_window": "STOP"}}
	a2, err := Interview(p2, NewAnswers(), true)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{"slo_target": 99.95}, a2.Map()); diff != "" {
		t.Error(diff)
	}
	// A bad value from the prompter is an error naming the question.
	p3 := &scriptPrompter{script: map[string]string{"slo_target": "101"}}
	if _, err := Interview(p3, NewAnswers(), true); err == nil || err.Error() != "slo_target: 101 out of range [90, 99.99999]" {
		t.Errorf("err = %v", err)
	}
	boom := errors.New("boom")
	if _, err := Interview(errPrompter{boom}, NewAnswers(), true); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

type errPrompter struct{ err error }

func (e errPrompter) Ask(Question, Answers) (any, error) { return nil, e.err }
