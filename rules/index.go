package rules

import (
	"strings"
	"sync"

	"github.com/aadvisor/aadvisor/inspect"
)

// tableIndex finds tables by name in constant time; Database.Table scans
// the list, which makes per-table look-ups quadratic on big schemas. It is
// built once per Run and shared by the passes (the model does not change
// while rules run).
type tableIndex struct {
	// Lookup finds tables and sequences by name.
	*inspect.Lookup
	// children maps a table to the foreign keys that reference it.
	children map[*inspect.Table][]childFK
	// partitions counts the partitions of each partitioned table.
	partitions map[*inspect.Table]int
	// partitionsOf lists them.
	partitionsOf map[*inspect.Table][]*inspect.Table
	// ownedSequences maps "schema.table.column" (unquoted) to the sequence
	// owned by that column.
	ownedSequences map[[3]string]*inspect.Sequence
	// functions lists user functions by lower-case name.
	functions map[string][]*inspect.Function
	// writes caches the resolved workload writes (see writes), computed
	// once by the first pass that asks: passes run at once.
	writesOnce sync.Once
	writes     []write
	// allocators caches the id allocators (see idAllocators), likewise.
	allocatorsOnce sync.Once
	allocators     []*allocator
}

type childFK struct {
	child *inspect.Table
	fk    *inspect.Constraint
}

func newTableIndex(db *inspect.Database) *tableIndex {
	x := &tableIndex{
		Lookup:     inspect.NewLookup(db),
		children:   map[*inspect.Table][]childFK{},
		partitions: map[*inspect.Table]int{}, partitionsOf: map[*inspect.Table][]*inspect.Table{},

		ownedSequences: map[[3]string]*inspect.Sequence{},
		functions:      map[string][]*inspect.Function{},
	}
	for _, f := range db.Functions {
		key := strings.ToLower(f.Name)
		x.functions[key] = append(x.functions[key], f)
	}
	for _, s := range db.Sequences {
		if s.OwnedBy == "" {
			continue
		}
		schema, tc := splitOwned(s.OwnedBy)
		key := [3]string{schema, tc[0], tc[1]}
		if _, dup := x.ownedSequences[key]; !dup {
			x.ownedSequences[key] = s
		}
	}
	for _, t := range db.Tables {
		for _, c := range t.Constraints {
			if c.Type == inspect.ForeignKey {
				if parent := x.byQualified(c.RefTable); parent != nil {
					x.children[parent] = append(x.children[parent], childFK{child: t, fk: c})
				}
			}
		}
		if t.PartitionOf != "" {
			if parent := x.byQualified(t.PartitionOf); parent != nil {
				x.partitions[parent]++
				x.partitionsOf[parent] = append(x.partitionsOf[parent], t)
			}
		}
	}
	return x
}

func (x *tableIndex) byQualified(q string) *inspect.Table { return x.TableByQualified(q) }

func (x *tableIndex) ref(r inspect.TableRef) *inspect.Table { return x.FindTable(r) }

// index returns the pass's table index, building it if Run did not.
func (p *Pass) index() *tableIndex {
	if p.idx == nil {
		p.idx = newTableIndex(p.DB)
	}
	return p.idx
}
