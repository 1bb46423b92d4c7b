package stmt

import (
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// A small JSON reader for libpg_query's JSON parse trees: the C parser
// writes JSON about four times faster than it packs protobuf (protobuf-c
// walks every member of the Node oneof for each node), and reading the
// JSON into these values is cheaper than decoding protobuf into the
// generated structs. facts_json.go walks the result.

type jkind uint8

const (
	jnull jkind = iota
	jbool
	jnum
	jstr
	jarr
	jobj
)

// jnode is one JSON value of a jtree. It holds no pointers, so that a
// tree costs the garbage collector nothing: strings are spans of the
// source (or, with escapes, indexes into jtree.decoded), and the members
// of an array or object are the n nodes from first.
type jnode struct {
	kind      jkind
	b         bool
	esc, kesc bool  // value / key is in decoded
	s, sn     int32 // value: string or number text
	k, kn     int32 // key, for object members
	first, n  int32
}

// jtree is a parsed document; jtrees are reused (jtrees pool).
type jtree struct {
	src     string
	nodes   []jnode
	decoded []string
	stack   []jnode
	root    int32
}

var jtrees = sync.Pool{New: func() any { return &jtree{} }}

// maxJSONDepth bounds nesting; deeper trees go to the protobuf path,
// which reports them as too deep.
const maxJSONDepth = 2000

type jparser struct {
	t     *jtree
	s     string
	i     int
	depth int
	bad   bool
}

// parseJSON reads one JSON document into t (whose earlier content is
// dropped); ok is false on malformed input or nesting past maxJSONDepth.
func (t *jtree) parse(s string) (root jref, ok bool) {
	t.src, t.nodes, t.decoded, t.stack = s, t.nodes[:0], t.decoded[:0], t.stack[:0]
	p := &jparser{t: t, s: s}
	v := p.value()
	p.space()
	if p.bad || p.i != len(p.s) {
		return jref{i: -1}, false
	}
	t.nodes = append(t.nodes, v)
	t.root = int32(len(t.nodes) - 1)
	return jref{t, t.root}, true
}

// parseJSON parses s into a new tree.
func parseJSON(s string) (jref, bool) { return (&jtree{}).parse(s) }

func (p *jparser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jparser) value() jnode {
	p.space()
	if p.bad || p.i >= len(p.s) {
		p.bad = true
		return jnode{}
	}
	switch c := p.s[p.i]; {
	case c == '{' || c == '[':
		return p.container(c)
	case c == '"':
		var v jnode
		v.kind = jstr
		v.s, v.sn, v.esc = p.str()
		return v
	case c == 't' && strings.HasPrefix(p.s[p.i:], "true"):
		p.i += 4
		return jnode{kind: jbool, b: true}
	case c == 'f' && strings.HasPrefix(p.s[p.i:], "false"):
		p.i += 5
		return jnode{kind: jbool}
	case c == 'n' && strings.HasPrefix(p.s[p.i:], "null"):
		p.i += 4
		return jnode{}
	case c == '-' || c >= '0' && c <= '9':
		start := p.i
		p.i++
		for p.i < len(p.s) && strings.IndexByte("0123456789.eE+-", p.s[p.i]) >= 0 {
			p.i++
		}
		return jnode{kind: jnum, s: int32(start), sn: int32(p.i - start)}
	}
	p.bad = true
	return jnode{}
}

// container reads an object or array: its members gather on the stack
// and move to nodes, contiguous, when it closes.
func (p *jparser) container(open byte) jnode {
	p.i++
	if p.depth++; p.depth > maxJSONDepth {
		p.bad = true
		return jnode{}
	}
	defer func() { p.depth-- }()
	v := jnode{kind: jarr}
	closing := byte(']')
	if open == '{' {
		v.kind, closing = jobj, '}'
	}
	base := len(p.t.stack)
	p.space()
	if p.i < len(p.s) && p.s[p.i] == closing {
		p.i++
		return v
	}
	for !p.bad {
		var k, kn int32
		var kesc bool
		if v.kind == jobj {
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				p.bad = true
				break
			}
			k, kn, kesc = p.str()
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				p.bad = true
				break
			}
			p.i++
		}
		m := p.value()
		m.k, m.kn, m.kesc = k, kn, kesc
		p.t.stack = append(p.t.stack, m)
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == closing {
			p.i++
			v.first, v.n = int32(len(p.t.nodes)), int32(len(p.t.stack)-base)
			p.t.nodes = append(p.t.nodes, p.t.stack[base:]...)
			p.t.stack = p.t.stack[:base]
			return v
		}
		p.bad = true
	}
	return jnode{}
}

