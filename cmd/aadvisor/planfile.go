package main

import (
	"fmt"

	"github.com/aadvisor/aadvisor/assess/decide"
	"github.com/aadvisor/aadvisor/replicate"
	"go.yaml.in/yaml/v3"
)

// readPlanAnswers reads a plan file and the questionnaire answers it
// keeps (nil when it keeps none). Bad files are usage errors.
func readPlanAnswers(path string) (*replicate.Plan, *decide.Answers, error) {
	p, err := replicate.ReadPlan(path)
	if err != nil {
		return nil, nil, asUsage(err)
	}
	a, err := planAnswers(path, p)
	if err != nil {
		return nil, nil, err
	}
	return p, a, nil
}

// planAnswers returns the questionnaire answers a plan read from path
// keeps (nil when it keeps none). Bad answers are usage errors.
func planAnswers(path string, p *replicate.Plan) (*decide.Answers, error) {
	if p.Answers == nil {
		return nil, nil
	}
	data, err := yaml.Marshal(p.Answers)
	if err != nil {
		return nil, fmt.Errorf("read plan answers: %w", err)
	}
	a, err := decide.ParseAnswers(path+" (answers)", data)
	if err != nil {
		return nil, asUsage(err)
	}
	return &a, nil
}
