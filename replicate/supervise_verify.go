package replicate

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Verify results kept by the supervisor (SuperviseOptions.VerifyEvery).
const (
	VerifyResultOK          = "ok"          // every table the same on every node
	VerifyResultDifferences = "differences" // rows differ
	VerifyResultError       = "error"       // verify could not run (a node down, a catalog error)
)

// verifyState is the last periodic verify.
type verifyState struct {
	runs   map[string]int64 // by result
	last   string           // result of the last run
	report *VerifyReport    // the last report of a verify that completed
	at     time.Time        // when the last run ended
	took   time.Duration
}

// verifyLoop runs Verify every VerifyEvery until ctx ends, the first time
// right away.
func (s *Supervisor) verifyLoop(ctx context.Context) {
	t := time.NewTicker(s.opts.VerifyEvery)
	defer t.Stop()
	for {
		s.VerifyOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// VerifyOnce runs one verify of the mesh, logs it and keeps its result for
// the metrics.
func (s *Supervisor) VerifyOnce(ctx context.Context) (*VerifyReport, error) {
	o := s.opts.Verify
	if o.Log == nil {
		o.Log = s.log
	}
	start := time.Now()
	rep, err := Verify(ctx, s.plan, o)
	if ctx.Err() != nil {
		return rep, err // stopping: not a result
	}
	result := VerifyResultOK
	switch {
	case err != nil:
		result = VerifyResultError
		s.log.Error("verify failed", "err", err)
	case rep.Differences > 0:
		result = VerifyResultDifferences
		s.log.Warn("verify found differences", "differences", rep.Differences, "tables", len(rep.Tables), "seconds", rep.Seconds)
	default:
		s.log.Info("verify", "differences", 0, "tables", len(rep.Tables), "in_flight", rep.InFlight, "seconds", rep.Seconds)
	}
	s.mu.Lock()
	if s.verify.runs == nil {
		s.verify.runs = map[string]int64{}
	}
	s.verify.runs[result]++
	s.verify.last = result
	if err == nil {
		s.verify.report = rep
	}
	s.verify.at, s.verify.took = time.Now(), time.Since(start)
	s.mu.Unlock()
	return rep, err
}

var (
	mLagWindow = prometheus.NewDesc("aadvisor_mesh_lag_window_seconds",
		"The plan's replication window W (one-way latency + apply lag) that its conflict forecast assumed: lag above it means more conflicts than forecast.", nil, nil)
	mRPO = prometheus.NewDesc("aadvisor_mesh_rpo_seconds",
		"The plan's recovery point objective across regions: a region lost now loses the changes its links still lag by.", nil, nil)
	mVerifyRuns = prometheus.NewDesc("aadvisor_mesh_verify_runs_total", "Periodic verify runs (mesh run --verify-every), by result: ok, differences, error.",
		[]string{"result"}, nil)
	mVerifyResult = prometheus.NewDesc("aadvisor_mesh_verify_last_result", "1 for the result of the last verify run: ok, differences, error.",
		[]string{"result"}, nil)
	mVerifyLast = prometheus.NewDesc("aadvisor_mesh_verify_last_run_timestamp_seconds", "When the last verify ended (Unix time).", nil, nil)
	mVerifySec  = prometheus.NewDesc("aadvisor_mesh_verify_duration_seconds", "How long the last verify took.", nil, nil)
	mVerifyDiff = prometheus.NewDesc("aadvisor_mesh_verify_differences", "Rows that differ between nodes, per table, in the last verify that completed.",
		[]string{"table"}, nil)
	mVerifyTables = prometheus.NewDesc("aadvisor_mesh_verify_tables", "Tables in the last verify that completed, by state: same, different, skipped (no primary key, or columns differ).",
		[]string{"state"}, nil)
)

// planMetrics exports the plan's thresholds and the periodic verify.
type planMetrics struct{ s *Supervisor }

func (m *planMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mLagWindow, mRPO, mVerifyRuns, mVerifyResult, mVerifyLast, mVerifySec, mVerifyDiff, mVerifyTables} {
		ch <- d
	}
}

func (m *planMetrics) Collect(ch chan<- prometheus.Metric) {
	s := m.s
	if s.opts.LagWindow > 0 {
		ch <- prometheus.MustNewConstMetric(mLagWindow, prometheus.GaugeValue, s.opts.LagWindow.Seconds())
	}
	if s.opts.RPO > 0 {
		ch <- prometheus.MustNewConstMetric(mRPO, prometheus.GaugeValue, s.opts.RPO.Seconds())
	}
	if s.opts.VerifyEvery <= 0 {
		return
	}
	s.mu.Lock()
	v := s.verify
	runs := map[string]int64{VerifyResultOK: 0, VerifyResultDifferences: 0, VerifyResultError: 0}
	for k, n := range v.runs {
		runs[k] = n
	}
	s.mu.Unlock()
	for k, n := range runs {
		ch <- prometheus.MustNewConstMetric(mVerifyRuns, prometheus.CounterValue, float64(n), k)
	}
	if v.at.IsZero() {
		return
	}
	for _, r := range []string{VerifyResultOK, VerifyResultDifferences, VerifyResultError} {
		ch <- prometheus.MustNewConstMetric(mVerifyResult, prometheus.GaugeValue, b2f(r == v.last), r)
	}
	ch <- prometheus.MustNewConstMetric(mVerifyLast, prometheus.GaugeValue, float64(v.at.UnixNano())/1e9)
	ch <- prometheus.MustNewConstMetric(mVerifySec, prometheus.GaugeValue, v.took.Seconds())
	if v.report == nil {
		return
	}
	states := map[string]int{"same": 0, "different": 0, "skipped": 0}
	for _, t := range v.report.Tables {
		switch {
		case t.Skipped != "":
			states["skipped"]++
			continue
		case t.Differences > 0:
			states["different"]++
		default:
			states["same"]++
		}
		ch <- prometheus.MustNewConstMetric(mVerifyDiff, prometheus.GaugeValue, float64(t.Differences), t.Table)
	}
	for k, n := range states {
		ch <- prometheus.MustNewConstMetric(mVerifyTables, prometheus.GaugeValue, float64(n), k)
	}
}
