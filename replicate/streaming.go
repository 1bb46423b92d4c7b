package replicate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/replicate/sandbox"
	"github.com/jackc/pgx/v5"
)

func (b *bootstrapper) primary() *nodeConn {
	for _, n := range b.nodes {
		if n.Role == RolePrimary {
			return n
		}
	}
	return nil
}

// syncNames are the standbys that form the synchronous quorum: those the
// plan names sync_* (ask/recommend name metro standbys so).
func (b *bootstrapper) syncNames() []string {
	var out []string
	for _, n := range b.nodes {
		if n.Role == RoleStandby && strings.HasPrefix(n.Name, "sync_") {
			out = append(out, n.Name)
		}
	}
	return out
}

// syncSetting is the synchronous_standby_names value for the quorum.
func (b *bootstrapper) syncSetting() string {
	names := b.syncNames()
	if len(names) == 0 {
		return ""
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = ident(n)
	}
	return fmt.Sprintf("ANY 1 (%s)", strings.Join(quoted, ", "))
}

// streamingSteps: a physical slot per standby on the primary, each
// standby rebuilt from the primary (pg_basebackup -R for local nodes, a
// runbook for remote ones), then the synchronous quorum when the plan has
// sync_* standbys.
func (b *bootstrapper) streamingSteps() []Step {
	prim := b.primary()
	var steps []Step
	for _, n := range b.nodes {
		if n.Role != RoleStandby {
			continue
		}
		slot := physSlotName(n.Name)
		steps = append(steps, Step{Node: prim.Name, Action: "create physical slot " + slot + " for " + n.Name,
			SQL:        fmt.Sprintf("SELECT pg_catalog.pg_create_physical_replication_slot(%s, true)", literal(slot)),
			exists:     `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_replication_slots WHERE slot_name = $1)`,
			existsArgs: []any{slot}})
	}
	for _, n := range b.nodes {
		if n.Role != RoleStandby {
			continue
		}
		n := n
		local := b.opt.Local[n.Name]
		slot := physSlotName(n.Name)
		conninfo := b.primaryConninfo(prim, n.Name)
		st := Step{Node: n.Name, Action: fmt.Sprintf("rebuild %s as a standby of %s", n.Name, prim.Name)}
		if local != nil {
			st.Shell = fmt.Sprintf("pg_ctl -D %s stop; mv %s %s.aadv-before-standby; pg_basebackup -D %s -d %s -R -S %s -X stream -c fast; pg_ctl -D %s start",
				local.DataDir, local.DataDir, local.DataDir, local.DataDir, shellQuote(inspect.Redact(conninfo)), slot, local.DataDir)
			st.exists = `SELECT pg_catalog.pg_is_in_recovery()`
			st.run = func(ctx context.Context, b *bootstrapper) error { return b.rebuildStandby(ctx, prim, n, local) }
		} else if n.facts.InRecovery {
			st.Status, st.exists = StepExists, `SELECT true`
		} else {
			st.manual = true
			st.Shell = strings.Join([]string{
				"# on the host of " + n.Name + ", as the postgres OS user (PGDATA = its data directory; it holds no data yet):",
				"pg_ctl -D \"$PGDATA\" stop -m fast",
				"mv \"$PGDATA\" \"$PGDATA.aadv-before-standby\"",
				fmt.Sprintf("pg_basebackup -D \"$PGDATA\" -d %s -R -S %s -X stream -c fast", shellQuote(inspect.Redact(conninfo)), slot),
				"pg_ctl -D \"$PGDATA\" start",
			}, "\n")
		}
		steps = append(steps, st)
	}
	if sync := b.syncSetting(); sync != "" {
		isSet := `SELECT pg_catalog.current_setting('synchronous_standby_names') = $1`
		// Commits on the primary wait for the quorum: set it only when
		// the sync standbys will stream by the end of this run.
		manual := false
		for _, name := range b.syncNames() {
			n := b.node(name)
			manual = manual || (b.opt.Local[name] == nil && !n.facts.InRecovery)
		}
		set := Step{Node: prim.Name, Action: "synchronous quorum " + sync,
			SQL: "ALTER SYSTEM SET synchronous_standby_names = " + literal(sync), exists: isSet, existsArgs: []any{sync}}
		reload := Step{Node: prim.Name, Action: "reload configuration", SQL: "SELECT pg_catalog.pg_reload_conf()", exists: isSet, existsArgs: []any{sync}}
		if manual {
			set.manual, reload.manual = true, true
			set.Action += " (once the sync standbys stream: commits wait for them)"
		}
		steps = append(steps, set, reload)
	}
	return steps
}

