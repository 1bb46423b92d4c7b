package inspect

import "testing"

func TestQuoteLiteral(t *testing.T) {
	for _, tc := range []struct{ in, sent, standard string }{
		{"plain", `'plain'`, `'plain'`},
		{"it's", `'it''s'`, `'it''s'`},
		{`C:\dir`, `E'C:\\dir'`, `'C:\dir'`},
		{`a\'b`, `E'a\\''b'`, `'a\''b'`},
	} {
		if got := QuoteLiteral(tc.in); got != tc.sent {
			t.Errorf("QuoteLiteral(%q) = %s, want %s", tc.in, got, tc.sent)
		}
		if got := QuoteLiteralStandard(tc.in); got != tc.standard {
			t.Errorf("QuoteLiteralStandard(%q) = %s, want %s", tc.in, got, tc.standard)
		}
	}
}

func TestQuoteConninfo(t *testing.T) {
	for in, want := range map[string]string{"app": "app", "": "''", "my db": "'my db'", `o'k\x`: `'o\'k\\x'`} {
		if got := QuoteConninfo(in); got != want {
			t.Errorf("QuoteConninfo(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestSystemSchema(t *testing.T) {
	for s, want := range map[string]bool{"pg_catalog": true, "pg_toast": true, "pg_temp_3": true, "information_schema": true,
		"pglogical": true, "spock": true, "snowflake": true, "public": false, "app": false, "pgx": false} {
		if got := SystemSchema(s); got != want {
			t.Errorf("SystemSchema(%q) = %v, want %v", s, got, want)
		}
	}
	const want = `n.nspname NOT IN ('information_schema', 'pglogical', 'pgactive', 'spock', 'bdr', 'snowflake') AND n.nspname NOT LIKE 'pg\_%'`
	if got := UserSchemaSQL("n.nspname"); got != want {
		t.Errorf("UserSchemaSQL = %s\nwant %s", got, want)
	}
}