// str reads a string at p.i (the opening quote): its span in the source,
// or, when it has escapes, its index in decoded (esc).
func (p *jparser) str() (s, n int32, esc bool) {
	p.i++
	start := p.i
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == '"':
			p.i++
			return int32(start), int32(p.i - 1 - start), false
		case c == '\\':
			d, ok := p.escaped(start)
			if !ok {
				p.bad = true
				return 0, 0, false
			}
			p.t.decoded = append(p.t.decoded, d)
			return int32(len(p.t.decoded) - 1), 0, true
		case c < 0x20:
			p.bad = true
			return 0, 0, false
		}
		p.i++
	}
	p.bad = true
	return 0, 0, false
}

func (p *jparser) escaped(start int) (string, bool) {
	var b strings.Builder
	b.WriteString(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return b.String(), true
		case c < 0x20:
			return "", false
		case c != '\\':
			b.WriteByte(c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.s) {
			break
		}
		e := p.s[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if strings.HasPrefix(p.s[p.i:], `\u`) {
					p.i += 2
					if r2, ok = p.hex4(); !ok {
						return "", false
					}
				}
				r = utf16.DecodeRune(r, r2)
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return "", false
}

func (p *jparser) hex4() (rune, bool) {
	if p.i+4 > len(p.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(p.s[p.i:p.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(n), true
}

// jref points at a node of a tree; i < 0 is no value. Like the protobuf
// getters, the accessors work on no value and give zero values.
type jref struct {
	t *jtree
	i int32
}

var jnil = jref{i: -1}

func (r jref) ok() bool { return r.i >= 0 }

func (r jref) n() *jnode { return &r.t.nodes[r.i] }

func (r jref) kind() jkind {
	if r.i < 0 {
		return jnull
	}
	return r.n().kind
}

// key is the member name of an object member.
func (r jref) key() string {
	n := r.n()
	if n.kesc {
		return r.t.decoded[n.k]
	}
	return r.t.src[n.k : n.k+n.kn]
}

// get returns the value of an object's key.
func (r jref) get(key string) jref {
	if r.kind() != jobj {
		return jnil
	}
	n := r.n()
	for c := n.first; c < n.first+n.n; c++ {
		if (jref{r.t, c}).key() == key {
			return jref{r.t, c}
		}
	}
	return jnil
}

// str is a string's value, sharing the source's memory; text is a copy,
// for what outlives the tree.
func (r jref) str() string {
	if r.kind() != jstr {
		return ""
	}
	n := r.n()
	if n.esc {
		return r.t.decoded[n.s]
	}
	return r.t.src[n.s : n.s+n.sn]
}

func (r jref) text() string { return strings.Clone(r.str()) }

func (r jref) boolean() bool { return r.kind() == jbool && r.n().b }

func (r jref) int() int {
	if r.kind() != jnum {
		return 0
	}
	n := r.n()
	v, _ := strconv.Atoi(r.t.src[n.s : n.s+n.sn])
	return v
}

// len is the number of members of an array (or object).
func (r jref) len() int {
	if k := r.kind(); k != jarr && k != jobj {
		return 0
	}
	return int(r.n().n)
}

// at is member i.
func (r jref) at(i int) jref { return jref{r.t, r.n().first + int32(i)} }

// last is the last member, or no value.
func (r jref) last() jref {
	if l := r.len(); l > 0 {
		return r.at(l - 1)
	}
	return jnil
}

// node unwraps a Node: {"RangeVar": {...}} gives "RangeVar" and the
// inner object.
func (r jref) node() (string, jref) {
	if r.kind() != jobj || r.n().n != 1 {
		return "", jnil
	}
	in := r.at(0)
	return in.key(), in
}

// as returns the inner object of a Node of the given type.
func (r jref) as(typ string) jref {
	if t, in := r.node(); t == typ {
		return in
	}
	return jnil
}

// sval is the text of a String node.
func (r jref) sval() string { return r.as("String").get("sval").str() }