// primaryConninfo is the keyword/value connection string a standby uses.
func (b *bootstrapper) primaryConninfo(prim *nodeConn, appName string) string {
	cfg, err := pgx.ParseConfig(prim.dsn)
	if err != nil {
		return prim.dsn
	}
	parts := []string{"host=" + inspect.QuoteConninfo(cfg.Host), "port=" + strconv.Itoa(int(cfg.Port)), "user=" + inspect.QuoteConninfo(cfg.User)}
	if cfg.Password != "" {
		parts = append(parts, "password="+inspect.QuoteConninfo(cfg.Password))
	}
	if cfg.TLSConfig == nil {
		parts = append(parts, "sslmode=disable")
	}
	parts = append(parts, "application_name="+inspect.QuoteConninfo(appName))
	return strings.Join(parts, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// rebuildStandby replaces a local node's (empty) data directory with a
// base backup of the primary and starts it as a standby. The old data
// directory is kept beside it, renamed, never deleted.
func (b *bootstrapper) rebuildStandby(ctx context.Context, prim, n *nodeConn, local *sandbox.Node) error {
	if n.conn != nil {
		n.conn.Close(ctx)
		n.conn = nil
	}
	if err := local.Stop(ctx, "fast"); err != nil {
		return err
	}
	dataDir := local.DataDir
	st, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("standby data directory: %w", err)
	}
	owner := ownerOf(st)
	old := dataDir + ".aadv-before-standby"
	for i := 2; exists(old); i++ {
		old = fmt.Sprintf("%s.aadv-before-standby-%d", dataDir, i)
	}
	if err := os.Rename(dataDir, old); err != nil {
		return fmt.Errorf("move the old data directory aside: %w", err)
	}
	conninfo := b.primaryConninfo(prim, n.Name)
	slot := physSlotName(n.Name)
	if bb := findBasebackup(ctx, local.Install); bb != "" {
		cmd := exec.CommandContext(ctx, bb, "-D", dataDir, "-d", conninfo, "-R", "-S", slot, "-X", "stream", "-c", "fast", "--no-sync")
		cmd.Env = local.Install.Env()
		owner.as(cmd)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("pg_basebackup: %v: %s", err, inspect.Redact(strings.TrimSpace(string(out))))
		}
	} else {
		// No pg_basebackup for this major version (the npm build ships
		// none): take the backup with the low-level API and a file copy,
		// which needs the primary's data directory on this machine.
		pl := b.opt.Local[prim.Name]
		if pl == nil {
			return fmt.Errorf("no pg_basebackup for PostgreSQL %d found, and the primary is not a local node: install the client tools", local.Install.Major)
		}
		if err := lowLevelBackup(ctx, prim.dsn, pl.DataDir, dataDir, owner); err != nil {
			return err
		}
		if err := appendFile(filepath.Join(dataDir, "postgresql.auto.conf"), owner,
			fmt.Sprintf("primary_conninfo = %s\nprimary_slot_name = %s\n", literal(conninfo), literal(slot))); err != nil {
			return err
		}
		if err := appendFile(filepath.Join(dataDir, "standby.signal"), owner, ""); err != nil {
			return err
		}
	}
	// The node keeps its own configuration (port, access rules).
	for _, f := range []string{"postgresql.conf", "aadvisor.conf", "pg_hba.conf", "pg_ident.conf"} {
		if err := copyFile(filepath.Join(old, f), filepath.Join(dataDir, f), owner); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("restore %s: %w", f, err)
		}
	}
	if err := local.Start(ctx); err != nil {
		return err
	}
	conn, err := connect(ctx, n.dsn)
	if err != nil {
		return fmt.Errorf("reconnect: %w", err)
	}
	n.conn = conn
	return nil
}

var bbVersionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)`)

// findBasebackup finds a pg_basebackup at least as new as the server.
func findBasebackup(ctx context.Context, in *sandbox.Install) string {
	cands := []string{filepath.Join(in.BinDir, "pg_basebackup"), fmt.Sprintf("/usr/lib/postgresql/%d/bin/pg_basebackup", in.Major)}
	if p, err := exec.LookPath("pg_basebackup"); err == nil {
		cands = append(cands, p)
	}
	for _, c := range cands {
		if !exists(c) {
			continue
		}
		cmd := exec.CommandContext(ctx, c, "--version")
		cmd.Env = in.Env()
		out, err := cmd.Output()
		if err != nil {
			continue
		}
		if m := bbVersionRE.FindStringSubmatch(string(out)); m != nil {
			if v, _ := strconv.Atoi(m[1]); v >= in.Major {
				return c
			}
		}
	}
	return ""
}

// lowLevelBackup copies a running primary's data directory between
// pg_backup_start and pg_backup_stop and writes the backup label. WAL is
// not copied: the standby streams it through its slot.
func lowLevelBackup(ctx context.Context, primaryDSN, src, dst string, owner fileOwner) error {
	conn, err := connect(ctx, primaryDSN)
	if err != nil {
		return fmt.Errorf("connect to primary: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "SELECT pg_catalog.pg_backup_start('aadvisor', true)"); err != nil {
		return fmt.Errorf("pg_backup_start: %w", err)
	}
	copyErr := copyDataDir(src, dst, owner)
	var label, spcmap string
	if err := conn.QueryRow(ctx, "SELECT labelfile, coalesce(spcmapfile, '') FROM pg_catalog.pg_backup_stop(false)").Scan(&label, &spcmap); err != nil {
		return fmt.Errorf("pg_backup_stop: %w", err)
	}
	if copyErr != nil {
		return fmt.Errorf("copy data directory: %w", copyErr)
	}
	if err := appendFile(filepath.Join(dst, "backup_label"), owner, label); err != nil {
		return err
	}
	if spcmap != "" {
		return appendFile(filepath.Join(dst, "tablespace_map"), owner, spcmap)
	}
	return nil
}

// copyDataDir copies a live data directory, leaving out what a base backup
// leaves out, and tolerating files that vanish during the copy.
func copyDataDir(src, dst string, owner fileOwner) error {
	skipContents := map[string]bool{"pg_wal": true, "pg_replslot": true, "pg_stat_tmp": true, "pg_dynshmem": true,
		"pg_notify": true, "pg_serial": true, "pg_snapshots": true, "pg_subtrans": true}
	skipFiles := map[string]bool{"postmaster.pid": true, "postmaster.opts": true, "backup_label": true, "tablespace_map": true,
		"standby.signal": true, "recovery.signal": true}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o700); err != nil {
				return err
			}
			if err := owner.chown(target); err != nil {
				return err
			}
			if skipContents[rel] || strings.HasSuffix(rel, "pgsql_tmp") {
				if rel == "pg_wal" {
					os.MkdirAll(filepath.Join(target, "archive_status"), 0o700)
					owner.chown(filepath.Join(target, "archive_status"))
				}
				return fs.SkipDir
			}
			return nil
		}
		if skipFiles[rel] || !d.Type().IsRegular() {
			return nil
		}
		if err := copyFile(p, target, owner); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
}

type fileOwner struct {
	uid, gid int
	set      bool // chown needed (we are root and the owner is not)
}

func ownerOf(st os.FileInfo) fileOwner {
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok || os.Geteuid() != 0 || sys.Uid == 0 {
		return fileOwner{}
	}
	return fileOwner{uid: int(sys.Uid), gid: int(sys.Gid), set: true}
}

func (o fileOwner) chown(p string) error {
	if !o.set {
		return nil
	}
	return os.Lchown(p, o.uid, o.gid)
}

func (o fileOwner) as(cmd *exec.Cmd) {
	if !o.set {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid)}}
	cmd.Dir = os.TempDir()
	cmd.Env = append(cmd.Env, "HOME="+os.TempDir())
}

func copyFile(src, dst string, owner fileOwner) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	return owner.chown(dst)
}

func appendFile(p string, owner fileOwner, content string) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(p), err)
	}
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", filepath.Base(p), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(p), err)
	}
	return owner.chown(p)
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
