package pglive

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
)

// TestOutputPluginLibraries reads output_plugin_libraries where the server
// has it (the minor releases from 15.19 on) and judges it with AR909: a
// session that allows only pgoutput is one pglogical's peers cannot decode
// from. A server without the setting lets every plugin decode: no finding.
func TestOutputPluginLibraries(t *testing.T) {
	eachVersion(t, func(t *testing.T, major int) {
		d := newTestDB(t, major)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := d.node.Connect(ctx, d.name)
		if err != nil {
			t.Fatal(err)
		}
		has := false
		err = conn.QueryRow(ctx, "SELECT count(*) = 1 FROM pg_settings WHERE name = 'output_plugin_libraries'").Scan(&has)
		conn.Close(ctx)
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(d.dsn)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if has {
			// A superuser may set it for the session: the shared node keeps its own.
			q.Set("options", "-c output_plugin_libraries=pgoutput")
		}
		u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20") // libpq reads + as itself
		db, _ := mustRead(t, u.String(), Options{})
		v, ok := db.Setting("output_plugin_libraries")
		if ok != has || (has && v != "pgoutput") {
			t.Fatalf("output_plugin_libraries = %q, %v; the server has it: %v", v, ok, has)
		}
		var got []string
		fix := ""
		for _, f := range rules.Run(db, rules.Config{}, rules.All()).Findings {
			if f.RuleID == "AR909" {
				got = append(got, strings.Join(f.Engines, ",")+": "+f.Message)
				fix = f.FixSQL
			}
		}
		want := 0
		if has {
			want = 1
		}
		if len(got) != want || (has && !strings.HasPrefix(got[0], rules.EnginePglogical+": ")) {
			t.Fatalf("AR909 findings %q, want %d for pglogical", got, want)
		}
		if !has {
			return
		}
		// The fix's value, set for a session (ALTER SYSTEM takes the same
		// syntax), allows both plugins: one literal 'a, b' would allow none.
		set, _, _ := strings.Cut(fix, ";")
		set = strings.Replace(set, "ALTER SYSTEM SET", "SET", 1)
		c, err := d.node.Connect(ctx, d.name)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var after string
		if _, err := c.Exec(ctx, set); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		if err := c.QueryRow(ctx, "SELECT setting FROM pg_settings WHERE name = 'output_plugin_libraries'").Scan(&after); err != nil {
			t.Fatal(err)
		}
		if !inspect.ListHas(after, "pglogical_output") || !inspect.ListHas(after, "pgoutput") {
			t.Errorf("after %s: output_plugin_libraries = %q, want pgoutput and pglogical_output in it", set, after)
		}
	})
}
