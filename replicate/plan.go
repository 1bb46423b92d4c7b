package replicate

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5/pgconn"
	"go.yaml.in/yaml/v3"
)

// PlanVersion is the plan file format version this package writes. It
// reads every version in PlanVersions: version 1 is version 2 without
// topology.write_modes.
const PlanVersion = 2

// PlanVersions are the plan file versions this package reads.
var PlanVersions = []int{1, 2}

// Table write modes (topology.write_modes).
const (
	WriteAnywhere   = "anywhere"    // any node may write any row
	WriteHome       = "home-routed" // each row is written on one node only
	WriteLocal      = "local"       // node-local data: left out of replication
	WriteInsertOnly = "insert-only" // rows are inserted on any node, never updated or deleted
)

// Topology kinds.
const (
	TopologyStreaming    = "streaming"     // one primary, physical standbys
	TopologyPartitioned  = "partitioned"   // each node owns a slice of rows (owner column)
	TopologyActiveActive = "active-active" // every node writes, full mesh
	TopologyHubSpoke     = "hub-and-spoke" // sites send their own rows to a hub, the hub sends shared tables back (plan_hub.go)
)

// Engines.
const (
	EnginePhysical  = "physical"  // streaming replication
	EngineNative    = "native"    // PostgreSQL logical replication (origin = none for a mesh, PG16+)
	EnginePglogical = "pglogical" // the pglogical extension
)

// Node roles.
const (
	RolePrimary = "primary"
	RoleStandby = "standby"
	RolePeer    = "peer"
	RoleOwner   = "owner"
	RoleHub     = "hub"  // hub-and-spoke: the one node every site replicates with
	RoleSite    = "site" // hub-and-spoke: writes its own rows, reads the shared tables
)

// Sequence strategies for multi-writer topologies.
const (
	SequencesOffsets = "offsets" // each node's sequences step by N from a distinct start
	SequencesUUID    = "uuid"    // keys are UUIDs (v7); sequences are left alone
	SequencesNone    = "none"    // the plan does not touch sequences
)

