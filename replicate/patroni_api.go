package replicate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/jackc/pgx/v5"
)

// Patroni member roles as its REST API reports them (GET /cluster).
const (
	PatroniLeader      = "leader"
	PatroniSyncStandby = "sync_standby"
	PatroniReplica     = "replica"
)

// HAStatus is the Patroni cluster as its REST API describes it.
type HAStatus struct {
	Engine string `json:"engine"`
	Scope  string `json:"scope,omitempty"`
	// Source is the REST API that answered (GET /cluster).
	Source       string     `json:"source,omitempty"`
	Leader       string     `json:"leader,omitempty"`
	Timeline     int        `json:"timeline,omitempty"`
	SyncStandbys []string   `json:"sync_standbys"`
	Synchronous  bool       `json:"synchronous_mode"`
	Paused       bool       `json:"paused,omitempty"`
	Members      []HAMember `json:"members"`
	Error        string     `json:"error,omitempty"`
}

// HAMember is one member of the Patroni cluster. A plan node that is not a
// member (its Patroni is down) is listed with state "absent".
type HAMember struct {
	Name     string `json:"name"`
	Role     string `json:"role,omitempty"` // leader, sync_standby, replica
	State    string `json:"state"`          // running, starting, stopped, crashed, absent, ...
	Host     string `json:"host,omitempty"` // where PostgreSQL listens
	Port     int    `json:"port,omitempty"` //
	API      string `json:"api,omitempty"`  // its REST API
	Timeline int    `json:"timeline,omitempty"`
	// LagBytes is how far the member's WAL position is behind the leader's
	// (nil for the leader, and when Patroni does not know).
	LagBytes *int64 `json:"lag_bytes,omitempty"`
}

// Running reports whether the member's server runs under Patroni.
func (m HAMember) Running() bool { return m.State == "running" || m.State == "streaming" }

// Member returns the named member (ok false when absent).
func (h *HAStatus) Member(name string) (HAMember, bool) {
	for _, m := range h.Members {
		if m.Name == name {
			return m, m.State != "absent"
		}
	}
	return HAMember{}, false
}

// patroniCluster is GET /cluster (patroni/utils.py cluster_as_json).
type patroniCluster struct {
	Members []struct {
		Name     string          `json:"name"`
		Role     string          `json:"role"`
		State    string          `json:"state"`
		APIURL   string          `json:"api_url"`
		Host     string          `json:"host"`
		Port     int             `json:"port"`
		Timeline int             `json:"timeline"`
		Lag      json.RawMessage `json:"lag"`
	} `json:"members"`
	Pause bool `json:"pause"`
}

// patroniNode is GET /patroni (patroni/api.py get_postgresql_status).
type patroniNode struct {
	State    string `json:"state"`
	Role     string `json:"role"` // master or replica (3.0 still says master)
	Timeline int    `json:"timeline"`
	Patroni  struct {
		Version string `json:"version"`
		Scope   string `json:"scope"`
	} `json:"patroni"`
	SyncStandby bool `json:"sync_standby"`
	Xlog        struct {
		Location         int64 `json:"location"`
		ReceivedLocation int64 `json:"received_location"`
		ReplayedLocation int64 `json:"replayed_location"`
	} `json:"xlog"`
	ClusterUnlocked bool `json:"cluster_unlocked"`
}

// patroniHTTP reads Patroni REST APIs with short timeouts: an answer
// that takes longer is no answer during a failover.
var patroniHTTP = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
	DialContext:       (&net.Dialer{Timeout: time.Second}).DialContext,
	DisableKeepAlives: true,
}}

func patroniGet(ctx context.Context, base, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		return err
	}
	resp, err := patroniHTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	// /patroni answers 200; health endpoints answer 503 with the same body.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusServiceUnavailable {
		return fmt.Errorf("GET %s%s: HTTP %d", base, path, resp.StatusCode)
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("GET %s%s: %w", base, path, err)
	}
	return nil
}

// haAPIs lists the plan nodes' REST APIs, in plan order.
func haAPIs(p *Plan) []string {
	var out []string
	for _, n := range p.Topology.Nodes {
		if base, err := patroniAPIBase(n.API); err == nil {
			out = append(out, base)
		}
	}
	return out
}

