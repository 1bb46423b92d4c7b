package decide

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// Threshold is one tunable number of the decision procedure. Every constant
// the procedure compares against lives here, with its source (see
// docs/decision.md); users override them with --threshold name=value.
type Threshold struct {
	Name   string
	Value  float64
	Unit   string
	Doc    string
	Source string // reference tag of docs/references.md, or "assumption"/"derived"
}

var defaultThresholds = []Threshold{
	{"manual_region_promotion_min", 15, "min", "downtime of one manual cross-region promotion (SP-2): human decision + promote + DNS", "assumption (docs/decision.md)"},
	{"auto_region_promotion_min", 2, "min", "downtime of one automated cross-region promotion (SP-3): Aurora Global promotes in < 1 min, plus DNS and reconnect", "[R11] + assumption"},
	{"aa_reroute_s", 60, "s", "write outage on region loss with a home-routed mesh: client retry / routing switch (10–60 s)", "assumption (docs/decision.md)"},
	{"far_writer_share_pct", 20, "%", "share of writes from one remote region above which its latency proposes local writes (STEP 4); the budget itself holds for every region", "docs/decision.md (STEP 4)"},
	{"rtt_estimate_factor", 1.5, "×", "measured RTT ÷ physical floor used when no measurement exists (median 1.5×, range 1.3–2.5×)", "derived from [R25]"},
	{"km_per_ms_rtt", 100, "km", "great-circle km per 1 ms of round trip in fibre", "[R26]"},
	{"intra_region_rtt_ms", 1, "ms", "RTT between AZs of one region (measured 0.25–3.37 ms)", "[R28]"},
	{"never_conflicts_per_day", 0.01, "/day", "gate F3: most conflicts/day tolerated on tables marked \"must never happen\"", "assumption (docs/decision.md)"},
	{"hot_row_p_conflict", 0.01, "", "gate F3: P(conflict per write) above which a row is hot and must be home-routed or redesigned", "assumption (docs/decision.md)"},
	{"lww_conflicts_per_day_warn", 100, "/day", "last-writer-wins conflicts/day above which lost updates are printed as expected", "assumption (docs/decision.md)"},
	{"read_replica_ratio", 5, "reads/write", "read/write ratio from which read replicas are suggested (STEP 0)", "docs/decision.md (STEP 0)"},
	{"failover_s_patroni", 40, "s", "Patroni node-loss failover, upper end (ttl 30 s + loop_wait 10 s)", "[R5]"},
	{"failover_s_cloudnativepg", 60, "s", "CloudNativePG node-loss failover, upper end (primary unready after 40–55 s + promotion)", "[R6]"},
	{"failover_s_pg_auto_failover", 30, "s", "pg_auto_failover failover, upper end (unhealthy after 20 s + promotion)", "[R7]"},
	{"failover_s_rds", 120, "s", "RDS Multi-AZ DB instance failover, upper end (60–120 s)", "[R8]"},
	{"failover_s_rds_cluster", 35, "s", "RDS Multi-AZ DB cluster failover (typically under 35 s)", "[R9]"},
	{"failover_s_aurora", 30, "s", "Aurora in-region failover (typically within 30 s)", "[R10]"},
	{"failover_s_managed", 120, "s", "other managed service failover (assumed like RDS Multi-AZ instance)", "assumption"},
	{"failover_s_edge", 40, "s", "edge site failover (assumed Patroni defaults on site hardware)", "assumption"},
	{"switchover_s_selfmanaged", 10, "s", "planned switchover with Patroni / CloudNativePG / pg_auto_failover", "assumption"},
	{"switchover_s_managed", 60, "s", "planned switchover on a managed service (Blue/Green typically under one minute)", "[R12]"},
}

// Thresholds is a set of threshold values, defaults unless overridden.
type Thresholds struct {
	values map[string]float64
}

// DefaultThresholds returns the thresholds with their default values.
func DefaultThresholds() Thresholds {
	t := Thresholds{values: map[string]float64{}}
	for _, d := range defaultThresholds {
		t.values[d.Name] = d.Value
	}
	return t
}

// ThresholdList returns the documented thresholds with current values, by name.
func (t Thresholds) List() []Threshold {
	out := make([]Threshold, len(defaultThresholds))
	copy(out, defaultThresholds)
	for i := range out {
		out[i].Value = t.Get(out[i].Name)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns a threshold's value (the default if t is the zero value).
func (t Thresholds) Get(name string) float64 {
	if v, ok := t.values[name]; ok {
		return v
	}
	for _, d := range defaultThresholds {
		if d.Name == name {
			return d.Value
		}
	}
	panic("assess: unknown threshold " + name) // programming error: names are constants
}

// Set overrides one threshold. Unknown names and non-positive or
// non-numeric values are errors.
func (t *Thresholds) Set(name string, v float64) error {
	found := false
	for _, d := range defaultThresholds {
		if d.Name == name {
			found = true
		}
	}
	if !found {
		msg := fmt.Sprintf("unknown threshold %q", name)
		best, bestD := "", 5
		for _, d := range defaultThresholds {
			if dist := inspect.EditDistance(name, d.Name); dist < bestD || (bestD == 5 && name != "" && strings.HasPrefix(d.Name, name)) {
				best, bestD = d.Name, dist
			}
		}
		if best != "" {
			msg += fmt.Sprintf(" (did you mean %s?)", best)
		} else {
			names := make([]string, len(defaultThresholds))
			for i, d := range defaultThresholds {
				names[i] = d.Name
			}
			sort.Strings(names)
			msg += " (known: " + strings.Join(names, ", ") + ")"
		}
		return fmt.Errorf("%s", msg)
	}
	if !(v > 0) {
		return fmt.Errorf("threshold %s: value %g must be > 0", name, v)
	}
	if t.values == nil {
		*t = DefaultThresholds()
	}
	t.values[name] = v
	return nil
}

// Override applies "name=value" settings in order.
func (t *Thresholds) Override(settings []string) error {
	for _, s := range settings {
		name, val, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("threshold %q: want name=value", s)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			return fmt.Errorf("threshold %s: want a number, got %q", name, val)
		}
		if err := t.Set(strings.TrimSpace(name), f); err != nil {
			return err
		}
	}
	return nil
}
