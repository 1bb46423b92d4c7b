package replicate

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric descriptions. Every value comes from the supervisor's last poll.
var (
	mNodeUp = prometheus.NewDesc("aadvisor_mesh_node_up", "1 when the node answers queries.", []string{"node"}, nil)
	mLinkUp = prometheus.NewDesc("aadvisor_mesh_link_up", "1 when the link (subscription) is streaming or catching up.",
		[]string{"from", "to", "subscription"}, nil)
	mLinkState = prometheus.NewDesc("aadvisor_mesh_link_state", "1 for the link's current state.",
		[]string{"from", "to", "subscription", "state"}, nil)
	mLagBytes = prometheus.NewDesc("aadvisor_mesh_link_lag_bytes", "WAL the subscriber has not confirmed, in bytes.",
		[]string{"from", "to", "subscription"}, nil)
	mLagSeconds = prometheus.NewDesc("aadvisor_mesh_link_lag_seconds", "Replication lag in seconds (walsender replay lag).",
		[]string{"from", "to", "subscription"}, nil)
	mApplyErrors = prometheus.NewDesc("aadvisor_mesh_link_apply_errors_total", "Apply errors of the subscription (pg_stat_subscription_stats).",
		[]string{"from", "to", "subscription"}, nil)
	mConflicts = prometheus.NewDesc("aadvisor_mesh_conflicts_total", "Conflicts detected while applying changes (PostgreSQL 18 per link and type; pglogical per node from the server log).",
		[]string{"node", "from", "type"}, nil)
	mRetained = prometheus.NewDesc("aadvisor_mesh_slot_retained_wal_bytes", "WAL retained by the replication slot, in bytes.",
		[]string{"node", "slot"}, nil)
	mSafe = prometheus.NewDesc("aadvisor_mesh_slot_safe_wal_bytes", "WAL that may still be written before the slot passes max_slot_wal_keep_size.",
		[]string{"node", "slot"}, nil)
	mSlotActive = prometheus.NewDesc("aadvisor_mesh_slot_active", "1 when a consumer is connected to the slot.", []string{"node", "slot"}, nil)
	mDiskFree   = prometheus.NewDesc("aadvisor_mesh_node_disk_free_bytes", "Free bytes on the file system of pg_wal (local nodes only).", []string{"node"}, nil)
	mWALDir     = prometheus.NewDesc("aadvisor_mesh_node_wal_bytes", "Size of pg_wal in bytes.", []string{"node"}, nil)
	mAlarms     = prometheus.NewDesc("aadvisor_mesh_alarms", "Alarms currently raised, by kind.", []string{"kind"}, nil)
	mPolls      = prometheus.NewDesc("aadvisor_mesh_polls_total", "Polls of the mesh.", nil, nil)
	mPollSec    = prometheus.NewDesc("aadvisor_mesh_poll_seconds", "Duration of the last poll.", nil, nil)
	mQueries    = prometheus.NewDesc("aadvisor_mesh_queries_total", "Queries the supervisor sent to the nodes (its own load on them).", nil, nil)
	mReenabled  = prometheus.NewDesc("aadvisor_mesh_reenables_total", "Subscriptions the supervisor re-enabled.", nil, nil)
)

// meshMetrics exports the supervisor's last snapshot.
type meshMetrics struct{ s *Supervisor }

