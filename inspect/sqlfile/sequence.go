package sqlfile

import (
	"math"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// seqSpec holds the options of CREATE/ALTER SEQUENCE or of an identity
// column; nil pointers are options not given.
type seqSpec struct {
	typ                         string
	inc, start, min, max, cache *int64
	noMin, noMax                bool
	cycle                       *bool
	ownedBy                     []string
	ownedNone                   bool
	name                        []string
	persistence                 inspect.Persistence
}

func seqOptions(opts []*pg_query.Node) seqSpec {
	var s seqSpec
	num := func(n *pg_query.Node) *int64 {
		var v int64
		switch {
		case n.GetInteger() != nil:
			v = int64(n.GetInteger().GetIval())
		case n.GetFloat() != nil:
			f, ok := parseInt(n.GetFloat().GetFval())
			if !ok {
				return nil
			}
			v = f
		default:
			return nil
		}
		return &v
	}
	for _, o := range opts {
		d := o.GetDefElem()
		switch d.GetDefname() {
		case "as":
			s.typ = stmt.FormatType(d.GetArg().GetTypeName(), true)
		case "increment":
			s.inc = num(d.GetArg())
		case "start":
			s.start = num(d.GetArg())
		case "minvalue":
			if s.min = num(d.GetArg()); s.min == nil {
				s.noMin = true
			}
		case "maxvalue":
			if s.max = num(d.GetArg()); s.max == nil {
				s.noMax = true
			}
		case "cache":
			s.cache = num(d.GetArg())
		case "cycle":
			b := d.GetArg().GetBoolean().GetBoolval()
			s.cycle = &b
		case "owned_by":
			s.ownedBy = stringList(d.GetArg().GetList().GetItems())
			if len(s.ownedBy) == 1 && strings.EqualFold(s.ownedBy[0], "none") {
				s.ownedBy, s.ownedNone = nil, true
			}
		case "sequence_name":
			s.name = stringList(d.GetArg().GetList().GetItems())
		case "logged":
			s.persistence = inspect.Permanent
		case "unlogged":
			s.persistence = inspect.Unlogged
		}
	}
	return s
}

func parseInt(s string) (int64, bool) {
	var v int64
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	if s == "" {
		return 0, false
	}
	for _, c := range s {
		if c < '0' || c > '9' || v > (math.MaxInt64-9)/10 {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

func typeBounds(typ string) (int64, int64) {
	switch typ {
	case "smallint":
		return math.MinInt16, math.MaxInt16
	case "integer":
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// apply sets the options on seq. With create, options not given take
// PostgreSQL's defaults (which depend on the type and the direction).
func (s seqSpec) apply(seq *inspect.Sequence, create bool) {
	oldLo, oldHi := typeBounds(seq.Type)
	if s.typ != "" {
		seq.Type = s.typ
	}
	if s.inc != nil {
		seq.Increment = *s.inc
	}
	if seq.Increment == 0 {
		seq.Increment = 1
	}
	lo, hi := typeBounds(seq.Type)
	switch {
	case s.min != nil:
		seq.Min = *s.min
	case create || s.noMin || (s.typ != "" && (seq.Min == oldLo || seq.Min == 1)):
		seq.Min = 1
		if seq.Increment < 0 {
			seq.Min = lo
		}
	}
	switch {
	case s.max != nil:
		seq.Max = *s.max
	case create || s.noMax || (s.typ != "" && (seq.Max == oldHi || seq.Max == -1)):
		seq.Max = hi
		if seq.Increment < 0 {
			seq.Max = -1
		}
	}
	switch {
	case s.start != nil:
		seq.Start = *s.start
	case create:
		seq.Start = seq.Min
		if seq.Increment < 0 {
			seq.Start = seq.Max
		}
	}
	if s.cache != nil {
		seq.Cache = *s.cache
	}
	if seq.Cache == 0 {
		seq.Cache = 1
	}
	if s.cycle != nil {
		seq.Cycle = *s.cycle
	}
	if s.persistence != "" {
		seq.Persistence = s.persistence
	}
}

// newSequence registers a sequence of the given type with default
// options.
func (r *schemaReader) newSequence(name qname, typ string, pos inspect.Position) *inspect.Sequence {
	seq := &inspect.Sequence{Schema: name.schema, Name: name.name, Type: typ, Persistence: inspect.Permanent, Pos: pos}
	seqSpec{}.apply(seq, true)
	r.sequences[name] = seq
	r.relNames[name] = true
	r.db.Sequences = append(r.db.Sequences, seq)
	return seq
}

func (r *schemaReader) createSequence(cs *pg_query.CreateSeqStmt) {
	rv := cs.GetSequence()
	name := qname{r.creationSchema(rv), rv.GetRelname()}
	if r.relNames[name] {
		if !cs.GetIfNotExists() {
			r.errorf(rv.GetLocation(), "relation "+inspect.QuoteQualified(name.schema, name.name)+" is defined twice")
		}
		return
	}
	spec := seqOptions(cs.GetOptions())
	typ := spec.typ
	if typ == "" {
		typ = "bigint"
	}
	seq := r.newSequence(name, typ, r.pos(rv.GetLocation()))
	seq.Persistence = persistence(rv.GetRelpersistence())
	spec.apply(seq, true)
	r.ownedBy(seq, spec)
}

func (r *schemaReader) alterSequence(as *pg_query.AlterSeqStmt) {
	seq := r.sequence(as.GetSequence())
	if seq == nil {
		if !as.GetMissingOk() {
			r.errorf(as.GetSequence().GetLocation(), "sequence "+rangeVarText(as.GetSequence())+" is not defined in the schema input")
		}
		return
	}
	spec := seqOptions(as.GetOptions())
	spec.apply(seq, false)
	r.ownedBy(seq, spec)
}

// ownedBy applies OWNED BY table.column (or NONE).
func (r *schemaReader) ownedBy(seq *inspect.Sequence, spec seqSpec) {
	switch {
	case spec.ownedNone:
		seq.OwnedBy = ""
	case len(spec.ownedBy) >= 2:
		names := spec.ownedBy
		rv := &pg_query.RangeVar{Relname: names[len(names)-2]}
		if len(names) >= 3 {
			rv.Schemaname = names[len(names)-3]
		}
		seq.OwnedBy = r.refName(rv) + "." + names[len(names)-1]
	}
}

// alterSequenceCmds applies ALTER TABLE/SEQUENCE commands that name a
// sequence: OWNER TO, SET LOGGED/UNLOGGED.
func (r *schemaReader) alterSequenceCmds(seq *inspect.Sequence, cmds []*pg_query.Node) {
	for _, n := range cmds {
		cmd := n.GetAlterTableCmd()
		switch cmd.GetSubtype() {
		case pg_query.AlterTableType_AT_ChangeOwner:
			r.addRole(cmd.GetNewowner().GetRolename())
		case pg_query.AlterTableType_AT_SetLogged:
			seq.Persistence = inspect.Permanent
		case pg_query.AlterTableType_AT_SetUnLogged:
			seq.Persistence = inspect.Unlogged
		}
	}
}
