// Package sandbox makes throwaway local PostgreSQL nodes on loopback ports,
// for people trying aadvisor and for its integration tests.
//
// A sandbox is a directory holding one data directory per node and a state
// file (sandbox.json). Servers listen on 127.0.0.1 only. When the process
// runs as root, servers run as the "postgres" OS user, since PostgreSQL
// refuses to run as root.
//
// It imports inspect and pgx only; the test harness built on it is
// replicate/sandbox/sandboxtest, which only tests import.
package sandbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Install is one PostgreSQL server installation.
type Install struct {
	BinDir  string `json:"bin_dir"`
	LibDir  string `json:"lib_dir,omitempty"` // shared libraries the binaries need (npm build), or ""
	PkgLib  string `json:"pkglib_dir"`        // extension modules (.so)
	Version string `json:"version"`           // "18.4"
	Major   int    `json:"major"`
}

// ErrNotFound means no PostgreSQL binaries matched the request.
var ErrNotFound = errors.New("no PostgreSQL server binaries found")

// Env returns the environment for running this installation's binaries.
func (in *Install) Env() []string {
	env := os.Environ()
	if in.LibDir != "" {
		ld := in.LibDir
		if old := os.Getenv("LD_LIBRARY_PATH"); old != "" {
			ld += ":" + old
		}
		env = append(env, "LD_LIBRARY_PATH="+ld)
	}
	return env
}

// HasModule reports whether an extension module (pglogical,
// pg_stat_statements) is installed for this server.
func (in *Install) HasModule(name string) bool {
	_, err := os.Stat(filepath.Join(in.PkgLib, name+".so"))
	return err == nil
}

// FindInstall finds server binaries. want is "" (the newest found), a major
// version ("15", "18"), or a path to a bin directory or installation root.
// The search order: a path in want, AADVISOR_PG_BIN, pg_config on PATH,
// /usr/lib/postgresql/*/bin, then the npm build cache (AADVISOR_PG_CACHE,
// .cache/pg above the working directory, ~/.cache/aadvisor/pg).
func FindInstall(ctx context.Context, want string) (*Install, error) {
	if strings.ContainsRune(want, '/') {
		in, err := probe(ctx, want)
		if err != nil {
			return nil, fmt.Errorf("--pg %s: %w", want, err)
		}
		return in, nil
	}
	major := 0
	if want != "" {
		n, err := strconv.Atoi(want)
		if err != nil || n < 9 || n > 99 {
			return nil, fmt.Errorf("--pg %q: want a major version such as 15 or 18, or a path to a bin directory", want)
		}
		major = n
	}
	var found []*Install
	seen := map[string]bool{}
	for _, dir := range candidateDirs(ctx) {
		abs, err := filepath.Abs(dir)
		if err != nil || seen[abs] {
			continue
		}
		seen[abs] = true
		in, err := probe(ctx, abs)
		if err != nil {
			continue
		}
		if major == 0 || in.Major == major {
			found = append(found, in)
		}
	}
	if len(found) == 0 {
		if major != 0 {
			return nil, fmt.Errorf("--pg %d: %w for PostgreSQL %d (install postgresql-%d, or run 'make pg' for 16, 17 and 18, or set AADVISOR_PG_BIN)", major, ErrNotFound, major, major)
		}
		return nil, fmt.Errorf("%w (install postgresql-15, run 'make pg' for 16, 17 and 18, or set AADVISOR_PG_BIN)", ErrNotFound)
	}
	sort.SliceStable(found, func(i, j int) bool { return versionLess(found[j].Version, found[i].Version) })
	return found[0], nil
}

func candidateDirs(ctx context.Context) []string {
	var dirs []string
	if d := os.Getenv("AADVISOR_PG_BIN"); d != "" {
		dirs = append(dirs, d)
	}
	if pgc, err := exec.LookPath("pg_config"); err == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		out, err := exec.CommandContext(cctx, pgc, "--bindir").Output()
		cancel()
		if err == nil {
			dirs = append(dirs, strings.TrimSpace(string(out)))
		}
	}
	debs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	dirs = append(dirs, debs...)
	for _, c := range CacheDirs() {
		for _, pat := range []string{"*/package/native/bin", "*/native/bin", "*/bin"} {
			m, _ := filepath.Glob(filepath.Join(c, pat))
			dirs = append(dirs, m...)
		}
	}
	return dirs
}