// ReadHA reads the Patroni cluster of a plan with automatic failover: GET
// /cluster from the first node whose REST API answers. It does not fail:
// when no API answers, Error says so.
func ReadHA(ctx context.Context, p *Plan) *HAStatus {
	h := p.Topology.HA.Effective(p.Topology.Database)
	st := &HAStatus{Engine: h.Engine, Scope: h.Scope, Synchronous: h.SynchronousMode, SyncStandbys: []string{}, Members: []HAMember{}}
	apis := haAPIs(p)
	if len(apis) == 0 {
		st.Error = "no node has a Patroni REST API in the plan (topology.nodes[].api)"
		return st
	}
	var errs []string
	var c patroniCluster
	for _, base := range apis {
		if err := patroniGet(ctx, base, "/cluster", &c); err != nil {
			errs = append(errs, err.Error())
			continue
		}
		st.Source = base
		break
	}
	if st.Source == "" {
		st.Error = "no Patroni REST API answered: " + strings.Join(errs, "; ")
		for _, n := range p.Topology.Nodes {
			st.Members = append(st.Members, HAMember{Name: n.Name, State: "unknown", API: n.API})
		}
		return st
	}
	st.Paused = c.Pause
	seen := map[string]bool{}
	for _, m := range c.Members {
		hm := HAMember{Name: m.Name, Role: m.Role, State: m.State, Host: m.Host, Port: m.Port, Timeline: m.Timeline,
			API: strings.TrimSuffix(m.APIURL, "/patroni")}
		if v, err := strconv.ParseInt(string(m.Lag), 10, 64); err == nil {
			hm.LagBytes = &v
		}
		switch m.Role {
		case PatroniLeader, "standby_leader":
			st.Leader, st.Timeline = m.Name, m.Timeline
		case PatroniSyncStandby:
			st.SyncStandbys = append(st.SyncStandbys, m.Name)
		}
		seen[m.Name] = true
		st.Members = append(st.Members, hm)
	}
	for _, n := range p.Topology.Nodes {
		if !seen[n.Name] {
			st.Members = append(st.Members, HAMember{Name: n.Name, State: "absent", API: n.API})
		}
	}
	sort.SliceStable(st.Members, func(i, j int) bool { return st.Members[i].Name < st.Members[j].Name })
	return st
}

// Alarm kinds of a Patroni cluster.
const (
	AlarmHANoLeader    = "ha_no_leader"    // no member holds the leader key: writes fail
	AlarmHANoSync      = "ha_no_sync"      // synchronous mode without a synchronous standby
	AlarmHAMemberDown  = "ha_member_down"  // a member is not running (or its Patroni is gone)
	AlarmHAUnreachable = "ha_unreachable"  // no REST API answered
	AlarmHAPaused      = "ha_paused"       // maintenance mode: Patroni does not fail over
	AlarmHATimeline    = "ha_timeline_lag" // a member is on an older timeline than the leader
)

// haAlarms lists what needs a human in the Patroni cluster.
func haAlarms(h *HAStatus) []Alarm {
	var out []Alarm
	if h == nil {
		return nil
	}
	if h.Source == "" {
		return []Alarm{{Kind: AlarmHAUnreachable, Message: h.Error}}
	}
	if h.Leader == "" {
		out = append(out, Alarm{Kind: AlarmHANoLeader, Message: "no Patroni member holds the leader key: writes fail until one is promoted"})
	}
	if h.Paused {
		out = append(out, Alarm{Kind: AlarmHAPaused, Message: "the Patroni cluster is paused (maintenance mode): it will not fail over"})
	}
	if h.Synchronous && h.Leader != "" && len(h.SyncStandbys) == 0 {
		out = append(out, Alarm{Kind: AlarmHANoSync, Message: "synchronous mode is on but no standby is synchronous: commits are not protected against the loss of the leader"})
	}
	for _, m := range h.Members {
		switch {
		case !m.Running():
			out = append(out, Alarm{Kind: AlarmHAMemberDown, Node: m.Name, Message: fmt.Sprintf("Patroni member %s is %s", m.Name, m.State)})
		case h.Timeline > 0 && m.Timeline > 0 && m.Timeline < h.Timeline:
			out = append(out, Alarm{Kind: AlarmHATimeline, Node: m.Name, Message: fmt.Sprintf(
				"member %s is on timeline %d, the leader %s on %d: it has not rejoined yet", m.Name, m.Timeline, h.Leader, h.Timeline)})
		}
	}
	return out
}

