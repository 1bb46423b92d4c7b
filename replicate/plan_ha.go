package replicate

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// HA engines: the software that decides and promotes in a streaming
// topology. aadvisor configures it and reads its state; it never fails
// over by itself.
const HAPatroni = "patroni"

// Patroni defaults (its docs/SETTINGS.rst, 3.0): what a plan without the
// setting gets.
const (
	patroniTTL          = 30
	patroniLoopWait     = 10
	patroniRetryTimeout = 10
	patroniMaxLag       = 1048576
	patroniStartTimeout = 300
	// PatroniNamespace is the etcd key prefix of every cluster bootstrap
	// makes: /aadvisor/<scope>/leader and so on.
	PatroniNamespace = "/aadvisor/"
)

var (
	haEngines = []string{HAPatroni}
	scopeRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
)

// HA is the automatic failover of a streaming topology: Patroni with etcd
// (v3 API) as its store. Every field but engine has Patroni's default.
// The settings are Patroni's own (docs/SETTINGS.rst of Patroni 3.0).
type HA struct {
	Engine string `yaml:"engine"`
	// Scope names the Patroni cluster (default aadv_<database>).
	Scope string `yaml:"scope,omitempty"`
	// Etcd lists the client endpoints (host:port) of an etcd cluster that
	// already runs. Empty: bootstrap starts etcd (sandbox) or writes its
	// settings (user hosts) with EtcdMembers members.
	Etcd        []string `yaml:"etcd,omitempty"`
	EtcdMembers int      `yaml:"etcd_members,omitempty"`
	// The leader key's time to live, the HA loop's period and the DCS
	// retry timeout, in seconds.
	TTL          int `yaml:"ttl,omitempty"`
	LoopWait     int `yaml:"loop_wait,omitempty"`
	RetryTimeout int `yaml:"retry_timeout,omitempty"`
	// MaximumLagOnFailover is the most WAL (bytes) a replica may lag and
	// still be promoted.
	MaximumLagOnFailover int64 `yaml:"maximum_lag_on_failover,omitempty"`
	// PrimaryStartTimeout is how long Patroni restarts a crashed primary in
	// place before it fails over (0: fail over at once). Default: 0 in
	// synchronous mode (nothing acknowledged can be lost), else 300.
	PrimaryStartTimeout *int `yaml:"primary_start_timeout,omitempty"`
	// SynchronousMode: commits wait for a synchronous standby that Patroni
	// picks, and only that standby may be promoted.
	SynchronousMode       bool `yaml:"synchronous_mode,omitempty"`
	SynchronousModeStrict bool `yaml:"synchronous_mode_strict,omitempty"`
	SynchronousNodeCount  int  `yaml:"synchronous_node_count,omitempty"`
}

// Effective returns the settings with Patroni's defaults filled in.
func (h HA) Effective(database string) HA {
	if h.Scope == "" {
		h.Scope = "aadv_" + orDefault(database, "postgres")
	}
	if h.EtcdMembers == 0 && len(h.Etcd) == 0 {
		h.EtcdMembers = 1
	}
	if h.TTL == 0 {
		h.TTL = patroniTTL
	}
	if h.LoopWait == 0 {
		h.LoopWait = patroniLoopWait
	}
	if h.RetryTimeout == 0 {
		h.RetryTimeout = patroniRetryTimeout
	}
	if h.MaximumLagOnFailover == 0 {
		h.MaximumLagOnFailover = patroniMaxLag
	}
	if h.PrimaryStartTimeout == nil {
		v := patroniStartTimeout
		if h.SynchronousMode {
			v = 0
		}
		h.PrimaryStartTimeout = &v
	}
	if h.SynchronousNodeCount == 0 {
		h.SynchronousNodeCount = 1
	}
	return h
}

func (d *planDecoder) ha(n *yaml.Node, path string, h *HA) error {
	known := []string{"engine", "scope", "etcd", "etcd_members", "ttl", "loop_wait", "retry_timeout",
		"maximum_lag_on_failover", "primary_start_timeout", "synchronous_mode", "synchronous_mode_strict", "synchronous_node_count"}
	num := func(v *yaml.Node, f string) (int64, error) {
		s, err := d.str(v, f)
		if err != nil {
			return 0, err
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, d.err(v, f, "want a whole number ≥ 0, got %q", s)
		}
		return n, nil
	}
	boolean := func(v *yaml.Node, f string) (bool, error) {
		s, err := d.str(v, f)
		if err != nil {
			return false, err
		}
		switch strings.ToLower(s) {
		case "true", "on", "yes":
			return true, nil
		case "false", "off", "no":
			return false, nil
		}
		return false, d.err(v, f, "want true or false, got %q", s)
	}
	return d.fields(n, path, known, func(k string, v *yaml.Node, f string) error {
		var err error
		var x int64
		switch k {
		case "engine":
			h.Engine, err = d.str(v, f)
			if err == nil && !slices.Contains(haEngines, h.Engine) {
				err = d.err(v, f, "unknown HA engine %q (want %s)", h.Engine, strings.Join(haEngines, ", "))
			}
		case "scope":
			h.Scope, err = d.str(v, f)
		case "etcd":
			h.Etcd, err = d.strs(v, f)
		case "etcd_members":
			x, err = num(v, f)
			h.EtcdMembers = int(x)
		case "ttl":
			x, err = num(v, f)
			h.TTL = int(x)
		case "loop_wait":
			x, err = num(v, f)
			h.LoopWait = int(x)
		case "retry_timeout":
			x, err = num(v, f)
			h.RetryTimeout = int(x)
		case "maximum_lag_on_failover":
			h.MaximumLagOnFailover, err = num(v, f)
		case "primary_start_timeout":
			x, err = num(v, f)
			i := int(x)
			h.PrimaryStartTimeout = &i
		case "synchronous_mode":
			h.SynchronousMode, err = boolean(v, f)
		case "synchronous_mode_strict":
			h.SynchronousModeStrict, err = boolean(v, f)
		case "synchronous_node_count":
			x, err = num(v, f)
			h.SynchronousNodeCount = int(x)
		}
		return err
	})
}