func (m *meshMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{mNodeUp, mLinkUp, mLinkState, mLagBytes, mLagSeconds, mApplyErrors, mConflicts,
		mRetained, mSafe, mSlotActive, mDiskFree, mWALDir, mAlarms, mPolls, mPollSec, mQueries, mReenabled} {
		ch <- d
	}
	for _, d := range haDescs {
		ch <- d
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (m *meshMetrics) Collect(ch chan<- prometheus.Metric) {
	s := m.s
	s.mu.Lock()
	st, alarms, polls, pollDur, reenabled := s.last, s.alarms, s.polls, s.lastPoll, s.reenabled
	s.mu.Unlock()
	ch <- prometheus.MustNewConstMetric(mPolls, prometheus.CounterValue, float64(polls))
	ch <- prometheus.MustNewConstMetric(mPollSec, prometheus.GaugeValue, pollDur.Seconds())
	ch <- prometheus.MustNewConstMetric(mQueries, prometheus.CounterValue, float64(s.collector.Queries()))
	ch <- prometheus.MustNewConstMetric(mReenabled, prometheus.CounterValue, float64(reenabled))
	kinds := map[string]int{AlarmSlotWALLimit: 0, AlarmSlotLost: 0, AlarmNodeDown: 0, AlarmLinkBroken: 0}
	if s.plan.Topology.HA != nil {
		for _, k := range []string{AlarmHANoLeader, AlarmHANoSync, AlarmHAMemberDown, AlarmHAUnreachable, AlarmHAPaused, AlarmHATimeline} {
			kinds[k] = 0
		}
	}
	if s.plan.Topology.Kind == TopologyHubSpoke {
		kinds[AlarmSharedWrite], kinds[AlarmOfflineWindow] = 0, 0
	}
	for _, a := range alarms {
		kinds[a.Kind]++
	}
	for k, n := range kinds {
		ch <- prometheus.MustNewConstMetric(mAlarms, prometheus.GaugeValue, float64(n), k)
	}
	if st == nil {
		return
	}
	collectHAMetrics(ch, st.HA)
	for _, n := range st.Nodes {
		ch <- prometheus.MustNewConstMetric(mNodeUp, prometheus.GaugeValue, b2f(n.Up), n.Name)
		if n.DiskFreeBytes != nil {
			ch <- prometheus.MustNewConstMetric(mDiskFree, prometheus.GaugeValue, float64(*n.DiskFreeBytes), n.Name)
		}
		if n.WALDirBytes != nil {
			ch <- prometheus.MustNewConstMetric(mWALDir, prometheus.GaugeValue, float64(*n.WALDirBytes), n.Name)
		}
		if n.Conflicts != nil && st.Engine == EnginePglogical {
			ch <- prometheus.MustNewConstMetric(mConflicts, prometheus.CounterValue, float64(*n.Conflicts), n.Name, "", "all")
		}
		for _, sl := range n.Slots {
			ch <- prometheus.MustNewConstMetric(mRetained, prometheus.GaugeValue, float64(sl.RetainedBytes), n.Name, sl.Name)
			ch <- prometheus.MustNewConstMetric(mSlotActive, prometheus.GaugeValue, b2f(sl.Active), n.Name, sl.Name)
			if sl.SafeWALBytes != nil {
				ch <- prometheus.MustNewConstMetric(mSafe, prometheus.GaugeValue, float64(*sl.SafeWALBytes), n.Name, sl.Name)
			}
		}
	}
	seen := map[string]bool{}
	for _, l := range st.Links {
		key := l.From + "|" + l.To + "|" + l.Subscription
		if seen[key] {
			continue
		}
		seen[key] = true
		up := l.State == LinkStreaming || l.State == LinkCatchup || l.State == LinkInitializing
		ch <- prometheus.MustNewConstMetric(mLinkUp, prometheus.GaugeValue, b2f(up), l.From, l.To, l.Subscription)
		ch <- prometheus.MustNewConstMetric(mLinkState, prometheus.GaugeValue, 1, l.From, l.To, l.Subscription, l.State)
		if l.LagBytes != nil {
			ch <- prometheus.MustNewConstMetric(mLagBytes, prometheus.GaugeValue, float64(*l.LagBytes), l.From, l.To, l.Subscription)
		}
		if l.LagSeconds != nil {
			ch <- prometheus.MustNewConstMetric(mLagSeconds, prometheus.GaugeValue, *l.LagSeconds, l.From, l.To, l.Subscription)
		}
		if l.ApplyErrors != nil {
			ch <- prometheus.MustNewConstMetric(mApplyErrors, prometheus.CounterValue, float64(*l.ApplyErrors), l.From, l.To, l.Subscription)
		}
		if l.Conflicts != nil {
			// Counted per link (PostgreSQL 18): every type, zeros too, so
			// that the first conflict of a type shows as an increase.
			for _, typ := range stConflictTypes {
				ch <- prometheus.MustNewConstMetric(mConflicts, prometheus.CounterValue, float64(l.ConflictsByType[typ]), l.To, l.From, typ)
			}
		}
	}
}
