package forecast

import "github.com/aadvisor/aadvisor/inspect/stream"

// What the tests of package forecast_test reach inside the forecast.

var (
	HashString  = hashString
	ModelShares = modelShares
)

// NewForecaster is a forecaster with options o, for the routing tests.
func NewForecaster(o Options) *forecaster { return &forecaster{o: o} }

// Region is the region (and home region) the forecaster sends txn to.
func (f *forecaster) Region(txn *stream.Txn) (region, home int, routed bool) { return f.region(txn) }