// waitHA polls the Patroni cluster until ready says yes, up to timeout.
// It returns the last status and, on timeout, why it was not ready.
func waitHA(ctx context.Context, p *Plan, timeout time.Duration, ready func(*HAStatus) string) (*HAStatus, error) {
	deadline := time.Now().Add(timeout)
	for {
		st := ReadHA(ctx, p)
		why := ready(st)
		if why == "" {
			return st, nil
		}
		if time.Now().After(deadline) {
			return st, fmt.Errorf("the Patroni cluster is not ready after %s: %s", timeout, why)
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// haHealthy is a ready func: a leader, every listed member running on the
// leader's timeline, and a synchronous standby in synchronous mode.
func haHealthy(members []string) func(*HAStatus) string {
	return func(st *HAStatus) string {
		if st.Source == "" {
			return st.Error
		}
		if st.Leader == "" {
			return "no leader yet"
		}
		var wait []string
		for _, name := range members {
			m, ok := st.Member(name)
			switch {
			case !ok:
				wait = append(wait, name+" not a member yet")
			case !m.Running():
				wait = append(wait, name+" is "+m.State)
			case m.Timeline != st.Timeline:
				wait = append(wait, fmt.Sprintf("%s on timeline %d (leader %d)", name, m.Timeline, st.Timeline))
			}
		}
		if len(wait) > 0 {
			return strings.Join(wait, ", ")
		}
		if st.Synchronous && len(members) > 1 && len(st.SyncStandbys) == 0 {
			return "no synchronous standby yet"
		}
		return ""
	}
}

// errNoPatroni marks a node whose REST API does not answer.
var errNoPatroni = errors.New("the Patroni REST API does not answer")

// readPatroniNode reads GET /patroni of one node.
func readPatroniNode(ctx context.Context, api string) (*patroniNode, error) {
	base, err := patroniAPIBase(api)
	if err != nil {
		return nil, err
	}
	var pn patroniNode
	if err := patroniGet(ctx, base, "/patroni", &pn); err != nil {
		return nil, fmt.Errorf("%w: %v", errNoPatroni, err)
	}
	return &pn, nil
}

// ClientDSN is the connection string clients of a streaming topology use:
// every node, in plan order, with target_session_attrs=read-write, so that
// libpq (and pgx) find whichever node is the primary now.
func ClientDSN(p *Plan) (string, error) {
	var hosts, ports []string
	var base *pgx.ConnConfig
	for _, n := range p.Topology.Nodes {
		dsn, err := withDatabase(n.DSN, p.Topology.Database)
		if err != nil {
			return "", err
		}
		cfg, err := pgx.ParseConfig(dsn)
		if err != nil {
			return "", fmt.Errorf("node %s: %w", n.Name, err)
		}
		if base == nil {
			base = cfg
		}
		hosts = append(hosts, cfg.Host)
		ports = append(ports, strconv.Itoa(int(cfg.Port)))
	}
	if base == nil {
		return "", errors.New("no nodes")
	}
	parts := []string{"host=" + inspect.QuoteConninfo(strings.Join(hosts, ",")), "port=" + strings.Join(ports, ","),
		"user=" + inspect.QuoteConninfo(base.User), "dbname=" + inspect.QuoteConninfo(base.Database), "target_session_attrs=read-write"}
	if base.Password != "" {
		parts = append(parts, "password="+inspect.QuoteConninfo(base.Password))
	}
	if base.TLSConfig == nil {
		parts = append(parts, "sslmode=disable")
	}
	return strings.Join(parts, " "), nil
}