// CacheDirs lists where 'make pg' may have put PostgreSQL builds.
func CacheDirs() []string {
	var dirs []string
	if d := os.Getenv("AADVISOR_PG_CACHE"); d != "" {
		dirs = append(dirs, d)
	}
	// .cache/pg of the checkout we are run from, or that holds the binary
	// (bin/aadvisor built by make).
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		starts = append(starts, filepath.Dir(exe))
	}
	for _, start := range starts {
		for d := start; ; d = filepath.Dir(d) {
			c := filepath.Join(d, ".cache", "pg")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				dirs = append(dirs, c)
				break
			}
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil || d == filepath.Dir(d) {
				break
			}
		}
	}
	if home, err := os.UserCacheDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "aadvisor", "pg"))
	}
	return dirs
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+)(?:\.(\d+))?`)

// probe checks a bin directory (or an installation root holding bin/) and
// asks its postgres binary for the version.
func probe(ctx context.Context, dir string) (*Install, error) {
	if st, err := os.Stat(filepath.Join(dir, "bin", "postgres")); err == nil && !st.IsDir() {
		dir = filepath.Join(dir, "bin")
	}
	for _, b := range []string{"postgres", "initdb", "pg_ctl"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil {
			return nil, fmt.Errorf("%s: no %s binary there", dir, b)
		}
	}
	root := filepath.Dir(dir)
	in := &Install{BinDir: dir, PkgLib: filepath.Join(root, "lib")}
	if _, err := os.Stat(filepath.Join(root, "lib", "postgresql")); err == nil {
		in.PkgLib = filepath.Join(root, "lib", "postgresql")
	}
	if m, _ := filepath.Glob(filepath.Join(root, "lib", "libpq.so*")); len(m) > 0 {
		in.LibDir = filepath.Join(root, "lib")
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(cctx, filepath.Join(dir, "postgres"), "--version")
	cmd.Env = in.Env()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s/postgres --version: %v: %s", dir, err, firstLine(string(out)))
	}
	m := versionRE.FindStringSubmatch(string(out))
	if m == nil {
		return nil, fmt.Errorf("%s/postgres --version: unexpected output %q", dir, firstLine(string(out)))
	}
	in.Major, _ = strconv.Atoi(m[1])
	in.Version = m[1]
	if m[2] != "" {
		in.Version += "." + m[2]
	}
	return in, nil
}

func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// reachable makes sure the server user can use the installation. When the
// binaries sit under a directory the server user cannot traverse (a
// checkout under /root), the installation root is copied once to a shared
// place under the system temporary directory.
func (in *Install) reachable(ctx context.Context, u *osUser) (*Install, error) {
	if u == nil || traversable(in.BinDir, u) {
		return in, nil
	}
	root := filepath.Dir(in.BinDir)
	sum := sha256.Sum256([]byte(root))
	dst := filepath.Join(os.TempDir(), "aadvisor-pg", in.Version+"-"+hex.EncodeToString(sum[:6]))
	if _, err := os.Stat(filepath.Join(dst, "bin", "postgres")); err != nil {
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("copy binaries for the %s user: %w", u.name, err)
		}
		tmp := dst + ".tmp"
		os.RemoveAll(tmp)
		if out, err := exec.CommandContext(ctx, "cp", "-a", root, tmp).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("copy binaries for the %s user: %v: %s", u.name, err, firstLine(string(out)))
		}
		if err := os.Rename(tmp, dst); err != nil && !exists(filepath.Join(dst, "bin", "postgres")) {
			return nil, fmt.Errorf("copy binaries for the %s user: %w", u.name, err)
		}
	}
	cp := *in
	cp.BinDir = filepath.Join(dst, "bin")
	rel := func(p string) string {
		if p == "" {
			return ""
		}
		r, err := filepath.Rel(root, p)
		if err != nil {
			return p
		}
		return filepath.Join(dst, r)
	}
	cp.LibDir, cp.PkgLib = rel(in.LibDir), rel(in.PkgLib)
	return &cp, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
