package stmt

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitStatements(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"simple", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"no final semicolon, comments around", "-- c\nSELECT 1 /* x; */ ;\n\n/* a */ SELECT 2 -- tail;", []string{"SELECT 1", "SELECT 2"}},
		{"empty statements", ";;SELECT 1;;", []string{"SELECT 1"}},
		{"quotes", `SELECT 'a;b', "c;d", E'e\';f', 'g''h;';`, []string{`SELECT 'a;b', "c;d", E'e\';f', 'g''h;'`}},
		{"standard string with backslash", `SELECT 'a\'; SELECT 2;`, []string{`SELECT 'a\'`, "SELECT 2"}},
		{"dollar quotes", "CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN x; RETURN $$;$$; END $fn$ LANGUAGE plpgsql; SELECT $1;",
			[]string{"CREATE FUNCTION f() RETURNS int AS $fn$ BEGIN x; RETURN $$;$$; END $fn$ LANGUAGE plpgsql", "SELECT $1"}},
		{"nested comment", "/* a /* b; */ c; */ SELECT 1;", []string{"SELECT 1"}},
		{"parentheses", "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2)); SELECT 1",
			[]string{"CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); INSERT INTO b VALUES (2))", "SELECT 1"}},
		{"begin atomic", "CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT 3; END; SELECT 4;",
			[]string{"CREATE OR REPLACE FUNCTION f(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; SELECT 3; END", "SELECT 4"}},
		{"begin outside a routine is a statement", "BEGIN; UPDATE t SET a = 1; END;", []string{"BEGIN", "UPDATE t SET a = 1", "END"}},
		{"meta-commands", "\\restrict abc\n\\connect db\nSELECT 1;\n\\unrestrict abc\n", []string{"SELECT 1"}},
		{"meta-command ends a statement", "SELECT 1 \\gset\nSELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"unterminated quote runs to the end", "SELECT 1; SELECT 'oops; SELECT 3;", []string{"SELECT 1", "SELECT 'oops; SELECT 3;"}},
		{"identifier with dollar", "SELECT a$b FROM t$1;", []string{"SELECT a$b FROM t$1"}},
		{"only comments", "-- nothing\n/* here */", nil},
		{"copy data of a full dump", "COPY public.t (a, b) FROM stdin;\n1\tx; y\n2\t\\N\n\\.\nSELECT 1;\ncopy t from STDIN with (format csv);\n3,'a;b'\n\\.\r\n",
			[]string{"COPY public.t (a, b) FROM stdin", "SELECT 1", "copy t from STDIN with (format csv)"}},
		{"copy to stdout has no data", "COPY t TO stdout; SELECT 2;", []string{"COPY t TO stdout", "SELECT 2"}},
		{"unterminated copy data", "COPY t FROM stdin;\n1\n2", []string{"COPY t FROM stdin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, sp := range SplitStatements(tt.src) {
				got = append(got, tt.src[sp.Start:sp.End])
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("statements differ (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlainDecimal(t *testing.T) {
	for in, want := range map[string]string{"1e3": "1000", "1.5e2": "150", "1.50e1": "15.0", "1e-3": "0.001", "-2.5E-1": "-0.25", "12e0": "12"} {
		if got := plainDecimal(in); got != want {
			t.Errorf("plainDecimal(%q) = %q, want %q", in, got, want)
		}
	}
}
