package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
)

// osUser is the OS user the servers run as when we are root.
type osUser struct {
	name     string
	uid, gid uint32
}

// serverUser returns the user to run servers as: nil when the process is
// not root (servers run as ourselves), else the postgres user.
func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	name := os.Getenv("AADVISOR_PG_USER")
	if name == "" {
		name = "postgres"
	}
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("running as root, so servers must run as the %q OS user, but it does not exist (install postgresql-common or set AADVISOR_PG_USER): %w", name, err)
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("OS user %q: unusable uid/gid %s/%s", name, u.Uid, u.Gid)
	}
	return &osUser{name: name, uid: uint32(uid), gid: uint32(gid)}, nil
}

// as makes cmd run as u (no-op for nil).
func (u *osUser) as(cmd *exec.Cmd) {
	if u == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid}}
	cmd.Env = append(cmd.Env, "HOME="+os.TempDir(), "USER="+u.name, "LOGNAME="+u.name)
}

// chown gives p to u (no-op for nil).
func (u *osUser) chown(p string) error {
	if u == nil {
		return nil
	}
	return os.Lchown(p, int(u.uid), int(u.gid))
}

// traversable reports whether u can reach path: every parent directory
// must be searchable by u (owner, group or other execute bit).
func traversable(path string, u *osUser) bool {
	if u == nil {
		return true
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return false
	}
	for d := abs; ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil {
			return false
		}
		if st.IsDir() {
			sys, ok := st.Sys().(*syscall.Stat_t)
			mode := st.Mode().Perm()
			switch {
			case ok && sys.Uid == u.uid:
				if mode&0o100 == 0 {
					return false
				}
			case ok && sys.Gid == u.gid:
				if mode&0o010 == 0 {
					return false
				}
			default:
				if mode&0o001 == 0 {
					return false
				}
			}
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

// firstBlocked returns the first parent of path that u cannot traverse.
func firstBlocked(path string, u *osUser) string {
	abs, _ := filepath.Abs(path)
	var chain []string
	for d := abs; ; d = filepath.Dir(d) {
		chain = append([]string{d}, chain...)
		if d == filepath.Dir(d) {
			break
		}
	}
	for _, d := range chain {
		if _, err := os.Stat(d); err != nil {
			return ""
		}
		if !traversable(d, u) {
			return d
		}
	}
	return ""
}

// ownerUID is the uid owning a file (0 when unknown).
func ownerUID(st os.FileInfo) uint32 {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Uid
	}
	return 0
}
