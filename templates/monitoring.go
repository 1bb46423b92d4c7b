package templates

import (
	"embed"
	"io/fs"
)

//go:embed monitoring/*.json monitoring/*.yml
var monitoringFiles embed.FS

// Monitoring holds the Grafana dashboard and the Prometheus alert rules,
// with their promtool unit tests, for the metrics 'aadvisor mesh run'
// exports (docs/monitoring.md).
func Monitoring() fs.FS {
	sub, err := fs.Sub(monitoringFiles, "monitoring")
	if err != nil {
		panic(err) // the directory is embedded: cannot happen
	}
	return sub
}
