package replicate

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

// A streaming topology with topology.ha is handed to Patroni: bootstrap
// starts etcd and one Patroni per node (sandbox nodes), or writes each
// node's patroni.yml, the etcd settings and a runbook (user hosts).
// Patroni then owns the servers: it decides, promotes and rejoins. Nothing
// here fails over by itself.

// patroniAPIPort is where Patroni's REST API listens on user hosts (its
// documented default).
const patroniAPIPort = 8008

// patroniMaxMajor is the newest PostgreSQL major Patroni 3.0 knows: its
// parameter validator (postgresql/validator.py) stops at 15, and 16+
// support came with later releases.
const patroniMaxMajor = 15

// patroniTools are the binaries Patroni runs from bin_dir.
var patroniTools = []string{"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "pg_rewind", "pg_isready"}

// HAFile is a file bootstrap writes for user hosts (and prints on a dry
// run): a node's patroni.yml, an etcd member's settings, the runbook.
type HAFile struct {
	Path    string `json:"path"`
	Node    string `json:"node,omitempty"`
	Content string `json:"content"`
}

// haFacts is what an HA bootstrap reads from a node besides nodeFacts.
type haFacts struct {
	Params     map[string]string // cmdlineSettings as the server runs them
	DataDir    string
	ConfigFile string
	HBA        []string // the primary's pg_hba rules, when readable
	HBAErr     string
	SyncInAuto bool // synchronous_standby_names set by ALTER SYSTEM
	// Patroni is the node's GET /patroni when its REST API answers (the
	// node is already managed).
	Patroni *patroniNode
}

const qHASettings = `SELECT n, coalesce(pg_catalog.current_setting(n, true), '') FROM pg_catalog.unnest($1::text[]) AS n`

// qHBARules reads the access rules in force (superuser or pg_read_all_settings).
const qHBARules = `SELECT type, pg_catalog.array_to_string(database, ','), pg_catalog.array_to_string(user_name, ','),
  coalesce(address, ''), coalesce(netmask, ''), coalesce(auth_method, ''), coalesce(pg_catalog.array_to_string(options, ' '), ''),
  coalesce(error, '')
FROM pg_catalog.pg_hba_file_rules ORDER BY line_number`

// qSyncInAuto: synchronous_standby_names set by ALTER SYSTEM would
// override the value Patroni writes to postgresql.conf.
const qSyncInAuto = `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_file_settings
  WHERE name = 'synchronous_standby_names' AND sourcefile LIKE '%postgresql.auto.conf' AND setting <> '')`

func (b *bootstrapper) ha() *HA {
	if b.plan.Topology.HA == nil {
		return nil
	}
	h := b.plan.Topology.HA.Effective(b.db)
	return &h
}

// gatherHA reads the HA facts of a node.
func (b *bootstrapper) gatherHA(ctx context.Context, n *nodeConn) (*haFacts, error) {
	f := &haFacts{Params: map[string]string{}}
	names := append(append([]string{}, cmdlineSettings...), "data_directory", "config_file")
	rows, err := n.conn.Query(ctx, qHASettings, names)
	if err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("read settings: %w", err)
		}
		switch k {
		case "data_directory":
			f.DataDir = v
		case "config_file":
			f.ConfigFile = v
		default:
			if v != "" {
				f.Params[k] = v
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read settings: %w", err)
	}
	if err := n.conn.QueryRow(ctx, qSyncInAuto).Scan(&f.SyncInAuto); err != nil {
		return nil, fmt.Errorf("read pg_file_settings: %w", err)
	}
	if n.Role == RolePrimary && b.opt.Local[n.Name] == nil {
		f.HBA, err = readHBA(ctx, n.conn)
		if err != nil {
			f.HBAErr = err.Error()
		}
	}
	if n.API != "" {
		f.Patroni, _ = readPatroniNode(ctx, n.API)
	}
	return f, nil
}

// readHBA rebuilds pg_hba.conf lines from pg_hba_file_rules.
func readHBA(ctx context.Context, conn *pgx.Conn) ([]string, error) {
	rows, err := conn.Query(ctx, qHBARules)
	if err != nil {
		return nil, fmt.Errorf("read pg_hba_file_rules: %s", inspect.Redact(err.Error()))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, db, user, addr, mask, method, opts, rerr string
		if err := rows.Scan(&typ, &db, &user, &addr, &mask, &method, &opts, &rerr); err != nil {
			return nil, err
		}
		if rerr != "" {
			return nil, fmt.Errorf("pg_hba.conf has an error: %s", rerr)
		}
		parts := []string{typ, db, user}
		if typ != "local" {
			parts = append(parts, hbaAddress(addr, mask))
		}
		parts = append(parts, method)
		if opts != "" {
			parts = append(parts, opts)
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out, rows.Err()
}

// hbaAddress writes the address column of a rule as CIDR when the view
// gives an address and a netmask.
func hbaAddress(addr, mask string) string {
	ip, m := net.ParseIP(addr), net.ParseIP(mask)
	if ip == nil || m == nil {
		return strings.TrimSpace(addr + " " + mask)
	}
	if ip.To4() != nil {
		m = m.To4()
	}
	ones, bits := net.IPMask(m).Size()
	if bits == 0 {
		return addr + " " + mask
	}
	return fmt.Sprintf("%s/%d", addr, ones)
}

// haChecks are the prechecks of a streaming topology with automatic
// failover.
func (b *bootstrapper) haChecks(ctx context.Context) []Check {
	h := b.ha()
	var cs []Check
	add := func(node, name, status, detail, fix string) {
		cs = append(cs, Check{Node: node, Name: name, Status: status, Detail: detail, Fix: fix})
	}
	local := 0
	for _, n := range b.nodes {
		if b.opt.Local[n.Name] != nil {
			local++
		}
	}
	if local > 0 && local < len(b.nodes) {
		add("", "ha nodes", StatusFail, fmt.Sprintf("%d of %d nodes are sandbox nodes: Patroni runs all of them here, or none", local, len(b.nodes)),
			"use sandbox nodes only, or user hosts only")
	}
	if local > 0 {
		if b.opt.Sandbox == nil {
			add("", "ha sandbox", StatusFail, "sandbox nodes without their sandbox", "pass the sandbox (bootstrap --sandbox-dir)")
		}
		if bin, err := sandbox.FindPatroni(); err != nil {
			add("", "patroni", StatusFail, err.Error(), "apt-get install patroni")
		} else if v, err := patroniVersion(ctx, bin); err != nil {
			add("", "patroni", StatusFail, err.Error(), "apt-get install patroni")
		} else if !strings.HasPrefix(v, "3.") {
			add("", "patroni", StatusWarn, "patroni "+v+": aadvisor writes Patroni 3.0 settings", "")
		} else {
			add("", "patroni", StatusOK, "patroni "+v+" (REST API on 127.0.0.1)", "")
		}
		if len(h.Etcd) == 0 {
			if bin, err := sandbox.FindEtcd(); err != nil {
				add("", "etcd", StatusFail, err.Error(), "apt-get install etcd-server")
			} else {
				add("", "etcd", StatusOK, fmt.Sprintf("%s: %d member(s) on 127.0.0.1", bin, h.EtcdMembers), "")
			}
		}
	}
	for _, e := range h.Etcd {
		u, _ := etcdEndpoint(e)
		if err := etcdHealthy(ctx, u); err != nil {
			add("", "etcd", StatusFail, fmt.Sprintf("%s: %v", e, err), "start etcd there, or fix topology.ha.etcd")
		} else {
			add("", "etcd", StatusOK, e+" is healthy", "")
		}
	}
	for _, n := range b.nodes {
		if n.facts == nil {
			continue
		}
		if n.facts.major() > patroniMaxMajor {
			add(n.Name, "patroni version", StatusFail, fmt.Sprintf("PostgreSQL %s: Patroni 3.0 knows PostgreSQL up to %d (its parameter validator and tools stop there)", n.facts.Version, patroniMaxMajor),
				fmt.Sprintf("use PostgreSQL %d (bootstrap --sandbox N --pg %d), or a newer Patroni", patroniMaxMajor, patroniMaxMajor))
		}
		if !n.facts.Superuser {
			add(n.Name, "patroni role", StatusFail, "Patroni manages the server as a superuser; the plan's user is not one", "connect as a superuser (e.g. postgres)")
		}
		if l := b.opt.Local[n.Name]; l != nil {
			var missing []string
			for _, t := range patroniTools {
				if _, err := os.Stat(filepath.Join(l.Install.BinDir, t)); err != nil {
					missing = append(missing, t)
				}
			}
			if len(missing) > 0 {
				add(n.Name, "patroni tools", StatusFail, fmt.Sprintf("%s has no %s, which Patroni runs", l.Install.BinDir, strings.Join(missing, ", ")),
					fmt.Sprintf("use a full PostgreSQL installation (Debian postgresql-%d)", l.Install.Major))
			}
		}
		if n.ha == nil {
			continue
		}
		if n.ha.Patroni != nil {
			add(n.Name, "patroni", StatusOK, fmt.Sprintf("managed by Patroni %s (%s, %s)", n.ha.Patroni.Patroni.Version, n.ha.Patroni.Role, n.ha.Patroni.State), "")
			continue
		}
		if n.Role == RolePrimary && n.ha.HBAErr != "" {
			add(n.Name, "pg_hba", StatusWarn, "cannot read the access rules to carry them into Patroni's pg_hba: "+n.ha.HBAErr,
				"edit postgresql.pg_hba in the written patroni.yml before starting Patroni")
		}
	}
	return cs
}

var patroniVersionRE = regexp.MustCompile(`patroni (\d+\.\d+\.\d+)`)

func patroniVersion(ctx context.Context, bin string) (string, error) {
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(cctx, bin, "--version").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s --version: %v: %s", bin, err, strings.TrimSpace(string(out)))
	}
	m := patroniVersionRE.FindStringSubmatch(string(out))
	if m == nil {
		return "", fmt.Errorf("%s --version: unexpected output %q", bin, strings.TrimSpace(string(out)))
	}
	return m[1], nil
}

func etcdHealthy(ctx context.Context, base string) error {
	var h struct {
		Health string `json:"health"`
	}
	if err := patroniGet(ctx, base, "/health", &h); err != nil {
		return err
	}
	if h.Health != "true" {
		return fmt.Errorf("reports health %q", h.Health)
	}
	return nil
}

// haTags are the Patroni tags of a node: in synchronous mode, standbys the
// plan names sync_* are the only synchronous candidates; a dr_* standby
// (another region, promoted by a person) is never promoted by Patroni.
func (b *bootstrapper) haTags(n *nodeConn) map[string]bool {
	h := b.ha()
	tags := map[string]bool{}
	if strings.HasPrefix(n.Name, "dr_") {
		tags["nofailover"], tags["nosync"] = true, true
	}
	if h.SynchronousMode && n.Role == RoleStandby && len(b.syncNames()) > 0 && !strings.HasPrefix(n.Name, "sync_") {
		tags["nosync"] = true
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// haParams are the settings Patroni passes on the command line, carried
// over from the primary.
func (b *bootstrapper) haParams() map[string]string {
	prim := b.primary()
	out := map[string]string{}
	if prim.ha != nil {
		for k, v := range prim.ha.Params {
			out[k] = v
		}
	}
	if out["wal_level"] == "minimal" || out["wal_level"] == "" {
		out["wal_level"] = "replica"
	}
	return out
}

// hostPort is where a node's server is reached, from its DSN.
func (n *nodeConn) hostPort() (string, int) {
	cfg, err := pgx.ParseConfig(n.dsn)
	if err != nil {
		return "", 0
	}
	return cfg.Host, int(cfg.Port)
}

// haMember describes a node to its patroni.yml.
func (b *bootstrapper) haMember(n *nodeConn) (patroniMember, error) {
	host, port := n.hostPort()
	cfg, err := pgx.ParseConfig(n.dsn)
	if err != nil {
		return patroniMember{}, err
	}
	m := patroniMember{Name: n.Name, Host: host, Port: port, Superuser: cfg.User, ReplUser: cfg.User, Tags: b.haTags(n)}
	if l := b.opt.Local[n.Name]; l != nil {
		pp, err := b.opt.Sandbox.PatroniPlan(l)
		if err != nil {
			return m, err
		}
		empty := ""
		m.APIListen = net.JoinHostPort(sandbox.Host, strconv.Itoa(pp.APIPort))
		m.DataDir, m.BinDir = l.DataDir, l.Install.BinDir
		m.PGPass = filepath.Join(filepath.Dir(l.DataDir), "pgpass")
		m.SocketDirs, m.Sandbox = &empty, true
		return m, nil
	}
	m.APIListen = net.JoinHostPort(host, strconv.Itoa(patroniAPIPort))
	if n.API != "" {
		if base, err := patroniAPIBase(n.API); err == nil {
			m.APIListen = strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
		}
	}
	major := patroniMaxMajor
	if n.facts != nil {
		major = n.facts.major()
	}
	m.BinDir = fmt.Sprintf("/usr/lib/postgresql/%d/bin", major)
	m.PGPass = "/var/lib/postgresql/.pgpass_patroni"
	if n.ha != nil {
		m.DataDir = n.ha.DataDir
		if d := filepath.Dir(n.ha.ConfigFile); n.ha.ConfigFile != "" && d != n.ha.DataDir {
			m.ConfigDir = d // Debian keeps the configuration in /etc/postgresql/V/NAME
		}
	}
	if m.DataDir == "" {
		m.DataDir = fmt.Sprintf("/var/lib/postgresql/%d/main", major)
	}
	return m, nil
}

// etcdHosts returns the etcd client endpoints of the plan: given, the
// sandbox's, or the members bootstrap writes settings for (the first
// etcd_members node hosts).
func (b *bootstrapper) etcdHosts() []string {
	h := b.ha()
	if len(h.Etcd) > 0 {
		var out []string
		for _, e := range h.Etcd {
			u, _ := etcdEndpoint(e)
			out = append(out, u)
		}
		return out
	}
	if b.haLocal() {
		var out []string
		for _, e := range b.opt.Sandbox.Etcd {
			out = append(out, e.ClientURL())
		}
		return out
	}
	var out []string
	for _, n := range b.etcdNodes() {
		host, _ := n.hostPort()
		out = append(out, "http://"+net.JoinHostPort(host, "2379"))
	}
	return out
}

func (b *bootstrapper) etcdNodes() []*nodeConn {
	k := b.ha().EtcdMembers
	if k > len(b.nodes) {
		k = len(b.nodes)
	}
	return b.nodes[:k]
}

func (b *bootstrapper) haLocal() bool {
	return len(b.nodes) > 0 && b.opt.Local[b.nodes[0].Name] != nil && b.opt.Sandbox != nil
}

// patroniSteps hands a streaming topology to Patroni.
func (b *bootstrapper) patroniSteps() ([]Step, error) {
	if b.haLocal() {
		return b.patroniLocalSteps(), nil
	}
	return b.patroniRemoteSteps()
}

func (b *bootstrapper) patroniLocalSteps() []Step {
	h := b.ha()
	var steps []Step
	prim := b.primary()
	if len(h.Etcd) == 0 {
		steps = append(steps, Step{Node: prim.Name, Action: fmt.Sprintf("start etcd: %d member(s) on 127.0.0.1, the store of Patroni's leader key", h.EtcdMembers),
			Shell: fmt.Sprintf("etcd --name e1 --data-dir %s/etcd/e1/data --listen-client-urls http://127.0.0.1:PORT ...", b.opt.Sandbox.Dir),
			existsFn: func(ctx context.Context, b *bootstrapper) (bool, error) {
				s := b.opt.Sandbox
				if len(s.Etcd) == 0 {
					return false, nil
				}
				for _, e := range s.Etcd {
					if !e.Running() {
						return false, nil
					}
				}
				return true, nil
			},
			run: func(ctx context.Context, b *bootstrapper) error {
				_, err := b.opt.Sandbox.StartEtcd(ctx, h.EtcdMembers)
				return err
			}})
	}
	order := []*nodeConn{prim}
	for _, n := range b.nodes {
		if n != prim {
			order = append(order, n)
		}
	}
	for _, n := range order {
		n := n
		local := b.opt.Local[n.Name]
		action := fmt.Sprintf("hand %s to Patroni: it takes over the running data directory and becomes the leader", n.Name)
		shell := fmt.Sprintf("pg_ctl -D %s stop -m fast\npatroni %s", local.DataDir, filepath.Join(filepath.Dir(local.DataDir), "patroni.yml"))
		if n != prim {
			action = fmt.Sprintf("hand %s to Patroni: it clones the leader into an empty data directory (the old one is kept aside)", n.Name)
			shell = fmt.Sprintf("pg_ctl -D %s stop -m fast\nmv %s %s.aadv-before-standby\npatroni %s", local.DataDir, local.DataDir, local.DataDir,
				filepath.Join(filepath.Dir(local.DataDir), "patroni.yml"))
		}
		if n == prim && n.ha != nil && n.ha.SyncInAuto {
			steps = append(steps, Step{Node: n.Name, Action: "reset synchronous_standby_names set by ALTER SYSTEM (Patroni sets it from now on)",
				SQL: "ALTER SYSTEM RESET synchronous_standby_names", exists: "SELECT NOT " + qSyncInAuto})
		}
		steps = append(steps, Step{Node: n.Name, Action: action, Shell: shell,
			existsFn: func(ctx context.Context, b *bootstrapper) (bool, error) {
				return local.PatroniRunning(), nil
			},
			run: func(ctx context.Context, b *bootstrapper) error { return b.handToPatroni(ctx, n, local, n != prim) }})
	}
	return steps
}

// handToPatroni stops a sandbox node's server and starts Patroni on it,
// then waits until Patroni runs it: as the leader (the primary) or as a
// replica cloned from the leader.
func (b *bootstrapper) handToPatroni(ctx context.Context, n *nodeConn, local *sandbox.Node, standby bool) error {
	m, err := b.haMember(n)
	if err != nil {
		return err
	}
	cfg, err := patroniConfig(*b.ha(), b.etcdHosts(), m, b.haParams(), sandboxHBA)
	if err != nil {
		return err
	}
	if n.conn != nil {
		n.conn.Close(ctx)
		n.conn = nil
	}
	if err := local.Stop(ctx, "fast"); err != nil {
		return err
	}
	if standby && exists(local.DataDir) {
		old := local.DataDir + ".aadv-before-standby"
		for i := 2; exists(old); i++ {
			old = fmt.Sprintf("%s.aadv-before-standby-%d", local.DataDir, i)
		}
		if err := os.Rename(local.DataDir, old); err != nil {
			return fmt.Errorf("move the old data directory aside: %w", err)
		}
	}
	pp, err := b.opt.Sandbox.PatroniPlan(local)
	if err != nil {
		return err
	}
	if err := b.opt.Sandbox.StartPatroni(ctx, local, pp, cfg); err != nil {
		return err
	}
	want := []string{n.Name}
	_, err = waitHA(ctx, b.plan, b.opt.Wait, func(st *HAStatus) string {
		if !local.PatroniRunning() {
			return "patroni exited (log: " + pp.LogFile + ")"
		}
		if why := haHealthy(want)(st); why != "" && !(st.Synchronous && why == "no synchronous standby yet") {
			return why
		}
		if !standby && st.Leader != n.Name {
			return fmt.Sprintf("%s is not the leader (leader: %q)", n.Name, st.Leader)
		}
		return ""
	})
	if err != nil {
		return fmt.Errorf("%w (Patroni log: %s)", err, pp.LogFile)
	}
	conn, err := pgx.Connect(ctx, n.dsn)
	if err != nil {
		return fmt.Errorf("reconnect: %w", err)
	}
	n.conn = conn
	return nil
}

// patroniRemoteSteps writes the configuration of user hosts and lists the
// runbook steps a person runs on them.
func (b *bootstrapper) patroniRemoteSteps() ([]Step, error) {
	files, err := b.haFiles()
	if err != nil {
		return nil, err
	}
	b.files = files
	dir := b.opt.HADir
	prim := b.primary()
	steps := []Step{{Node: prim.Name, Action: fmt.Sprintf("write %d file(s) to %s: each node's patroni.yml, the etcd settings, RUNBOOK.md", len(files), dir),
		run: func(ctx context.Context, b *bootstrapper) error { return writeHAFiles(dir, files) }}}
	h := b.ha()
	if len(h.Etcd) == 0 {
		for i, n := range b.etcdNodes() {
			name := fmt.Sprintf("e%d", i+1)
			steps = append(steps, Step{Node: n.Name, Action: "start etcd member " + name, manual: true,
				Shell: fmt.Sprintf("# on the host of %s, as root (Debian etcd-server):\ninstall -m 0644 %s /etc/default/etcd\nsystemctl restart etcd",
					n.Name, filepath.Join(dir, "etcd", name+".env"))})
		}
	}
	for _, n := range b.haOrder() {
		if n.ha != nil && n.ha.Patroni != nil {
			steps = append(steps, Step{Node: n.Name, Action: "Patroni runs " + n.Name, Status: StepExists,
				existsFn: func(context.Context, *bootstrapper) (bool, error) { return true, nil }})
			continue
		}
		steps = append(steps, Step{Node: n.Name, Action: "hand " + n.Name + " to Patroni", manual: true, Shell: b.remoteRunbook(n)})
	}
	return steps, nil
}

// haOrder is the primary first, then the standbys in plan order.
func (b *bootstrapper) haOrder() []*nodeConn {
	prim := b.primary()
	out := []*nodeConn{prim}
	for _, n := range b.nodes {
		if n != prim {
			out = append(out, n)
		}
	}
	return out
}

func (b *bootstrapper) remoteRunbook(n *nodeConn) string {
	m, _ := b.haMember(n)
	major := patroniMaxMajor
	if n.facts != nil {
		major = n.facts.major()
	}
	lines := []string{
		"# on the host of " + n.Name + ", as root (Debian packages patroni and postgresql-" + strconv.Itoa(major) + "):",
		"install -m 0600 -o postgres -g postgres " + filepath.Join(b.opt.HADir, n.Name, "patroni.yml") + " /etc/patroni/config.yml",
		"install -m 0600 /dev/null /etc/patroni_env.conf   # then write PATRONI_SUPERUSER_PASSWORD=... and PATRONI_REPLICATION_PASSWORD=... into it",
		fmt.Sprintf("systemctl disable --now postgresql@%d-main   # Patroni starts and stops PostgreSQL from now on", major),
	}
	if n.Role != RolePrimary {
		lines = append(lines, fmt.Sprintf("mv %s %s.aadv-before-standby   # Patroni clones the leader into an empty data directory", m.DataDir, m.DataDir))
	}
	lines = append(lines, "systemctl enable --now patroni",
		fmt.Sprintf("curl -s http://%s/patroni   # state running, role %s", m.APIListen, map[bool]string{true: "master", false: "replica"}[n.Role == RolePrimary]))
	return strings.Join(lines, "\n")
}

// haFiles renders the configuration of user hosts.
func (b *bootstrapper) haFiles() ([]HAFile, error) {
	h := b.ha()
	dir := b.opt.HADir
	prim := b.primary()
	var hosts []string
	for _, n := range b.nodes {
		host, _ := n.hostPort()
		hosts = append(hosts, host)
	}
	var existing []string
	if prim.ha != nil {
		existing = prim.ha.HBA
	}
	var files []HAFile
	if len(h.Etcd) == 0 {
		var cluster []string
		for i, n := range b.etcdNodes() {
			host, _ := n.hostPort()
			cluster = append(cluster, fmt.Sprintf("e%d=http://%s", i+1, net.JoinHostPort(host, "2380")))
		}
		for i, n := range b.etcdNodes() {
			host, _ := n.hostPort()
			name := fmt.Sprintf("e%d", i+1)
			files = append(files, HAFile{Path: filepath.Join(dir, "etcd", name+".env"), Node: n.Name,
				Content: etcdMemberConfig(name, host, strings.Join(cluster, ","), h.Scope)})
		}
	}
	for _, n := range b.haOrder() {
		m, err := b.haMember(n)
		if err != nil {
			return nil, err
		}
		hba := userHostsHBA(existing, hosts, m.Superuser, m.ReplUser)
		cfg, err := patroniConfig(*h, b.etcdHosts(), m, b.haParams(), hba)
		if err != nil {
			return nil, err
		}
		files = append(files, HAFile{Path: filepath.Join(dir, n.Name, "patroni.yml"), Node: n.Name, Content: string(cfg)})
	}
	files = append(files, HAFile{Path: filepath.Join(dir, "RUNBOOK.md"), Content: b.runbook()})
	return files, nil
}

func (b *bootstrapper) runbook() string {
	h := b.ha()
	var s strings.Builder
	fmt.Fprintf(&s, "# Automatic failover for %s: Patroni 3.0 with etcd 3.4\n\n", h.Scope)
	fmt.Fprintf(&s, "Written by aadvisor bootstrap. Patroni decides and promotes; aadvisor only wrote these files.\n")
	fmt.Fprintf(&s, "Leader key ttl %ds, loop_wait %ds, retry_timeout %ds: a lost primary is replaced after at most about\n", h.TTL, h.LoopWait, h.RetryTimeout)
	fmt.Fprintf(&s, "ttl + loop_wait = %ds. synchronous_mode: %v. Measure it with 'aadvisor drill'.\n\n", h.TTL+h.LoopWait, h.SynchronousMode)
	step := 1
	if len(h.Etcd) == 0 {
		fmt.Fprintf(&s, "%d. etcd, on the host of each member (all of them before Patroni):\n\n", step)
		for i, n := range b.etcdNodes() {
			fmt.Fprintf(&s, "       # %s (member e%d)\n       install -m 0644 etcd/e%d.env /etc/default/etcd && systemctl restart etcd\n", n.Name, i+1, i+1)
		}
		s.WriteString("\n   Check: `etcdctl --endpoints=" + strings.Join(b.etcdHosts(), ",") + " endpoint health`.\n\n")
		step++
	}
	for _, n := range b.haOrder() {
		what := "the primary first: Patroni takes over its running data directory and becomes the leader"
		if n.Role != RolePrimary {
			what = "a standby: Patroni clones the leader with pg_basebackup"
		}
		fmt.Fprintf(&s, "%d. %s, %s:\n\n", step, n.Name, what)
		for _, l := range strings.Split(b.remoteRunbook(n), "\n") {
			s.WriteString("       " + l + "\n")
		}
		s.WriteString("\n")
		step++
	}
	fmt.Fprintf(&s, "%d. Check: `aadvisor mesh status --plan PLAN` shows the leader, the replicas, their lag and the\n", step)
	s.WriteString("   synchronous standby. Production: enable the watchdog (Patroni watchdog.mode: required with softdog).\n")
	return s.String()
}

func writeHAFiles(dir string, files []HAFile) error {
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f.Path), 0o755); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
		if err := os.WriteFile(f.Path, []byte(f.Content), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", f.Path, err)
		}
	}
	return nil
}

// haReadiness reports nodes and links from Patroni's view: the leader,
// and a link leader → replica per member.
func (b *bootstrapper) haReadiness(ctx context.Context) ([]NodeReadiness, []LinkReadiness) {
	st := ReadHA(ctx, b.plan)
	var nodes []NodeReadiness
	var links []LinkReadiness
	for _, n := range b.nodes {
		nr := NodeReadiness{Name: n.Name, Role: n.Role, DSN: inspect.Redact(n.dsn)}
		if n.facts != nil {
			nr.Version = n.facts.Version
		}
		m, ok := st.Member(n.Name)
		switch {
		case st.Source == "":
			nr.Detail = "no Patroni REST API answers"
		case !ok:
			nr.Detail = "not a Patroni member yet"
		default:
			nr.Ready = m.Running()
			nr.Detail = fmt.Sprintf("Patroni %s, %s, timeline %d", m.Role, m.State, m.Timeline)
		}
		if b.opt.Local[n.Name] == nil && !ok {
			nr.Detail += " (run its runbook steps)"
		}
		nodes = append(nodes, nr)
		if ok && m.Role != PatroniLeader && st.Leader != "" {
			l := LinkReadiness{From: st.Leader, To: n.Name, Name: "patroni slot " + n.Name, State: haLinkState(m, st.Timeline),
				Detail: "Patroni " + m.State}
			l.Ready = l.State == LinkStreaming
			if m.LagBytes != nil {
				l.Detail += ", lag " + inspect.FormatBytesShort(*m.LagBytes)
			}
			if m.Role == PatroniSyncStandby {
				l.Detail = strings.TrimPrefix(l.Detail+", synchronous", ", ")
			}
			links = append(links, l)
		}
	}
	return nodes, links
}

// waitHAReady waits until every member Patroni runs here (or that runs
// already) is healthy.
func (b *bootstrapper) waitHAReady(ctx context.Context) error {
	var members []string
	for _, n := range b.nodes {
		if b.opt.Local[n.Name] != nil || (n.ha != nil && n.ha.Patroni != nil) {
			members = append(members, n.Name)
		}
	}
	if len(members) == 0 {
		return nil // a runbook for a person
	}
	healthy := haHealthy(members)
	_, err := waitHA(ctx, b.plan, b.opt.Wait, func(st *HAStatus) string {
		if why := healthy(st); why != "" {
			return why
		}
		// Patroni says running once the server accepts connections; the
		// replica streams once the leader made its slot (next HA loop).
		leader := b.node(st.Leader)
		if leader == nil || leader.conn == nil {
			return "no connection to the leader " + st.Leader
		}
		for _, name := range members {
			if name == st.Leader {
				continue
			}
			var state string
			err := leader.conn.QueryRow(ctx, `SELECT coalesce((SELECT state FROM pg_catalog.pg_stat_replication WHERE application_name = $1 LIMIT 1), 'not connected')`, name).Scan(&state)
			if err != nil {
				return fmt.Sprintf("%s: %s", st.Leader, inspect.Redact(err.Error()))
			}
			if state != "streaming" {
				return fmt.Sprintf("%s → %s %s", st.Leader, name, state)
			}
		}
		return ""
	})
	return err
}

// PrepareHA fills in what a plan with automatic failover needs before
// bootstrap writes it out: each node's REST API (a free loopback port on
// sandbox nodes, host:8008 on user hosts).
func PrepareHA(p *Plan, local map[string]*sandbox.Node, sb *sandbox.Sandbox) error {
	if p.Topology.HA == nil {
		return nil
	}
	for i := range p.Topology.Nodes {
		n := &p.Topology.Nodes[i]
		if n.API != "" {
			continue
		}
		if l := local[n.Name]; l != nil {
			if sb == nil {
				return errors.New("sandbox nodes without their sandbox")
			}
			pp, err := sb.PatroniPlan(l)
			if err != nil {
				return err
			}
			n.API = "http://" + net.JoinHostPort(sandbox.Host, strconv.Itoa(pp.APIPort))
			continue
		}
		cfg, err := pgx.ParseConfig(n.DSN)
		if err != nil || cfg.Host == "" || placeholRE.MatchString(n.DSN) {
			continue
		}
		n.API = "http://" + net.JoinHostPort(cfg.Host, strconv.Itoa(patroniAPIPort))
	}
	return nil
}
