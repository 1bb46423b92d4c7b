package replicate

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// role is a node's role in a snapshot: the plan's, except under automatic
// failover, where the node that is not in recovery is the primary now.
func (c *Collector) role(n *stNode) string {
	if c.plan.Topology.HA == nil || n.err != nil {
		return n.plan.Role
	}
	if n.recovery {
		return RoleStandby
	}
	return RolePrimary
}

// collectHA adds the Patroni cluster, read from its REST API, and its
// alarms to a snapshot.
func (c *Collector) collectHA(ctx context.Context, st *Status) {
	st.HA = ReadHA(ctx, c.plan)
	st.Alarms = append(st.Alarms, haAlarms(st.HA)...)
}

// Patroni metrics (mesh run), from the supervisor's last poll.
var (
	mHALeader = prometheus.NewDesc("aadvisor_patroni_has_leader", "1 when a Patroni member holds the leader key.", []string{"scope"}, nil)
	mHARole   = prometheus.NewDesc("aadvisor_patroni_member_role", "1 for the member's current Patroni role (leader, sync_standby, replica).",
		[]string{"scope", "member", "role"}, nil)
	mHARunning = prometheus.NewDesc("aadvisor_patroni_member_running", "1 when Patroni runs the member's server.", []string{"scope", "member"}, nil)
	mHATL      = prometheus.NewDesc("aadvisor_patroni_member_timeline", "The member's PostgreSQL timeline.", []string{"scope", "member"}, nil)
	mHALag     = prometheus.NewDesc("aadvisor_patroni_member_lag_bytes", "WAL the member is behind the leader, in bytes (Patroni's view).", []string{"scope", "member"}, nil)
	mHASync    = prometheus.NewDesc("aadvisor_patroni_sync_standbys", "Synchronous standbys Patroni has assigned.", []string{"scope"}, nil)
	mHAUp      = prometheus.NewDesc("aadvisor_patroni_api_up", "1 when a Patroni REST API answered the last poll.", []string{"scope"}, nil)
)

var haDescs = []*prometheus.Desc{mHALeader, mHARole, mHARunning, mHATL, mHALag, mHASync, mHAUp}

// collectHAMetrics exports the Patroni part of a snapshot.
func collectHAMetrics(ch chan<- prometheus.Metric, h *HAStatus) {
	if h == nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(mHAUp, prometheus.GaugeValue, b2f(h.Source != ""), h.Scope)
	if h.Source == "" {
		return
	}
	ch <- prometheus.MustNewConstMetric(mHALeader, prometheus.GaugeValue, b2f(h.Leader != ""), h.Scope)
	ch <- prometheus.MustNewConstMetric(mHASync, prometheus.GaugeValue, float64(len(h.SyncStandbys)), h.Scope)
	for _, m := range h.Members {
		ch <- prometheus.MustNewConstMetric(mHARunning, prometheus.GaugeValue, b2f(m.Running()), h.Scope, m.Name)
		if m.Role != "" {
			ch <- prometheus.MustNewConstMetric(mHARole, prometheus.GaugeValue, 1, h.Scope, m.Name, m.Role)
		}
		if m.Timeline > 0 {
			ch <- prometheus.MustNewConstMetric(mHATL, prometheus.GaugeValue, float64(m.Timeline), h.Scope, m.Name)
		}
		if m.LagBytes != nil {
			ch <- prometheus.MustNewConstMetric(mHALag, prometheus.GaugeValue, float64(*m.LagBytes), h.Scope, m.Name)
		}
	}
}
