package decide

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"go.yaml.in/yaml/v3"
)

// RegionShare is one entry of write_regions.
type RegionShare struct {
	Region string  `json:"region" yaml:"region"`
	Share  float64 `json:"share" yaml:"share"` // percent of all writes
}

// Answers holds the answers to the question bank. Values are typed by the
// question's Kind: float64, string, bool, []string, []RegionShare or
// map[string]float64. Unset questions fall back to their defaults.
type Answers struct {
	values map[string]any
	lines  map[string]int // where each key was read, for error messages
	file   string
}

// NewAnswers returns an empty set of answers.
func NewAnswers() Answers {
	return Answers{values: map[string]any{}, lines: map[string]int{}}
}

// Problem is one thing wrong with an input file.
type Problem struct {
	Line int    // 0 if not tied to a line
	Key  string // the question id or field path
	Msg  string
}

// InputError lists the problems found in one input file.
type InputError struct {
	File     string
	Problems []Problem
}

func (e *InputError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		var b strings.Builder
		b.WriteString(e.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d", p.Line)
		}
		b.WriteString(": ")
		if p.Key != "" {
			b.WriteString(cut(p.Key) + ": ")
		}
		b.WriteString(p.Msg)
		parts[i] = b.String()
	}
	return strings.Join(parts, "; ")
}

// maxQuoted is how many characters of a value an error message shows.
const maxQuoted = 80

// cut shortens s to maxQuoted characters for a message, saying how long
// it was: a 5 MB answer is not echoed whole.
func cut(s string) string {
	r := []rune(s)
	if len(r) <= maxQuoted {
		return s
	}
	return fmt.Sprintf("%s… (%d characters)", string(r[:maxQuoted]), len(r))
}

// quoted quotes a value for a message, cut as cut does.
func quoted(s string) string {
	r := []rune(s)
	if len(r) <= maxQuoted {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s… (%d characters)", strconv.Quote(string(r[:maxQuoted])), len(r))
}

// ReadAnswers reads and validates an answers file. Missing required answers
// are not an error here; see Answers.Complete.
func ReadAnswers(path string) (Answers, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Answers{}, fmt.Errorf("read answers: %w", err)
	}
	return ParseAnswers(path, data)
}

// ParseAnswers parses an answers file. Unknown keys, values of the wrong type
// and values out of range are errors naming name:line and the key.
func ParseAnswers(name string, data []byte) (Answers, error) {
	a := NewAnswers()
	a.file = name
	if len(bytes.TrimSpace(data)) == 0 {
		return a, &InputError{File: name, Problems: []Problem{{Msg: "empty file (want a mapping of question ids to answers, e.g. \"slo_target: 99.99\")"}}}
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return a, &InputError{File: name, Problems: []Problem{yamlProblem(err)}}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return a, &InputError{File: name, Problems: []Problem{{Msg: "empty document"}}}
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return a, &InputError{File: name, Problems: []Problem{{Line: root.Line, Msg: "want a mapping of question ids to answers, got " + nodeKind(root)}}}
	}
	var probs []Problem
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		id := k.Value
		if _, dup := a.lines[id]; dup {
			probs = append(probs, Problem{Line: k.Line, Key: id, Msg: fmt.Sprintf("answered twice (first on line %d)", a.lines[id])})
			continue
		}
		a.lines[id] = k.Line
		q, ok := Lookup(id)
		if !ok {
			msg := "unknown question"
			if s := suggest(id); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			probs = append(probs, Problem{Line: k.Line, Key: id, Msg: msg})
			continue
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // explicit "no answer"
		}
		val, line, err := decodeValue(q, v)
		if err != nil {
			probs = append(probs, Problem{Line: line, Key: id, Msg: err.Error()})
			continue
		}
		if err := checkValue(q, val); err != nil {
			probs = append(probs, Problem{Line: v.Line, Key: id, Msg: err.Error()})
			continue
		}
		a.values[id] = val
	}
	if len(probs) > 0 {
		return a, &InputError{File: name, Problems: probs}
	}
	return a, nil
}

