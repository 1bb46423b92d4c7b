package rules

import (
	"fmt"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// partitionRoot returns the partitioned table at the top of t's
// partition tree, or nil when t is not a partition (or its parent is not
// in the model).
func partitionRoot(p *Pass, t *inspect.Table) *inspect.Table {
	var root *inspect.Table
	for seen := 0; t != nil && t.PartitionOf != "" && seen < 32; seen++ {
		t = parentTable(p, t)
		if t != nil {
			root = t
		}
	}
	return root
}

// foldPartitions reports a finding on partitions once, on the root
// partitioned table, with the partitions listed. A partition's finding
// joins its root's finding on the same object (public.m1.id is public.m.id),
// or the root's first finding of the rule; without either, the first
// partition's finding stands for them all, moved to the root.
func foldPartitions(p *Pass, fs []Finding) []Finding {
	if len(fs) == 0 || len(p.index().partitions) == 0 {
		return fs // no partitioned table in the model
	}
	type fold struct {
		rootOwn bool
		parts   []string
	}
	var out []Finding
	folds := map[int]*fold{}
	byObject := map[string]int{} // root object -> index in out
	byRoot := map[string]int{}   // root table -> first finding of the root's own in out
	for _, f := range fs {
		if t := p.index().byQualified(f.Table); t == nil || t.PartitionOf == "" {
			if f.Table != "" {
				if _, ok := byRoot[f.Table]; !ok {
					byRoot[f.Table] = len(out)
				}
			}
			byObject[f.Object] = len(out)
			folds[len(out)] = &fold{rootOwn: true}
			out = append(out, f)
		}
	}
	for _, f := range fs {
		t := p.index().byQualified(f.Table)
		if t == nil || t.PartitionOf == "" {
			continue
		}
		root := partitionRoot(p, t)
		if root == nil {
			out = append(out, f)
			continue
		}
		obj := f.Object
		if rest, ok := strings.CutPrefix(obj, t.QualifiedName()); ok && (rest == "" || strings.HasPrefix(rest, ".")) {
			obj = root.QualifiedName() + rest
		}
		i, ok := byObject[obj]
		if !ok {
			i, ok = byRoot[root.QualifiedName()]
		}
		if !ok {
			f.Object, f.Table = obj, root.QualifiedName()
			i = len(out)
			byObject[obj], byRoot[root.QualifiedName()] = i, i
			folds[i] = &fold{}
			out = append(out, f)
		}
		folds[i].parts = append(folds[i].parts, t.QualifiedName())
	}
	for i, fd := range folds {
		if len(fd.parts) == 0 {
			continue
		}
		list := fd.parts
		more := ""
		if len(list) > 5 {
			list, more = list[:5], fmt.Sprintf(" and %d more", len(fd.parts)-5)
		}
		if fd.rootOwn {
			out[i].Message += fmt.Sprintf(" (the same on its %s: %s%s)", plural(int64(len(fd.parts)), "partition", "partitions"), strings.Join(list, ", "), more)
		} else {
			out[i].Message += fmt.Sprintf(" (on %s of %s: %s%s)", plural(int64(len(fd.parts)), "partition", "partitions"), out[i].Table, strings.Join(list, ", "), more)
		}
	}
	return out
}
