package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// The version comes from what Go records about the build: a tag or
// pseudo-version as it is (not with the commit added twice), else the
// commit, its time and whether the tree was modified.
func TestStampVersion(t *testing.T) {
	vcs := func(rev, at, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: at}, {Key: "vcs.modified", Value: modified}}
	}
	const rev = "41953bc1945e673cfff352aad84e7f871135704d"
	for _, tc := range []struct {
		name   string
		linked string
		bi     *debug.BuildInfo
		want   buildInfo
	}{
		{"no build info", "", nil, buildInfo{Version: "devel"}},
		{"no vcs", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, buildInfo{Version: "devel"}},
		{"commit", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-11-26T00:38:13Z", "false")},
			buildInfo{Version: "devel-41953bc1945e-20261126003813", Revision: rev, Time: "2026-11-26T00:38:13Z"}},
		{"modified", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs(rev, "2026-11-26T00:38:13Z", "true")},
			buildInfo{Version: "devel-41953bc1945e-20261126003813+dirty", Revision: rev, Time: "2026-11-26T00:38:13Z", Modified: true}},
		{"pseudo-version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261126003813-41953bc1945e"}, Settings: vcs(rev, "2026-11-26T00:38:13Z", "false")},
			buildInfo{Version: "v0.0.0-20261126003813-41953bc1945e", Revision: rev, Time: "2026-11-26T00:38:13Z"}},
		{"tag", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: vcs(rev, "2026-11-26T00:38:13Z", "false")},
			buildInfo{Version: "v1.2.0", Revision: rev, Time: "2026-11-26T00:38:13Z"}},
		{"linker", "v9.9.9", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, buildInfo{Version: "v9.9.9"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, stampVersion(tc.linked, tc.bi)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestVersionStamped: what 'make dist' stamps with -ldflags is what
// 'aadvisor version' prints, in text and JSON, and what reports name.
func TestVersionStamped(t *testing.T) {
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "1.4.0", "0123456789abcdef0123456789abcdef01234567", "2026-12-01T10:00:00Z"
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"version"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := "aadvisor 1.4.0 (commit 0123456789abcdef0123456789abcdef01234567, built 2026-12-01T10:00:00Z, " + runtime.Version() + ")\n"
	if out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
	out.Reset()
	if code := run(context.Background(), []string{"version", "--format", "json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var got map[string]any
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got["schema_version"] != 1.0 || got["version"] != "1.4.0" || got["revision"] != commit || got["time"] != date || got["go"] != runtime.Version() {
		t.Errorf("json: %s", out.String())
	}
	if v := versionString(); v != "1.4.0" {
		t.Errorf("versionString() = %q: reports and plans name the stamped version", v)
	}
	// Not stamped: Go's build information (TestStampVersion); a test
	// binary has no VCS information.
	version, commit, date = "", "", ""
	out.Reset()
	run(context.Background(), []string{"version"}, nil, &out, &errb)
	if want := "aadvisor devel (" + runtime.Version() + ")\n"; out.String() != want {
		t.Errorf("unstamped: %q, want %q", out.String(), want)
	}
	// The stamped commit and date win over the build information's.
	b := stamped(buildInfo{Version: "v1", Revision: "aaa", Time: "t0", Modified: true}, "bbb-dirty", "t1")
	if b != (buildInfo{Version: "v1", Revision: "bbb-dirty", Time: "t1"}) {
		t.Errorf("stamped: %+v", b)
	}
}