func yamlProblem(err error) Problem {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, after
			}
		}
	}
	return Problem{Line: line, Msg: "invalid YAML: " + msg}
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return quoted(n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

// suggest returns the closest question id, if close enough to be a typo.
func suggest(id string) string {
	ids := make([]string, len(Bank))
	for i, q := range Bank {
		ids[i] = q.ID
	}
	return inspect.Closest(strings.ToLower(id), ids, 4)
}

// decodeValue turns a YAML node into the Go value for q's kind. The returned
// line points at the offending node.
func decodeValue(q Question, v *yaml.Node) (any, int, error) {
	scalar := func(n *yaml.Node) (string, error) {
		if n.Kind != yaml.ScalarNode {
			return "", fmt.Errorf("want a single value, got %s", nodeKind(n))
		}
		return n.Value, nil
	}
	switch q.Kind {
	case KindNumber:
		s, err := scalar(v)
		if err != nil {
			return nil, v.Line, err
		}
		f, err := parseNumber(s)
		return f, v.Line, err
	case KindSelect, KindText:
		s, err := scalar(v)
		return strings.TrimSpace(s), v.Line, err
	case KindBool:
		s, err := scalar(v)
		if err != nil {
			return nil, v.Line, err
		}
		b, err := parseBool(s)
		return b, v.Line, err
	case KindMultiSelect, KindTextList:
		if v.Kind == yaml.ScalarNode {
			return splitList(v.Value), v.Line, nil
		}
		if v.Kind != yaml.SequenceNode {
			return nil, v.Line, fmt.Errorf("want a list, got %s", nodeKind(v))
		}
		out := []string{}
		for _, it := range v.Content {
			s, err := scalar(it)
			if err != nil {
				return nil, it.Line, err
			}
			s = strings.TrimSpace(s)
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out, v.Line, nil
	case KindRegions:
		return decodeRegions(v)
	case KindNumberMap:
		if v.Kind != yaml.MappingNode {
			return nil, v.Line, fmt.Errorf("want a mapping of a/b: number, got %s", nodeKind(v))
		}
		m := map[string]float64{}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			s, err := scalar(val)
			if err != nil {
				return nil, val.Line, fmt.Errorf("%s: %w", k.Value, err)
			}
			f, err := parseNumber(s)
			if err != nil {
				return nil, val.Line, fmt.Errorf("%s: %w", k.Value, err)
			}
			m[pairKey(k.Value)] = f
		}
		return m, v.Line, nil
	}
	return nil, v.Line, fmt.Errorf("unsupported question kind %s", q.Kind)
}

func decodeRegions(v *yaml.Node) (any, int, error) {
	var out []RegionShare
	switch v.Kind {
	case yaml.MappingNode: // {us-east-1: 60, eu-west-1: 40}
		for i := 0; i+1 < len(v.Content); i += 2 {
			k, val := v.Content[i], v.Content[i+1]
			if val.Kind != yaml.ScalarNode {
				return nil, val.Line, fmt.Errorf("%s: want a share in percent, got %s", k.Value, nodeKind(val))
			}
			f, err := parseNumber(val.Value)
			if err != nil {
				return nil, val.Line, fmt.Errorf("%s: %w", k.Value, err)
			}
			out = append(out, RegionShare{Region: strings.TrimSpace(k.Value), Share: f})
		}
	case yaml.SequenceNode: // [{region: us-east-1, share: 60}]
		for _, it := range v.Content {
			if it.Kind != yaml.MappingNode {
				return nil, it.Line, fmt.Errorf("want {region, share} entries, got %s", nodeKind(it))
			}
			var rs RegionShare
			hasShare := false
			for i := 0; i+1 < len(it.Content); i += 2 {
				k, val := it.Content[i], it.Content[i+1]
				if val.Kind != yaml.ScalarNode {
					return nil, val.Line, fmt.Errorf("%s: want a single value, got %s", k.Value, nodeKind(val))
				}
				switch k.Value {
				case "region":
					rs.Region = strings.TrimSpace(val.Value)
				case "share":
					f, err := parseNumber(val.Value)
					if err != nil {
						return nil, val.Line, fmt.Errorf("share: %w", err)
					}
					rs.Share, hasShare = f, true
				default:
					return nil, k.Line, fmt.Errorf("unknown field %s (want region, share)", quoted(k.Value))
				}
			}
			if rs.Region == "" {
				return nil, it.Line, errors.New("entry without region")
			}
			if !hasShare {
				return nil, it.Line, fmt.Errorf("region %s: missing share", rs.Region)
			}
			out = append(out, rs)
		}
	case yaml.ScalarNode: // "us-east-1=60, eu-west-1=40" or a single region
		rs, err := parseRegions(v.Value)
		return rs, v.Line, err
	default:
		return nil, v.Line, fmt.Errorf("want a list of {region, share}, got %s", nodeKind(v))
	}
	for _, r := range out {
		if r.Share < 0 || r.Share > 100 {
			return nil, v.Line, fmt.Errorf("region %s: share %g out of range [0, 100]", r.Region, r.Share)
		}
	}
	return out, v.Line, nil
}

// parseRegions parses "us-east-1=60, eu-west-1=40"; a lone region gets 100%.
func parseRegions(s string) ([]RegionShare, error) {
	var out []RegionShare
	items := splitList(s)
	for _, it := range items {
		name, share, ok := strings.Cut(it, "=")
		if !ok {
			name, share, ok = strings.Cut(it, ":")
		}
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, fmt.Errorf("empty region in %s", quoted(s))
		}
		f := 100.0
		if ok {
			var err error
			if f, err = parseNumber(strings.TrimSpace(share)); err != nil {
				return nil, fmt.Errorf("region %s: %w", name, err)
			}
		} else if len(items) > 1 {
			return nil, fmt.Errorf("region %s: missing share (write region=percent)", name)
		}
		if f < 0 || f > 100 {
			return nil, fmt.Errorf("region %s: share %g out of range [0, 100]", name, f)
		}
		out = append(out, RegionShare{Region: name, Share: f})
	}
	return out, nil
}

