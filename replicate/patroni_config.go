package replicate

import (
	"bytes"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// The Patroni configuration file, as Patroni 3.0 reads it (docs/SETTINGS.rst,
// docs/yaml_configuration.rst). Only the keys aadvisor sets are modelled.
type patroniFile struct {
	Scope     string            `yaml:"scope"`
	Namespace string            `yaml:"namespace"`
	Name      string            `yaml:"name"`
	RestAPI   patroniRestAPI    `yaml:"restapi"`
	Etcd3     patroniEtcd3      `yaml:"etcd3"`
	Bootstrap patroniBootstrap  `yaml:"bootstrap"`
	Postgres  patroniPostgres   `yaml:"postgresql"`
	Tags      map[string]bool   `yaml:"tags,omitempty"`
	Watchdog  map[string]string `yaml:"watchdog,omitempty"`
}

type patroniRestAPI struct {
	Listen         string `yaml:"listen"`
	ConnectAddress string `yaml:"connect_address"`
}

type patroniEtcd3 struct {
	Hosts []string `yaml:"hosts"`
}

type patroniBootstrap struct {
	DCS patroniDCS `yaml:"dcs"`
}

// patroniDCS is the cluster-wide (dynamic) configuration the first member
// writes to etcd.
type patroniDCS struct {
	TTL                   int              `yaml:"ttl"`
	LoopWait              int              `yaml:"loop_wait"`
	RetryTimeout          int              `yaml:"retry_timeout"`
	MaximumLagOnFailover  int64            `yaml:"maximum_lag_on_failover"`
	PrimaryStartTimeout   int              `yaml:"primary_start_timeout"`
	SynchronousMode       bool             `yaml:"synchronous_mode"`
	SynchronousModeStrict bool             `yaml:"synchronous_mode_strict"`
	SynchronousNodeCount  int              `yaml:"synchronous_node_count"`
	Postgres              patroniDCSPGConf `yaml:"postgresql"`
}

type patroniDCSPGConf struct {
	UsePgRewind bool `yaml:"use_pg_rewind"`
	// A former primary that pg_rewind cannot bring onto the leader's
	// timeline is cloned again (Debian's patroni defaults do the same).
	RemoveOnRewindFailure     bool              `yaml:"remove_data_directory_on_rewind_failure"`
	RemoveOnDivergedTimelines bool              `yaml:"remove_data_directory_on_diverged_timelines"`
	UseSlots                  bool              `yaml:"use_slots"`
	Parameters                map[string]string `yaml:"parameters"`
}

type patroniPostgres struct {
	Listen         string                     `yaml:"listen"`
	ConnectAddress string                     `yaml:"connect_address"`
	DataDir        string                     `yaml:"data_dir"`
	ConfigDir      string                     `yaml:"config_dir,omitempty"`
	BinDir         string                     `yaml:"bin_dir"`
	PGPass         string                     `yaml:"pgpass"`
	Auth           map[string]patroniUserAuth `yaml:"authentication"`
	Parameters     map[string]string          `yaml:"parameters,omitempty"`
	PgHBA          []string                   `yaml:"pg_hba"`
	ReplicaMethods []string                   `yaml:"create_replica_methods"`
	Basebackup     []map[string]string        `yaml:"basebackup,omitempty"`
}

// patroniUserAuth names a role; its password comes from the environment
// (PATRONI_SUPERUSER_PASSWORD, PATRONI_REPLICATION_PASSWORD), never from a
// file aadvisor writes.
type patroniUserAuth struct {
	Username string `yaml:"username"`
}

// patroniMember is what one node's patroni.yml needs to know about it.
type patroniMember struct {
	Name      string
	Host      string // where PostgreSQL listens and is reached
	Port      int
	APIListen string // host:port of the REST API
	DataDir   string
	ConfigDir string
	BinDir    string
	PGPass    string
	Superuser string
	ReplUser  string
	// SocketDirs is unix_socket_directories ("" turns sockets off, as the
	// sandbox does); nil leaves the server's own.
	SocketDirs *string
	Tags       map[string]bool
	Sandbox    bool
}

// cmdlineSettings are the settings Patroni passes to postgres on its
// command line, with its own defaults when the cluster-wide configuration
// has none (postgresql/config.py CMDLINE_OPTIONS). bootstrap carries the
// primary's current values so that handing it to Patroni changes none.
var cmdlineSettings = []string{"max_connections", "max_wal_senders", "max_replication_slots", "max_worker_processes",
	"max_prepared_transactions", "max_locks_per_transaction", "track_commit_timestamp", "wal_level", "wal_keep_size"}

// patroniConfig renders one node's patroni.yml.
func patroniConfig(h HA, etcd []string, m patroniMember, params map[string]string, hba []string) ([]byte, error) {
	hosts := make([]string, len(etcd))
	for i, e := range etcd {
		hosts[i] = strings.TrimPrefix(e, "http://")
	}
	start := 0
	if h.PrimaryStartTimeout != nil {
		start = *h.PrimaryStartTimeout
	}
	dcsParams := map[string]string{}
	for k, v := range params {
		dcsParams[k] = v
	}
	// pg_rewind, which brings a failed primary back as a replica, needs
	// both (the sandbox turns full_page_writes off).
	dcsParams["hot_standby"], dcsParams["wal_log_hints"], dcsParams["full_page_writes"] = "on", "on", "on"
	addr := net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
	f := patroniFile{
		Scope: h.Scope, Namespace: PatroniNamespace, Name: m.Name,
		RestAPI: patroniRestAPI{Listen: m.APIListen, ConnectAddress: m.APIListen},
		Etcd3:   patroniEtcd3{Hosts: hosts},
		Bootstrap: patroniBootstrap{DCS: patroniDCS{
			TTL: h.TTL, LoopWait: h.LoopWait, RetryTimeout: h.RetryTimeout, MaximumLagOnFailover: h.MaximumLagOnFailover,
			PrimaryStartTimeout: start, SynchronousMode: h.SynchronousMode, SynchronousModeStrict: h.SynchronousModeStrict,
			SynchronousNodeCount: h.SynchronousNodeCount,
			Postgres: patroniDCSPGConf{UsePgRewind: true, RemoveOnRewindFailure: true, RemoveOnDivergedTimelines: true,
				UseSlots: true, Parameters: dcsParams},
		}},
		Postgres: patroniPostgres{
			Listen: addr, ConnectAddress: addr, DataDir: m.DataDir, ConfigDir: m.ConfigDir, BinDir: m.BinDir, PGPass: m.PGPass,
			// pg_rewind runs as the superuser (no rewind role).
			Auth:           map[string]patroniUserAuth{"superuser": {Username: m.Superuser}, "replication": {Username: m.ReplUser}},
			PgHBA:          hba,
			ReplicaMethods: []string{"basebackup"},
			Basebackup:     []map[string]string{{"checkpoint": "fast"}},
		},
		Tags: m.Tags,
	}
	if m.SocketDirs != nil {
		f.Postgres.Parameters = map[string]string{"unix_socket_directories": *m.SocketDirs}
	}
	if m.Sandbox {
		// No /dev/watchdog on a laptop or CI machine; production should
		// run with one (see the runbook).
		f.Watchdog = map[string]string{"mode": "off"}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Patroni %s configuration of node %s, written by aadvisor bootstrap.\n", "3.0", m.Name)
	b.WriteString("# Passwords are not in this file: set PATRONI_SUPERUSER_PASSWORD and PATRONI_REPLICATION_PASSWORD\n")
	b.WriteString("# in the environment (Debian: /etc/patroni_env.conf, mode 0600).\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return nil, fmt.Errorf("patroni.yml for %s: %w", m.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("patroni.yml for %s: %w", m.Name, err)
	}
	return b.Bytes(), nil
}

// sandboxHBA is the access the sandbox nodes had, loopback only: the
// superuser trusted (it also streams and rewinds), every other role by
// password.
var sandboxHBA = []string{
	"host all postgres 127.0.0.1/32 trust",
	"host replication postgres 127.0.0.1/32 trust",
	"host all all 127.0.0.1/32 scram-sha-256",
	"host replication all 127.0.0.1/32 scram-sha-256",
}

// userHostsHBA keeps the rules the primary has (pg_hba_file_rules) and
// adds what Patroni needs between the nodes: replication for the
// replication role and the superuser (pg_rewind), by password.
func userHostsHBA(existing []string, hosts []string, superuser, repl string) []string {
	out := append([]string(nil), existing...)
	// A rule matches by type, database, user and address; the first
	// match wins, so an existing rule for the same connection stays.
	key := func(l string) string {
		f := hbaFields(l)
		if len(f) > 4 {
			f = f[:4]
		}
		return strings.Join(f, " ")
	}
	seen := map[string]bool{}
	for _, l := range out {
		seen[key(l)] = true
	}
	add := func(l string) {
		if !seen[key(l)] {
			seen[key(l)] = true
			out = append(out, l)
		}
	}
	sorted := append([]string(nil), hosts...)
	sort.Strings(sorted)
	for _, h := range sorted {
		cidr := hostCIDR(h)
		add(fmt.Sprintf("host replication %s %s scram-sha-256", hbaName(repl), cidr))
		add(fmt.Sprintf("host all %s %s scram-sha-256", hbaName(superuser), cidr))
	}
	return out
}

// hbaFields splits a pg_hba.conf line into its fields, a double-quoted
// field being one.
func hbaFields(l string) []string {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range l {
		switch {
		case r == '"':
			quoted = !quoted
			in = true
			cur.WriteRune(r)
		case (r == ' ' || r == '\t') && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			in = true
			cur.WriteRune(r)
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

func hostCIDR(h string) string {
	if ip := net.ParseIP(h); ip != nil {
		if ip.To4() != nil {
			return h + "/32"
		}
		return h + "/128"
	}
	return h // a host name: pg_hba matches it by reverse lookup
}

func hbaName(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	}) < 0 {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// etcdMemberConfig is the /etc/default/etcd of one etcd member on a user
// host (the Debian etcd-server service reads it).
func etcdMemberConfig(name, host string, cluster, token string) string {
	peer := "http://" + net.JoinHostPort(host, "2380")
	client := "http://" + net.JoinHostPort(host, "2379")
	listen := client
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		listen += ",http://127.0.0.1:2379" // etcdctl on the host itself
	}
	return strings.Join([]string{
		"# /etc/default/etcd for etcd member " + name + ", written by aadvisor bootstrap (Debian etcd-server 3.4).",
		"ETCD_NAME=" + name,
		"ETCD_DATA_DIR=/var/lib/etcd/" + token,
		"ETCD_LISTEN_CLIENT_URLS=" + listen,
		"ETCD_ADVERTISE_CLIENT_URLS=" + client,
		"ETCD_LISTEN_PEER_URLS=" + peer,
		"ETCD_INITIAL_ADVERTISE_PEER_URLS=" + peer,
		"ETCD_INITIAL_CLUSTER=" + cluster,
		"ETCD_INITIAL_CLUSTER_TOKEN=" + token,
		"ETCD_INITIAL_CLUSTER_STATE=new",
		"",
	}, "\n")
}
