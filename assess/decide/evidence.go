package decide

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/aadvisor/aadvisor/assess"
)

// WriteMode maps the assessment's per-table advice to a write mode. Advice
// this version does not know is read as home-routed: the safe reading for
// a mesh.
func WriteMode(advice string) string {
	switch advice {
	case assess.AdviceAnywhere:
		return ModeAnywhere
	case assess.AdviceHome:
		return ModeHome
	case assess.AdviceKeepLocal:
		return ModeLocal
	case assess.AdviceInsertOnly:
		return ModeInsertOnly
	}
	a := strings.ToLower(advice)
	switch {
	case strings.Contains(a, "local") || strings.Contains(a, "exclude"):
		return ModeLocal
	case strings.Contains(a, "home"):
		return ModeHome
	case strings.Contains(a, "insert"):
		return ModeInsertOnly
	case strings.Contains(a, "anywhere"):
		return ModeAnywhere
	}
	return ModeHome
}

// qualify names a table schema-qualified (public when unqualified).
func qualify(t string) string {
	if strings.Contains(t, ".") {
		return t
	}
	return "public." + t
}

// tableModes reads the per-table write modes from the evidence: the
// assessment's per-table advice (in its own words) and the forecast's rows
// hot above hot_row_p_conflict, which make their table home-routed.
func (x *decider) tableModes() []TableMode {
	var out []TableMode
	idx := map[string]int{}
	if as := x.in.Assessment; as != nil {
		for _, t := range as.Tables {
			if t.Table == "" {
				continue
			}
			tm := TableMode{Table: t.Table, Mode: WriteMode(t.Advice)}
			why := "assessment: " + t.Advice
			if len(t.Reasons) > 0 {
				why += " (" + strings.Join(t.Reasons, ", ") + ")"
			}
			tm.Why = append(tm.Why, why)
			if i, ok := idx[t.Table]; ok {
				out[i] = tm
				continue
			}
			idx[t.Table] = len(out)
			out = append(out, tm)
		}
	}
	if f := x.in.Forecast; f != nil {
		limit := x.t.Get("hot_row_p_conflict")
		for _, h := range f.HotRows {
			if !(h.PConflict > limit) || h.Table == "" {
				continue
			}
			name := qualify(h.Table)
			why := fmt.Sprintf("forecast: hot row %s, P(conflict per write) %s at %s writes/s (above %s)", h.Key, fmtPct(h.PConflict*100), fmtNum(round(h.WritesPerSec, 2)), fmtPct(limit*100))
			i, ok := idx[name]
			if !ok {
				idx[name] = len(out)
				out = append(out, TableMode{Table: name, Mode: ModeHome, Why: []string{why}})
				continue
			}
			if out[i].Mode != ModeLocal {
				out[i].Mode = ModeHome
			}
			if !slices.Contains(out[i].Why, why) {
				out[i].Why = append(out[i].Why, why)
			}
		}
	}
	for i := range out {
		if out[i].Mode == ModeHome && x.a.String("partition_key") == PartitionNo {
			out[i].Home = x.d.Primary
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Table < out[j].Table })
	return out
}

// homeTables are the tables the evidence says must be home-routed.
func (x *decider) homeTables() []TableMode {
	var out []TableMode
	for _, t := range x.modes {
		if t.Mode == ModeHome {
			out = append(out, t)
		}
	}
	return out
}

// homeTableNames lists the home-routed tables, at most n (0 = all).
func (x *decider) homeTableNames(n int) []string {
	var names []string
	home := x.homeTables()
	for i, t := range home {
		if n > 0 && i == n {
			names = append(names, fmt.Sprintf("%d more", len(home)-n))
			break
		}
		names = append(names, t.Table)
	}
	return names
}