// validateHA checks the HA block against the topology.
func (p *Plan) validateHA(bad func(field, format string, a ...any) error) error {
	t := p.Topology
	for i, n := range t.Nodes {
		if n.API != "" && t.HA == nil {
			return bad(fmt.Sprintf("topology.nodes[%d].api", i), "a Patroni REST API without topology.ha")
		}
		if n.API != "" {
			if _, err := patroniAPIBase(n.API); err != nil {
				return bad(fmt.Sprintf("topology.nodes[%d].api", i), "%v", err)
			}
		}
	}
	h := t.HA
	if h == nil {
		return nil
	}
	if t.Kind != TopologyStreaming {
		return bad("topology.ha", "automatic failover with %s is for a streaming topology; each node of a %s topology keeps its own in-region HA", orDefault(h.Engine, "patroni"), t.Kind)
	}
	if h.Engine == "" {
		return bad("topology.ha.engine", "missing (want %s)", strings.Join(haEngines, ", "))
	}
	if !slices.Contains(haEngines, h.Engine) {
		return bad("topology.ha.engine", "unknown HA engine %q (want %s)", h.Engine, strings.Join(haEngines, ", "))
	}
	if h.Scope != "" && !scopeRE.MatchString(h.Scope) {
		return bad("topology.ha.scope", "%q: want lower-case letters, digits, _ and -", h.Scope)
	}
	for i, e := range h.Etcd {
		if _, err := etcdEndpoint(e); err != nil {
			return bad(fmt.Sprintf("topology.ha.etcd[%d]", i), "%v", err)
		}
	}
	if len(h.Etcd) > 0 && h.EtcdMembers != 0 {
		return bad("topology.ha.etcd_members", "give etcd (endpoints of a running etcd) or etcd_members (how many bootstrap starts), not both")
	}
	switch h.EtcdMembers {
	case 0, 1, 3, 5:
	default:
		return bad("topology.ha.etcd_members", "%d: want 1, 3 or 5 (an odd number keeps a majority)", h.EtcdMembers)
	}
	e := h.Effective(t.Database)
	if e.LoopWait < 1 || e.RetryTimeout < 1 {
		return bad("topology.ha", "loop_wait and retry_timeout must be at least 1 second")
	}
	if e.TTL < 5 {
		return bad("topology.ha.ttl", "%d: want at least 5 seconds (etcd leases shorter than its election timeout are refused)", e.TTL)
	}
	if e.TTL <= e.LoopWait+e.RetryTimeout {
		return bad("topology.ha.ttl", "%d must exceed loop_wait + retry_timeout (%d + %d): the leader needs that time to renew its key or demote before the key expires (Patroni docs/watchdog.rst)",
			e.TTL, e.LoopWait, e.RetryTimeout)
	}
	if e.SynchronousNodeCount > len(t.Nodes)-1 {
		return bad("topology.ha.synchronous_node_count", "%d: the topology has %d standby(s)", e.SynchronousNodeCount, len(t.Nodes)-1)
	}
	if (h.SynchronousModeStrict || h.SynchronousNodeCount > 0) && !h.SynchronousMode {
		return bad("topology.ha", "synchronous_mode_strict and synchronous_node_count need synchronous_mode: true")
	}
	return nil
}

// etcdEndpoint checks host:port (or http://host:port) and returns the
// http URL Patroni and etcd use.
func etcdEndpoint(s string) (string, error) {
	hostport := strings.TrimPrefix(s, "http://")
	if strings.HasPrefix(hostport, "https://") {
		return "", fmt.Errorf("%q: TLS endpoints are not supported yet; give host:port", s)
	}
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" {
		return "", fmt.Errorf("%q: want host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q: bad port", s)
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

// patroniAPIBase checks a node's REST API URL and returns it without a
// trailing slash.
func patroniAPIBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q: want the Patroni REST API URL, e.g. http://10.0.0.1:8008", s)
	}
	if u.User != nil {
		return "", fmt.Errorf("%q: no credentials in the URL (Patroni's REST API reads need none)", s)
	}
	return strings.TrimSuffix(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}