func parseNumber(s string) (float64, error) {
	t := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	t = strings.ReplaceAll(t, "_", "")
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("want a number, got %s", quoted(s))
	}
	return f, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "y", "on":
		return true, nil
	case "false", "no", "n", "off":
		return false, nil
	}
	return false, fmt.Errorf("want yes or no, got %s", quoted(s))
}

func splitList(s string) []string {
	out := []string{}
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// pairKey normalises "b/a" and "a/b" to one key, sorted.
func pairKey(k string) string {
	a, b, ok := strings.Cut(strings.TrimSpace(k), "/")
	if !ok {
		return k
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if b < a {
		a, b = b, a
	}
	return a + "/" + b
}

// checkValue validates options, ranges and the question's own rule.
func checkValue(q Question, v any) error {
	switch q.Kind {
	case KindSelect:
		s := v.(string)
		if !slices.Contains(q.optionValues(), s) {
			return fmt.Errorf("%s is not one of %s", quoted(s), strings.Join(q.optionValues(), ", "))
		}
	case KindMultiSelect:
		l := v.([]string)
		if len(l) == 0 {
			return fmt.Errorf("pick at least one of %s", strings.Join(q.optionValues(), ", "))
		}
		for _, s := range l {
			if !slices.Contains(q.optionValues(), s) {
				return fmt.Errorf("%s is not one of %s", quoted(s), strings.Join(q.optionValues(), ", "))
			}
		}
	case KindNumber:
		f := v.(float64)
		if f < q.Min || (q.Max != 0 && f > q.Max) {
			return fmt.Errorf("%g out of range [%g, %g]", f, q.Min, q.Max)
		}
	}
	if q.Validate != nil {
		return q.Validate(v)
	}
	return nil
}

// Set validates and stores a typed value.
func (a *Answers) Set(id string, v any) error {
	q, ok := Lookup(id)
	if !ok {
		return fmt.Errorf("%s: unknown question", id)
	}
	if a.values == nil {
		a.values, a.lines = map[string]any{}, map[string]int{}
	}
	if err := checkValue(q, v); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	a.values[id] = v
	return nil
}

// SetText parses a typed-in answer (as a prompt gets it) and stores it.
// Lists are comma-separated; regions are "name=percent"; maps "a/b=value".
func (a *Answers) SetText(id, text string) error {
	q, ok := Lookup(id)
	if !ok {
		return fmt.Errorf("%s: unknown question", id)
	}
	v, err := ParseText(q, text)
	if err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	return a.Set(id, v)
}

// ParseText converts typed-in text to the Go value for q's kind.
func ParseText(q Question, text string) (any, error) {
	text = strings.TrimSpace(text)
	switch q.Kind {
	case KindNumber:
		return parseNumber(text)
	case KindBool:
		return parseBool(text)
	case KindSelect, KindText:
		return text, nil
	case KindMultiSelect, KindTextList:
		return splitList(text), nil
	case KindRegions:
		return parseRegions(text)
	case KindNumberMap:
		m := map[string]float64{}
		for _, it := range splitList(text) {
			k, val, ok := strings.Cut(it, "=")
			if !ok {
				return nil, fmt.Errorf("%s: want a/b=value", quoted(it))
			}
			f, err := parseNumber(val)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m[pairKey(k)] = f
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported question kind %s", q.Kind)
}

// Unset removes an answer (its default applies again).
func (a *Answers) Unset(id string) { delete(a.values, id) }

// IsSet reports whether the question was answered (not defaulted).
func (a Answers) IsSet(id string) bool { _, ok := a.values[id]; return ok }

// Get returns the answer or the question's default.
func (a Answers) Get(id string) (any, bool) {
	if v, ok := a.values[id]; ok {
		return v, true
	}
	if q, ok := Lookup(id); ok && q.Default != nil {
		return q.Default, true
	}
	return nil, false
}

// String returns a select/text answer ("" if unset without default).
func (a Answers) String(id string) string { v, _ := a.Get(id); s, _ := v.(string); return s }

// Number returns a number answer (0 if unset without default).
func (a Answers) Number(id string) float64 { v, _ := a.Get(id); f, _ := v.(float64); return f }

// Bool returns a yes/no answer.
func (a Answers) Bool(id string) bool { v, _ := a.Get(id); b, _ := v.(bool); return b }

// List returns a multiselect or list answer.
func (a Answers) List(id string) []string { v, _ := a.Get(id); l, _ := v.([]string); return l }

// Has reports whether a multiselect answer includes value.
func (a Answers) Has(id, value string) bool { return slices.Contains(a.List(id), value) }

// Regions returns write_regions, largest share first (ties by name).
func (a Answers) Regions() []RegionShare {
	v, _ := a.Get("write_regions")
	rs, _ := v.([]RegionShare)
	out := append([]RegionShare(nil), rs...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Share != out[j].Share {
			return out[i].Share > out[j].Share
		}
		return out[i].Region < out[j].Region
	})
	return out
}

// PrimaryRegion is primary_region, or the region with the largest share.
func (a Answers) PrimaryRegion() string {
	if s := a.String("primary_region"); s != "" {
		return s
	}
	if rs := a.Regions(); len(rs) > 0 {
		return rs[0].Region
	}
	return ""
}

// Pairs returns a regionA/regionB map answer (keys sorted within the pair).
func (a Answers) Pairs(id string) map[string]float64 {
	v, _ := a.Get(id)
	m, _ := v.(map[string]float64)
	return m
}

// Line returns the line a key was read from (0 if not from a file).
func (a Answers) Line(id string) int { return a.lines[id] }

// File returns the file the answers were read from.
func (a Answers) File() string { return a.file }

// Missing lists the required questions without an answer, in bank order.
// Questions not relevant to earlier answers are not required.
func (a Answers) Missing() []string {
	var out []string
	for _, q := range Bank {
		if !q.Required || a.IsSet(q.ID) {
			continue
		}
		if q.Ask != nil && !q.Ask(a) {
			continue
		}
		out = append(out, q.ID)
	}
	return out
}

// Complete returns one error listing every missing required answer.
func (a Answers) Complete() error {
	m := a.Missing()
	if len(m) == 0 {
		return nil
	}
	name := a.file
	if name == "" {
		name = "answers"
	}
	return &InputError{File: name, Problems: []Problem{{Msg: "missing required answers: " + strings.Join(m, ", ")}}}
}

// Map returns the explicit answers keyed by id (for JSON and plan files).
func (a Answers) Map() map[string]any {
	out := make(map[string]any, len(a.values))
	for k, v := range a.values {
		out[k] = v
	}
	return out
}

// Node returns the explicit answers as a YAML mapping in bank order, the
// same shape ParseAnswers reads.
func (a Answers) Node() *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, q := range Bank {
		v, ok := a.values[q.ID]
		if !ok {
			continue
		}
		var vn yaml.Node
		switch x := v.(type) {
		case []RegionShare:
			vn = yaml.Node{Kind: yaml.SequenceNode}
			for _, r := range x {
				item := &yaml.Node{Kind: yaml.MappingNode}
				item.Content = append(item.Content, str("region"), str(r.Region), str("share"), num(r.Share))
				vn.Content = append(vn.Content, item)
			}
		case map[string]float64:
			vn = yaml.Node{Kind: yaml.MappingNode}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				vn.Content = append(vn.Content, str(k), num(x[k]))
			}
		case []string:
			vn = yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, s := range x {
				vn.Content = append(vn.Content, str(s))
			}
		case float64:
			vn = *num(x)
		case bool:
			vn = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(x)}
		case string:
			vn = *str(x)
		}
		m.Content = append(m.Content, str(q.ID), &vn)
	}
	return m
}

