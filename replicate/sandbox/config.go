package sandbox

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// initdb creates the node's data directory and writes its configuration,
// sized for a mesh of meshSize nodes.
func (n *Node) initdb(ctx context.Context, meshSize int) error {
	home := filepath.Dir(n.DataDir)
	if err := os.MkdirAll(home, 0o755); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	if err := n.user.chown(home); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	out, err := n.command(ctx, "initdb", "-D", n.DataDir, "-U", Superuser, "--auth=trust",
		"--no-sync", "-E", "UTF8", "--locale=C", "--no-instructions").CombinedOutput()
	if err != nil {
		return fmt.Errorf("node %s: initdb: %v: %s", n.Name, err, lastLine(string(out)))
	}
	if err := n.writeConfig(meshSize); err != nil {
		return fmt.Errorf("node %s: %w", n.Name, err)
	}
	return nil
}

// Config returns the settings every sandbox node gets: logical decoding,
// commit timestamps, capacity for meshSize-1 peers with headroom, the
// statistics extension and pglogical when installed.
func (n *Node) Config(meshSize int) map[string]string {
	preload := []string{}
	if n.Install.HasModule("pg_stat_statements") {
		preload = append(preload, "pg_stat_statements")
	}
	if n.Install.HasModule("pglogical") {
		preload = append(preload, "pglogical")
	}
	peers := meshSize
	cfg := map[string]string{
		"listen_addresses":                "'" + Host + "'",
		"port":                            fmt.Sprint(n.Port),
		"unix_socket_directories":         "''",
		"wal_level":                       "logical",
		"track_commit_timestamp":          "on",
		"max_replication_slots":           fmt.Sprint(10 + 4*peers),
		"max_wal_senders":                 fmt.Sprint(10 + 4*peers),
		"max_worker_processes":            fmt.Sprint(16 + 4*peers),
		"max_logical_replication_workers": fmt.Sprint(8 + 4*peers),
		"shared_preload_libraries":        "'" + strings.Join(preload, ",") + "'",
		"max_connections":                 "60",
		"shared_buffers":                  "32MB",
		"fsync":                           "off", // throwaway nodes; a process crash loses nothing
		"full_page_writes":                "off",
		"wal_keep_size":                   "64MB",
		"logging_collector":               "off",
		"log_line_prefix":                 "'%m [%p] %q%u@%d '",
		"log_min_messages":                "warning",
		"lc_messages":                     "'C'",
		"datestyle":                       "'iso, ymd'",
		"timezone":                        "'UTC'",
	}
	if n.Install.Major >= 18 {
		// 18 tracks a subscriber's replication origins apart from its
		// slots (default 10): one per subscription and table being copied.
		cfg["max_active_replication_origins"] = fmt.Sprint(10 + 4*peers)
	}
	if meshSize > 4 {
		// Many nodes on one small machine (a hub and ten sites): less
		// shared memory each.
		cfg["shared_buffers"] = "16MB"
	}
	return cfg
}

func (n *Node) writeConfig(meshSize int) error {
	cfg := n.Config(meshSize)
	conf := filepath.Join(n.DataDir, "postgresql.conf")
	old, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	// Servers that restrict logical decoding to output_plugin_libraries
	// (15.19 and the minor releases of its day; initdb's postgresql.conf
	// lists every setting the server has) must allow pglogical's plugin.
	if n.Install.HasModule("pglogical") && strings.Contains(string(old), "output_plugin_libraries") {
		cfg["output_plugin_libraries"] = "'pgoutput, test_decoding, pglogical_output'"
	}
	var b strings.Builder
	b.WriteString("# Written by aadvisor sandbox. Throwaway node: fsync is off.\n")
	for _, k := range sortedKeys(cfg) {
		fmt.Fprintf(&b, "%s = %s\n", k, cfg[k])
	}
	if err := n.writeFile("aadvisor.conf", b.String()); err != nil {
		return err
	}
	if !strings.Contains(string(old), "include 'aadvisor.conf'") {
		if err := n.writeFile("postgresql.conf", string(old)+"\ninclude 'aadvisor.conf'\n"); err != nil {
			return err
		}
	}
	hba := `# Written by aadvisor sandbox: loopback only.
# The bootstrap superuser is trusted; every other role needs its password.
host    all             postgres        127.0.0.1/32            trust
host    replication     postgres        127.0.0.1/32            trust
host    all             all             127.0.0.1/32            scram-sha-256
host    replication     all             127.0.0.1/32            scram-sha-256
`
	return n.writeFile("pg_hba.conf", hba)
}

func (n *Node) writeFile(name, content string) error {
	p := filepath.Join(n.DataDir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		return err
	}
	return n.user.chown(p)
}

// SetPort changes the node's port in its configuration (node stopped).
func (n *Node) setPort(port int) error {
	n.Port = port
	p := filepath.Join(n.DataDir, "aadvisor.conf")
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	lines := strings.Split(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "port = ") {
			lines[i] = fmt.Sprintf("port = %d", port)
		}
	}
	return n.writeFile("aadvisor.conf", strings.Join(lines, "\n"))
}

// startRetry starts the node; when another process grabbed its port in
// the meantime and moving is allowed, it moves to a new free port.
func (n *Node) startRetry(ctx context.Context, mayMove bool) error {
	var err error
	for try := 0; try < 4; try++ {
		err = n.Start(ctx)
		if err == nil || !mayMove || !strings.Contains(err.Error(), "port") {
			return err
		}
		p, perr := freePort()
		if perr != nil {
			return perr
		}
		if perr := n.setPort(p); perr != nil {
			return perr
		}
	}
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
