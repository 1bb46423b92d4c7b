package decide

import (
	"math"
	"testing"

	"github.com/aadvisor/aadvisor/assess/forecast"
	"github.com/aadvisor/aadvisor/rules"
)

// TestHotRowAgreesWithForecast holds the audit's hot-row judgement
// (rules, which cannot import assess) to the forecast's: the same
// threshold, and the same chance of a conflict for a row written evenly
// from every node. The window is one constant, rules.DefaultReplicationWindow.
func TestHotRowAgreesWithForecast(t *testing.T) {
	w := rules.DefaultReplicationWindow
	if got := DefaultThresholds().Get("hot_row_p_conflict"); rules.HotPConflict != got {
		t.Errorf("rules.HotPConflict = %v, threshold hot_row_p_conflict = %v", rules.HotPConflict, got)
	}
	for _, nodes := range []int{2, 3, 5} {
		for _, rate := range []float64{0.001, 0.05, 0.58, 300} {
			shares := make([]float64, nodes)
			for i := range shares {
				shares[i] = 1 / float64(nodes)
			}
			want := forecast.RowPConflict(w.Seconds(), rate, shares)
			if got := rules.HotRowPConflict(w, rate, nodes); math.Abs(got-want) > 1e-12 {
				t.Errorf("%d nodes, %g updates/s: rules %g, forecast %g", nodes, rate, got, want)
			}
		}
	}
}