// YAML renders the explicit answers as an answers file.
func (a Answers) YAML() ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(a.Node()); err != nil {
		return nil, fmt.Errorf("encode answers: %w", err)
	}
	return b.Bytes(), enc.Close()
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

func num(f float64) *yaml.Node {
	v := strconv.FormatFloat(f, 'f', -1, 64)
	tag := "!!float"
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		tag = "!!int"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v}
}

// FormatValue renders a typed value the way SetText reads it back.
func FormatValue(q Question, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case []string:
		return strings.Join(x, ", ")
	case []RegionShare:
		ps := make([]string, len(x))
		for i, r := range x {
			ps[i] = r.Region + "=" + strconv.FormatFloat(r.Share, 'f', -1, 64)
		}
		return strings.Join(ps, ", ")
	case map[string]float64:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ps := make([]string, len(keys))
		for i, k := range keys {
			ps[i] = k + "=" + strconv.FormatFloat(x[k], 'f', -1, 64)
		}
		return strings.Join(ps, ", ")
	}
	return fmt.Sprint(v)
}

// provisional are neutral stand-ins for unanswered required questions, used
// only to show a running "leaning" while the questionnaire is under way.
var provisional = map[string]any{
	"slo_target":      99.9,
	"failure_domain":  []string{DomainNode, DomainAZ},
	"rpo_region":      RPOMinute,
	"write_regions":   []RegionShare{{Region: "primary", Share: 100}},
	"write_tps_peak":  100.0,
	"partition_key":   PartitionMostly,
	"invariants":      []string{InvNone},
	"conflict_policy": PolicyRepair,
	"motivations":     []string{MotRegionLoss},
	"platform":        PlatformPatroni,
	"team":            TeamBusiness,
}

// Provisional returns a copy of a with every missing required answer filled
// by a neutral stand-in, and how many were filled. It lets an interactive
// session show where the answers lean before they are complete.
func Provisional(a Answers) (Answers, int) {
	out := NewAnswers()
	for k, v := range a.values {
		out.values[k] = v
	}
	n := 0
	for _, id := range out.Missing() {
		if v, ok := provisional[id]; ok {
			out.values[id] = v
			n++
		}
	}
	return out, n
}