var (
	kinds      = []string{TopologyActiveActive, TopologyHubSpoke, TopologyPartitioned, TopologyStreaming}
	writeModes = []string{WriteAnywhere, WriteHome, WriteInsertOnly, WriteLocal}
	engines    = []string{EngineNative, EnginePglogical, EnginePhysical}
	roles      = []string{RoleHub, RoleOwner, RolePeer, RolePrimary, RoleSite, RoleStandby}
	sequences  = []string{SequencesNone, SequencesOffsets, SequencesUUID}
	nameRE     = regexp.MustCompile(`^[a-z][a-z0-9_]{0,62}$`)
	tableRE    = regexp.MustCompile(`^(\*|[A-Za-z_][A-Za-z0-9_$]*\.(\*|[A-Za-z_][A-Za-z0-9_$]*))$`)
	// qualifiedTableRE is one table, schema-qualified (identifiers as
	// PostgreSQL prints them unquoted, or double-quoted).
	qualifiedTableRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")\.([A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")$`)
	identRE          = regexp.MustCompile(`^[a-z_][a-z0-9_$]{0,62}$`)
	placeholRE       = regexp.MustCompile(`<[^>]*>`)
)

// Plan is what `aadvisor ask`/`recommend` save and `aadvisor bootstrap`
// consumes: the answers, a summary of the recommendation, and a topology
// skeleton. The format is documented in docs/plan.md.
type Plan struct {
	Version        int                 `yaml:"version"`
	GeneratedBy    string              `yaml:"generated_by,omitempty"`
	Recommendation *PlanRecommendation `yaml:"recommendation,omitempty"`
	Topology       Topology            `yaml:"topology"`
	// Answers are the questionnaire answers, kept as YAML; their schema belongs
	// to package assess/decide, which validates them when read back.
	Answers *yaml.Node `yaml:"answers,omitempty"`

	file string
}

// PlanRecommendation summarises the recommendation that produced the plan.
type PlanRecommendation struct {
	Design   string   `yaml:"design"`
	Family   string   `yaml:"family"`
	Title    string   `yaml:"title,omitempty"`
	Engine   string   `yaml:"engine,omitempty"`
	HA       []string `yaml:"ha,omitempty"`
	Reasons  []string `yaml:"reasons,omitempty"`
	Blockers []string `yaml:"blockers,omitempty"`
	Also     []string `yaml:"also,omitempty"`
}

// Topology is the skeleton bootstrap builds.
type Topology struct {
	Kind        string     `yaml:"kind"`
	Engine      string     `yaml:"engine"`
	Database    string     `yaml:"database,omitempty"`
	Nodes       []PlanNode `yaml:"nodes"`
	Tables      []string   `yaml:"tables,omitempty"`
	OwnerColumn string     `yaml:"owner_column,omitempty"`
	Sequences   string     `yaml:"sequences,omitempty"`
	// WriteModes says how each table may be written (version 2): from the
	// assessment's per-table advice and the forecast's hot rows.
	WriteModes []WriteMode `yaml:"write_modes,omitempty"`
	// HA is the automatic failover of a streaming topology (plan_ha.go).
	HA *HA `yaml:"ha,omitempty"`
	// Hub, SharedTables and Offline belong to a hub-and-spoke topology
	// (plan_hub.go): the hub node, the tables only the hub writes (besides
	// those without the owner column), and the offline window.
	Hub          string   `yaml:"hub,omitempty"`
	SharedTables []string `yaml:"shared_tables,omitempty"`
	Offline      *Offline `yaml:"offline,omitempty"`
}

// SequenceStrategy is what bootstrap does with the sequences: the plan's
// strategy, offsets by default for multi-writer topologies, none for a
// streaming one (physical replication carries sequences itself).
func (t Topology) SequenceStrategy() string {
	if t.Kind == TopologyStreaming || t.Kind == TopologyHubSpoke && t.Sequences == "" {
		return SequencesNone
	}
	if t.Sequences == "" {
		return SequencesOffsets
	}
	return t.Sequences
}

// WriteMode is how one table may be written in a logical topology.
type WriteMode struct {
	Table string `yaml:"table"`
	Mode  string `yaml:"mode"` // anywhere, home-routed, local, insert-only
	// Home is the node that takes every write of a home-routed table with no
	// owner column; empty: each row on the node that owns its owner value.
	Home string   `yaml:"home,omitempty"`
	Why  []string `yaml:"why,omitempty"`
}

// PlanNode is one PostgreSQL node of the topology.
type PlanNode struct {
	Name   string   `yaml:"name"`
	Region string   `yaml:"region,omitempty"`
	Role   string   `yaml:"role"`
	DSN    string   `yaml:"dsn"`
	Owns   []string `yaml:"owns,omitempty"` // partitioned: owner-column values this node writes
	// API is the node's Patroni REST API (topology.ha), e.g. http://10.0.0.1:8008.
	API string `yaml:"api,omitempty"`
}

// PlanError is a problem in a plan file, with its place.
type PlanError struct {
	File  string
	Line  int
	Field string // dotted path, e.g. topology.nodes[1].dsn
	Msg   string
}

func (e *PlanError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ReadPlan reads and validates a plan file.
func ReadPlan(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	return ParsePlan(path, data)
}

// ParsePlan parses and validates a plan. name is used in error messages.
func ParsePlan(name string, data []byte) (*Plan, error) {
	perr := func(line int, field, format string, a ...any) error {
		return &PlanError{File: name, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, perr(0, "", "empty file (want a plan with version: %d; see docs/plan.md)", PlanVersion)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlErr(err)
		return nil, perr(line, "", "invalid YAML: %s", msg)
	}
	if len(doc.Content) == 0 {
		return nil, perr(0, "", "empty document (want a plan with version: %d)", PlanVersion)
	}
	p := &Plan{file: name}
	d := &planDecoder{file: name}
	if err := d.plan(doc.Content[0], p); err != nil {
		return nil, err
	}
	if err := p.validate(d.lines); err != nil {
		return nil, err
	}
	return p, nil
}

func yamlErr(err error) (int, string) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ": "); ok {
			if l, err := strconv.Atoi(n); err == nil {
				return l, after
			}
		}
	}
	return 0, msg
}

// planDecoder walks the YAML tree, remembering the line of every field.
type planDecoder struct {
	file  string
	lines map[string]int
}

func (d *planDecoder) err(n *yaml.Node, field, format string, a ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &PlanError{File: d.file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

// fields walks a mapping and calls set for each known key; unknown and
// repeated keys are errors.
func (d *planDecoder) fields(n *yaml.Node, path string, known []string, set func(key string, v *yaml.Node, field string) error) error {
	if n.Kind != yaml.MappingNode {
		return d.err(n, path, "want a mapping, got %s", describe(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		field := k.Value
		if path != "" {
			field = path + "." + k.Value
		}
		if !slices.Contains(known, k.Value) {
			msg := fmt.Sprintf("unknown field (want %s)", strings.Join(known, ", "))
			if s := inspect.Closest(k.Value, known, 3); s != "" {
				msg = fmt.Sprintf("unknown field (did you mean %s?)", s)
			}
			return d.err(k, field, "%s", msg)
		}
		if seen[k.Value] {
			return d.err(k, field, "given twice")
		}
		seen[k.Value] = true
		if d.lines == nil {
			d.lines = map[string]int{}
		}
		d.lines[field] = k.Line
		if err := set(k.Value, v, field); err != nil {
			return err
		}
	}
	return nil
}

func (d *planDecoder) str(v *yaml.Node, field string) (string, error) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		return "", d.err(v, field, "want a single value, got %s", describe(v))
	}
	return strings.TrimSpace(v.Value), nil
}

func (d *planDecoder) strs(v *yaml.Node, field string) ([]string, error) {
	if v.Kind == yaml.ScalarNode && v.Tag != "!!null" {
		return []string{strings.TrimSpace(v.Value)}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, d.err(v, field, "want a list, got %s", describe(v))
	}
	out := make([]string, 0, len(v.Content))
	for i, it := range v.Content {
		s, err := d.str(it, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (d *planDecoder) plan(root *yaml.Node, p *Plan) error {
	hasVersion, hasTopology := false, false
	err := d.fields(root, "", []string{"version", "generated_by", "recommendation", "topology", "answers"}, func(k string, v *yaml.Node, f string) error {
		switch k {
		case "version":
			s, err := d.str(v, f)
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(s)
			if err != nil {
				return d.err(v, f, "want a number, got %q", s)
			}
			if !knownVersion(n) {
				return d.err(v, f, "unsupported version %d (want %s)", n, versionList())
			}
			p.Version, hasVersion = n, true
		case "generated_by":
			s, err := d.str(v, f)
			p.GeneratedBy = s
			return err
		case "recommendation":
			p.Recommendation = &PlanRecommendation{}
			return d.recommendation(v, f, p.Recommendation)
		case "topology":
			hasTopology = true
			return d.topology(v, f, &p.Topology)
		case "answers":
			if v.Kind != yaml.MappingNode {
				return d.err(v, f, "want a mapping of answers, got %s", describe(v))
			}
			p.Answers = v
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !hasVersion {
		return d.err(root, "version", "missing (want version: %d)", PlanVersion)
	}
	if !hasTopology {
		return d.err(root, "topology", "missing")
	}
	return nil
}

func (d *planDecoder) recommendation(n *yaml.Node, path string, r *PlanRecommendation) error {
	return d.fields(n, path, []string{"design", "family", "title", "engine", "ha", "reasons", "blockers", "also"}, func(k string, v *yaml.Node, f string) error {
		var err error
		switch k {
		case "design":
			r.Design, err = d.str(v, f)
		case "family":
			r.Family, err = d.str(v, f)
		case "title":
			r.Title, err = d.str(v, f)
		case "engine":
			r.Engine, err = d.str(v, f)
		case "ha":
			r.HA, err = d.strs(v, f)
		case "reasons":
			r.Reasons, err = d.strs(v, f)
		case "blockers":
			r.Blockers, err = d.strs(v, f)
		case "also":
			r.Also, err = d.strs(v, f)
		}
		return err
	})
}

func (d *planDecoder) topology(n *yaml.Node, path string, t *Topology) error {
	return d.fields(n, path, []string{"kind", "engine", "database", "nodes", "tables", "owner_column", "sequences", "write_modes", "ha", "hub", "shared_tables", "offline"}, func(k string, v *yaml.Node, f string) error {
		var err error
		switch k {
		case "kind":
			t.Kind, err = d.str(v, f)
			if err == nil && !slices.Contains(kinds, t.Kind) {
				err = d.err(v, f, "unknown kind %q (want %s)", t.Kind, strings.Join(kinds, ", "))
			}
		case "engine":
			t.Engine, err = d.str(v, f)
			if err == nil && !slices.Contains(engines, t.Engine) {
				err = d.err(v, f, "unknown engine %q (want %s)", t.Engine, strings.Join(engines, ", "))
			}
		case "database":
			t.Database, err = d.str(v, f)
		case "tables":
			t.Tables, err = d.strs(v, f)
		case "owner_column":
			t.OwnerColumn, err = d.str(v, f)
		case "sequences":
			t.Sequences, err = d.str(v, f)
			if err == nil && !slices.Contains(sequences, t.Sequences) {
				err = d.err(v, f, "unknown strategy %q (want %s)", t.Sequences, strings.Join(sequences, ", "))
			}
		case "hub":
			t.Hub, err = d.str(v, f)
		case "shared_tables":
			t.SharedTables, err = d.strs(v, f)
		case "offline":
			t.Offline = &Offline{}
			return d.offline(v, f, t.Offline)
		case "write_modes":
			if v.Kind != yaml.SequenceNode {
				return d.err(v, f, "want a list of {table, mode}, got %s", describe(v))
			}
			for i, it := range v.Content {
				var wm WriteMode
				if err := d.writeMode(it, fmt.Sprintf("%s[%d]", f, i), &wm); err != nil {
					return err
				}
				t.WriteModes = append(t.WriteModes, wm)
			}
		case "ha":
			t.HA = &HA{}
			return d.ha(v, f, t.HA)
		case "nodes":
			if v.Kind != yaml.SequenceNode {
				return d.err(v, f, "want a list of nodes, got %s", describe(v))
			}
			for i, it := range v.Content {
				var pn PlanNode
				if err := d.node(it, fmt.Sprintf("%s[%d]", f, i), &pn); err != nil {
					return err
				}
				t.Nodes = append(t.Nodes, pn)
			}
		}
		return err
	})
}

func (d *planDecoder) writeMode(n *yaml.Node, path string, wm *WriteMode) error {
	if d.lines == nil {
		d.lines = map[string]int{}
	}
	d.lines[path] = n.Line
	return d.fields(n, path, []string{"table", "mode", "home", "why"}, func(k string, v *yaml.Node, f string) error {
		var err error
		switch k {
		case "table":
			wm.Table, err = d.str(v, f)
		case "mode":
			wm.Mode, err = d.str(v, f)
			if err == nil && !slices.Contains(writeModes, wm.Mode) {
				err = d.err(v, f, "unknown mode %q (want %s)", wm.Mode, strings.Join(writeModes, ", "))
			}
		case "home":
			wm.Home, err = d.str(v, f)
		case "why":
			wm.Why, err = d.strs(v, f)
		}
		return err
	})
}

func knownVersion(n int) bool {
	for _, v := range PlanVersions {
		if v == n {
			return true
		}
	}
	return false
}

func versionList() string {
	var s []string
	for _, v := range PlanVersions {
		s = append(s, strconv.Itoa(v))
	}
	return strings.Join(s, " or ")
}

func (d *planDecoder) node(n *yaml.Node, path string, pn *PlanNode) error {
	d.lines[path] = n.Line
	return d.fields(n, path, []string{"name", "region", "role", "dsn", "owns", "api"}, func(k string, v *yaml.Node, f string) error {
		var err error
		switch k {
		case "name":
			pn.Name, err = d.str(v, f)
		case "region":
			pn.Region, err = d.str(v, f)
		case "role":
			pn.Role, err = d.str(v, f)
			if err == nil && !slices.Contains(roles, pn.Role) {
				err = d.err(v, f, "unknown role %q (want %s)", pn.Role, strings.Join(roles, ", "))
			}
		case "dsn":
			pn.DSN, err = d.str(v, f)
		case "owns":
			pn.Owns, err = d.strs(v, f)
		case "api":
			pn.API, err = d.str(v, f)
		}
		return err
	})
}

// Validate checks a plan built in code (ParsePlan validates what it reads).
func (p *Plan) Validate() error { return p.validate(nil) }

// validate checks the rules that span fields; lines maps field paths to lines.
func (p *Plan) validate(lines map[string]int) error {
	file := p.file
	if file == "" {
		file = "plan"
	}
	bad := func(field, format string, a ...any) error {
		line := lines[field]
		if line == 0 {
			// fall back to the nearest enclosing field
			for f := field; line == 0 && f != ""; {
				if i := strings.LastIndexAny(f, ".["); i > 0 {
					f = f[:i]
				} else {
					f = ""
				}
				line = lines[f]
			}
		}
		return &PlanError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if !knownVersion(p.Version) {
		return bad("version", "unsupported version %d (want %s)", p.Version, versionList())
	}
	t := p.Topology
	if t.Kind == "" {
		return bad("topology.kind", "missing (want %s)", strings.Join(kinds, ", "))
	}
	if !slices.Contains(kinds, t.Kind) {
		return bad("topology.kind", "unknown kind %q (want %s)", t.Kind, strings.Join(kinds, ", "))
	}
	if t.Engine == "" {
		return bad("topology.engine", "missing (want %s)", strings.Join(engines, ", "))
	}
	if !slices.Contains(engines, t.Engine) {
		return bad("topology.engine", "unknown engine %q (want %s)", t.Engine, strings.Join(engines, ", "))
	}
	if t.Kind == TopologyStreaming && t.Engine != EnginePhysical {
		return bad("topology.engine", "a streaming topology uses engine physical, not %s", t.Engine)
	}
	if t.Kind != TopologyStreaming && t.Engine == EnginePhysical {
		return bad("topology.engine", "kind %s needs logical replication (native or pglogical), not physical", t.Kind)
	}
	if t.Database != "" && !identRE.MatchString(t.Database) {
		return bad("topology.database", "%q is not a plain database name (lower-case letters, digits, _)", t.Database)
	}
	if len(t.Nodes) < 2 {
		return bad("topology.nodes", "want at least 2 nodes, got %d", len(t.Nodes))
	}
	names := map[string]int{}
	owned := map[string]string{}
	primaries := 0
	for i, n := range t.Nodes {
		f := fmt.Sprintf("topology.nodes[%d]", i)
		if n.Name == "" {
			return bad(f+".name", "missing")
		}
		if !nameRE.MatchString(n.Name) {
			return bad(f+".name", "%q: want lower-case letters, digits and _ (it names slots and subscriptions)", n.Name)
		}
		if j, dup := names[n.Name]; dup {
			return bad(f+".name", "%q already names nodes[%d]", n.Name, j)
		}
		names[n.Name] = i
		if n.DSN == "" {
			return bad(f+".dsn", "missing (a connection string, e.g. postgres://user@host:5432/db)")
		}
		if !placeholRE.MatchString(n.DSN) {
			if _, err := pgconn.ParseConfig(n.DSN); err != nil {
				return bad(f+".dsn", "does not parse: %s", dsnParseProblem(err))
			}
		}
		want := map[string][]string{
			TopologyStreaming:    {RolePrimary, RoleStandby},
			TopologyActiveActive: {RolePeer},
			TopologyPartitioned:  {RoleOwner},
			TopologyHubSpoke:     {RoleHub, RoleSite},
		}[t.Kind]
		if n.Role == "" {
			return bad(f+".role", "missing (want %s)", strings.Join(want, " or "))
		}
		if !slices.Contains(want, n.Role) {
			return bad(f+".role", "role %q does not fit kind %s (want %s)", n.Role, t.Kind, strings.Join(want, " or "))
		}
		if n.Role == RolePrimary {
			primaries++
		}
		switch {
		case (t.Kind == TopologyPartitioned || n.Role == RoleSite) && len(n.Owns) == 0:
			return bad(f+".owns", "missing: list the %s values this node writes", orDefault(t.OwnerColumn, "owner column"))
		case t.Kind != TopologyPartitioned && t.Kind != TopologyHubSpoke && len(n.Owns) > 0:
			return bad(f+".owns", "only a partitioned or hub-and-spoke topology assigns owners")
		}
		for _, o := range n.Owns {
			if prev, dup := owned[o]; dup {
				return bad(f+".owns", "%q is already owned by %s: each owner has one home", o, prev)
			}
			owned[o] = n.Name
		}
	}
	if t.Kind == TopologyStreaming && primaries != 1 {
		return bad("topology.nodes", "a streaming topology has exactly one primary, got %d", primaries)
	}
	if t.Kind == TopologyPartitioned || t.Kind == TopologyHubSpoke {
		if t.OwnerColumn == "" {
			return bad("topology.owner_column", "missing: a %s topology needs the column that names each row's owner", t.Kind)
		}
	}
	if t.OwnerColumn != "" && !identRE.MatchString(t.OwnerColumn) {
		return bad("topology.owner_column", "%q is not a plain column name", t.OwnerColumn)
	}
	for i, tb := range t.Tables {
		if !tableRE.MatchString(tb) {
			return bad(fmt.Sprintf("topology.tables[%d]", i), "%q: want schema.table, schema.* or *", tb)
		}
	}
	if t.Sequences != "" && !slices.Contains(sequences, t.Sequences) {
		return bad("topology.sequences", "unknown strategy %q (want %s)", t.Sequences, strings.Join(sequences, ", "))
	}
	if t.Kind == TopologyStreaming && t.Sequences != "" && t.Sequences != SequencesNone {
		return bad("topology.sequences", "a streaming topology replicates sequences itself; want none or leave it out")
	}
	if err := p.validateWriteModes(bad); err != nil {
		return err
	}
	if err := p.validateHA(bad); err != nil {
		return err
	}
	return p.validateHub(bad)
}

// validateWriteModes checks topology.write_modes: a version 2 field of
// logical topologies, one entry per table.
func (p *Plan) validateWriteModes(bad func(field, format string, a ...any) error) error {
	t := p.Topology
	if len(t.WriteModes) == 0 {
		return nil
	}
	if p.Version < 2 {
		return bad("topology.write_modes", "needs version: 2 (version %d plans have no write modes)", p.Version)
	}
	if t.Kind == TopologyStreaming {
		return bad("topology.write_modes", "a streaming topology has one writer: write modes apply to partitioned and active-active topologies")
	}
	seen := map[string]int{}
	for i, wm := range t.WriteModes {
		f := fmt.Sprintf("topology.write_modes[%d]", i)
		if wm.Table == "" {
			return bad(f+".table", "missing (schema.table)")
		}
		if !qualifiedTableRE.MatchString(wm.Table) {
			return bad(f+".table", "%q: want schema.table", wm.Table)
		}
		if j, dup := seen[wm.Table]; dup {
			return bad(f+".table", "%s already has a mode in write_modes[%d]", wm.Table, j)
		}
		seen[wm.Table] = i
		if wm.Mode == "" {
			return bad(f+".mode", "missing (want %s)", strings.Join(writeModes, ", "))
		}
		if !slices.Contains(writeModes, wm.Mode) {
			return bad(f+".mode", "unknown mode %q (want %s)", wm.Mode, strings.Join(writeModes, ", "))
		}
		if wm.Home == "" {
			continue
		}
		if wm.Mode != WriteHome {
			return bad(f+".home", "only a home-routed table has a home node")
		}
		found := false
		for _, n := range t.Nodes {
			found = found || n.Name == wm.Home
		}
		if !found {
			return bad(f+".home", "%q is not a node of the topology", wm.Home)
		}
	}
	return nil
}

// ValidTableName reports whether s names one table as write_modes takes it:
// schema.table, each part a plain identifier or double-quoted.
func ValidTableName(s string) bool { return qualifiedTableRE.MatchString(s) }

// ExcludedTables are the tables kept node-local (write mode local), as
// schema.name without quotes: bootstrap leaves them out of replication and
// verify does not compare them.
func (t Topology) ExcludedTables() map[string]bool {
	out := map[string]bool{}
	for _, wm := range t.WriteModes {
		if wm.Mode == WriteLocal {
			out[rawTableName(wm.Table)] = true
		}
	}
	return out
}

// rawTableName turns a schema-qualified name, quoted where PostgreSQL
// quotes it, into schema.name as the catalog spells it.
func rawTableName(s string) string {
	var parts []string
	var b strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' && quoted && i+1 < len(s) && s[i+1] == '"':
			b.WriteByte('"')
			i++
		case c == '"':
			quoted = !quoted
		case c == '.' && !quoted:
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	return strings.Join(append(parts, b.String()), ".")
}

// Route is the rule writers follow for one table.
type Route struct {
	Table string `json:"table"`
	Mode  string `json:"mode"`
	Rule  string `json:"rule"`
}

// Routing says how applications must write each table of the plan's
// write modes: the home-routing rule for home-routed tables, and what the
// other modes allow.
func (t Topology) Routing() []Route {
	var out []Route
	for _, wm := range t.WriteModes {
		r := Route{Table: wm.Table, Mode: wm.Mode}
		switch wm.Mode {
		case WriteHome:
			switch {
			case wm.Home != "":
				r.Rule = fmt.Sprintf("write only on node %s (its home); on losing %s, move the home to one surviving node, never to two", wm.Home, wm.Home)
			case t.OwnerColumn != "":
				r.Rule = fmt.Sprintf("write each row only on the node that owns its %s value", t.OwnerColumn)
			default:
				r.Rule = "write each row only on its owner's home node (no owner column in the plan: name one)"
			}
		case WriteLocal:
			r.Rule = "node-local: not replicated; each node keeps its own rows"
		case WriteInsertOnly:
			r.Rule = "insert on any node with keys that cannot collide; never update or delete"
		default:
			r.Rule = "any node may write any row"
		}
		out = append(out, r)
	}
	return out
}

// dsnParseProblem is what is wrong with a connection string that does not
// parse, without the string itself (the driver's error quotes it, and its
// password hiding is best effort).
func dsnParseProblem(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "`: "); strings.HasPrefix(msg, "cannot parse `") && i >= 0 {
		msg = msg[i+len("`: "):]
	}
	return inspect.Redact(msg)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// Placeholders lists nodes whose DSN still holds a <placeholder> to fill in.
func (p *Plan) Placeholders() []string {
	var out []string
	for _, n := range p.Topology.Nodes {
		if placeholRE.MatchString(n.DSN) {
			out = append(out, n.Name)
		}
	}
	return out
}

// Write encodes the plan as YAML with a header comment.
func (p *Plan) Write(w io.Writer) error {
	if err := p.Validate(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	var b bytes.Buffer
	if len(p.Placeholders()) > 0 {
		b.WriteString("# aadvisor plan (format: docs/plan.md). Fill in every <placeholder> DSN, then:\n#   aadvisor bootstrap --plan THIS_FILE --dry-run\n")
	} else {
		b.WriteString("# aadvisor plan (format: docs/plan.md). Build it, or look at the mesh it describes:\n#   aadvisor bootstrap --plan THIS_FILE --dry-run; aadvisor mesh status --plan THIS_FILE\n")
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}

// WriteFile writes the plan to path (0644).
func (p *Plan) WriteFile(path string) error {
	var b bytes.Buffer
	if err := p.Write(&b); err != nil {
		return err
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
