package main

import (
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
