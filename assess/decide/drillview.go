package decide

import "github.com/aadvisor/aadvisor/templates"

// SecDrill is the report section of a failover drill.
const SecDrill = "drill"

// DrillView is a failover drill (aadvisor drill) as the report shows it:
// the verdict against the plan's targets, a table of runs and each run's
// timeline. cmd fills it from the drill result (assess does not import
// the drill package).
type DrillView struct {
	Fault    string `json:"fault"`
	Kind     string `json:"kind"`
	Design   string `json:"design,omitempty"`
	HA       string `json:"ha,omitempty"`
	Settings string `json:"settings"`
	Endpoint string `json:"endpoint"`
	Logical  bool   `json:"logical,omitempty"`
	// Met is the verdict; Items are the measures against the targets.
	Met      bool                  `json:"met"`
	Items    []DrillItem           `json:"items"`
	Runs     []DrillRunRow         `json:"runs"`
	Charts   []templates.LineChart `json:"charts"`
	Expected string                `json:"expected,omitempty"`
	// MeasuredFailoverS is the worst write outage of the runs (-1: writes
	// did not resume), the number recommend and report use instead of
	// the assumed failover time.
	MeasuredFailoverS float64 `json:"measured_failover_s"`
	Source            string  `json:"source,omitempty"` // the drill file
}

// DrillItem is one measure against its target.
type DrillItem struct {
	Measure  string `json:"measure"`
	Target   string `json:"target"`
	Measured string `json:"measured"`
	Margin   string `json:"margin,omitempty"`
	Class    string `json:"class"` // good, bad
}

// DrillRunRow is one run of the drill.
type DrillRunRow struct {
	N          int      `json:"n"`
	Broken     string   `json:"broken"`
	Leader     string   `json:"leader,omitempty"`
	RTO        string   `json:"rto"`
	Lost       int64    `json:"lost"`
	Window     string   `json:"window"`
	InDoubt    int64    `json:"in_doubt"`
	SplitBrain int64    `json:"split_brain"`
	Promoted   string   `json:"promoted,omitempty"`
	Rejoin     string   `json:"rejoin"`
	LagBefore  string   `json:"lag_before,omitempty"`
	Stranded   string   `json:"stranded,omitempty"`
	Verify     string   `json:"verify,omitempty"`
	Acked      string   `json:"acked"`
	Notes      []string `json:"notes,omitempty"`
	Class      string   `json:"class"` // good, bad
}
