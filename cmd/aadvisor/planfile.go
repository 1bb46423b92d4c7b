package main

import (
	"fmt"

	"github.com/aadvisor/aadvisor/assess"
	"github.com/aadvisor/aadvisor/replicate"
	"go.yaml.in/yaml/v3"
)

// readPlanAnswers reads a plan file and the questionnaire answers it
// keeps (nil when it keeps none). Bad files are usage errors.
func readPlanAnswers(path string) (*replicate.Plan, *assess.Answers, error) {
	p, err := replicate.ReadPlan(path)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	if p.Answers == nil {
		return p, nil, nil
	}
	data, err := yaml.Marshal(p.Answers)
	if err != nil {
		return nil, nil, fmt.Errorf("read plan answers: %w", err)
	}
	a, err := assess.ParseAnswers(path+" (answers)", data)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	return p, &a, nil
}
