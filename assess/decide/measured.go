package decide

// MeasuredFailover is a failover time measured by aadvisor drill. Folded
// into a recommendation (Inputs.Measured), it replaces the platform's
// assumed failover time in the downtime arithmetic, marked as measured.
type MeasuredFailover struct {
	Seconds float64 `json:"seconds"`
	Source  string  `json:"source"` // which drill: fault, runs, date, file
}

// applyMeasured puts a measured failover time in place of the assumed one
// and recomputes what depends on it.
func (d *Derived) applyMeasured(m *MeasuredFailover, a Answers) {
	if m == nil || m.Seconds < 0 || d.Platform.ID == "" {
		return
	}
	d.Platform.Failover = m.Seconds
	d.Platform.FailoverLow = m.Seconds
	d.Platform.Source = m.Source
	d.Platform.Measured = true
	d.FailoversFit = FailoversThatFit(d.BudgetYearMin, m.Seconds)
	d.InRegionMin = a.Number("expected_failovers_per_year") * m.Seconds / 60
	if a.Bool("maintenance_counts") {
		d.InRegionMin += a.Number("planned_switchovers_per_year") * d.Platform.Switchover / 60
	}
}
