package replicate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"
)

var wantErrRE = regexp.MustCompile(`(?m)^# error: (.+)$`)

func TestParsePlanFiles(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "plan", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no plan fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParsePlan("plan.yaml", data)
			if strings.HasPrefix(name, "good-") {
				if err != nil {
					t.Fatal(err)
				}
				// Write → Parse gives the same plan.
				var b bytes.Buffer
				if err := p.Write(&b); err != nil {
					t.Fatal(err)
				}
				back, err := ParsePlan("written.yaml", b.Bytes())
				if err != nil {
					t.Fatalf("%v\n%s", err, b.String())
				}
				if diff := cmp.Diff(p, back, cmpopts.IgnoreUnexported(Plan{}), cmpopts.IgnoreFields(Plan{}, "Answers")); diff != "" {
					t.Errorf("round trip (-want +got):\n%s", diff)
				}
				if (p.Answers == nil) != (back.Answers == nil) {
					t.Error("answers lost in the round trip")
				}
				return
			}
			want := "plan.yaml: empty file"
			if m := wantErrRE.FindSubmatch(data); m != nil {
				want = string(m[1])
			}
			if err == nil {
				t.Fatalf("no error, want %q", want)
			}
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("err = %q\nwant %q", err, want)
			}
			var pe *PlanError
			if !errors.As(err, &pe) {
				t.Errorf("error is %T, want *PlanError", err)
			}
		})
	}
}

func TestPlanContents(t *testing.T) {
	p, err := ReadPlan(filepath.Join("testdata", "plan", "good-active-active.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := Topology{Kind: TopologyActiveActive, Engine: EngineNative, Database: "app",
		Nodes: []PlanNode{
			{Name: "us_east_1", Region: "us-east-1", Role: RolePeer, DSN: "postgres://aadvisor@<us-east-1-host>:5432/app"},
			{Name: "eu_west_1", Region: "eu-west-1", Role: RolePeer, DSN: "postgres://aadvisor@<eu-west-1-host>:5432/app"},
		},
		Tables: []string{"public.*"}, OwnerColumn: "merchant_id", Sequences: SequencesUUID}
	if diff := cmp.Diff(want, p.Topology); diff != "" {
		t.Errorf("topology (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"us_east_1", "eu_west_1"}, p.Placeholders()); diff != "" {
		t.Errorf("placeholders (-want +got):\n%s", diff)
	}
	if p.Recommendation == nil || p.Recommendation.Design != "AA-HOME" {
		t.Errorf("recommendation = %+v", p.Recommendation)
	}
	var answers map[string]any
	if err := p.Answers.Decode(&answers); err != nil || answers["slo_target"] != 99.999 {
		t.Errorf("answers = %v (%v)", answers, err)
	}
	if _, err := ReadPlan(filepath.Join("testdata", "plan", "does-not-exist.yaml")); err == nil || !strings.HasPrefix(err.Error(), "read plan: ") {
		t.Errorf("missing file: %v", err)
	}
}

func TestValidateBuiltPlan(t *testing.T) {
	p := &Plan{Version: 1, Topology: Topology{Kind: TopologyStreaming, Engine: EnginePhysical, Nodes: []PlanNode{
		{Name: "a", Role: RolePrimary, DSN: "host=x"}, {Name: "b", Role: RolePrimary, DSN: "host=y"},
	}}}
	err := p.Validate()
	if err == nil || err.Error() != "plan: topology.nodes: a streaming topology has exactly one primary, got 2" {
		t.Fatalf("err = %v", err)
	}
	if err := p.Write(&bytes.Buffer{}); err == nil {
		t.Error("Write accepted an invalid plan")
	}
	p.Topology.Nodes[1].Role = RoleStandby
	p.Answers = &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "platform"}, {Kind: yaml.ScalarNode, Value: "patroni"}}}
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "answers:\n  platform: patroni\n") {
		t.Errorf("written plan:\n%s", b.String())
	}
}

// A strategy set outside the YAML decoder (bootstrap --sequences) is
// checked like one read from a file.
func TestValidateSequences(t *testing.T) {
	p := &Plan{Version: 2, Topology: Topology{Kind: TopologyActiveActive, Engine: EngineNative, Sequences: "random", Nodes: []PlanNode{
		{Name: "a", Role: RolePeer, DSN: "host=x"}, {Name: "b", Role: RolePeer, DSN: "host=y"},
	}}}
	err := p.Validate()
	if err == nil || err.Error() != `plan: topology.sequences: unknown strategy "random" (want none, offsets, uuid)` {
		t.Fatalf("err = %v", err)
	}
	p.Topology.Sequences = SequencesUUID
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

func FuzzParsePlan(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "plan", "*.yaml"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePlan("fuzz.yaml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		var b bytes.Buffer
		if err := p.Write(&b); err != nil {
			t.Fatalf("valid plan cannot be written: %v", err)
		}
		if _, err := ParsePlan("again.yaml", b.Bytes()); err != nil {
			t.Fatalf("re-parse: %v\n%s", err, b.String())
		}
	})
}

// The header of a written plan asks to fill in placeholders only when
// there are some (a mesh.yaml from bootstrap has none).
func TestPlanHeader(t *testing.T) {
	p, err := ReadPlan(filepath.Join("testdata", "plan", "good-active-active.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "Fill in every <placeholder> DSN") {
		t.Errorf("plan with placeholders:\n%s", b.String())
	}
	for i := range p.Topology.Nodes {
		p.Topology.Nodes[i].DSN = fmt.Sprintf("postgres://aadvisor@127.0.0.1:%d/app", 5432+i)
	}
	b.Reset()
	if err := p.Write(&b); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "placeholder") || !strings.Contains(b.String(), "mesh status --plan") {
		t.Errorf("plan without placeholders:\n%s", b.String())
	}
}
