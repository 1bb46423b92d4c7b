package inspect

import "testing"

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://app:s3cr3t@127.0.0.1:5432/db", "postgres://app:xxxxx@127.0.0.1:5432/db"},
		{"postgresql://app:p%40ss@localhost/db?sslmode=disable", "postgresql://app:xxxxx@localhost/db?sslmode=disable"},
		{"host=127.0.0.1 user=app password=hunter2 dbname=x", "host=127.0.0.1 user=app password=xxxxx dbname=x"},
		{"host=h password='a b c' dbname=x", "host=h password=xxxxx dbname=x"},
		{"postgres://h/db?user=a&password=zz&sslmode=require", "postgres://h/db?user=a&password=xxxxx&sslmode=require"},
		{"postgres://app@127.0.0.1/db", "postgres://app@127.0.0.1/db"},
		{"no secrets here", "no secrets here"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQuoteIdent(t *testing.T) {
	tests := []struct{ in, want string }{
		{"orders", "orders"},
		{"Orders", `"Orders"`},
		{"user", `"user"`},
		{`we"ird`, `"we""ird"`},
		{"a b", `"a b"`},
		{"t1", "t1"},
		{"1t", `"1t"`},
		{"", `""`},
	}
	for _, tt := range tests {
		if got := QuoteIdent(tt.in); got != tt.want {
			t.Errorf("QuoteIdent(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := QuoteQualified("public", "order"); got != `public."order"` {
		t.Errorf("QuoteQualified = %q", got)
	}
	if s, n := SplitQualified(`"My Schema"."t.x"`); s != "My Schema" || n != "t.x" {
		t.Errorf("SplitQualified = %q %q", s, n)
	}
}

// Names that do not print come out on one line, in the U& form PostgreSQL
// reads back as the same name (checked on PostgreSQL 15: SELECT FROM
// U&"a\000Ab""\\c" finds the table "a<newline>b""\c").
func TestQuoteIdentLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"orders", "orders"},
		{`we"ird`, `"we""ird"`},
		{"a\nb", `U&"a\000Ab"`},
		{"a\nb\"\\c", `U&"a\000Ab""\\c"`},
		{"tab\there", `U&"tab\0009here"`},
		{"zw\u200bsp", `U&"zw\200Bsp"`},
		{"x\U000E0001", `U&"x\+0E0001"`},
		{"é", `"é"`},
	}
	for _, tt := range tests {
		if got := QuoteIdentLine(tt.in); got != tt.want {
			t.Errorf("QuoteIdentLine(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
	if got := QuoteQualifiedLine("public", "a\nb"); got != `public.U&"a\000Ab"` {
		t.Errorf("QuoteQualifiedLine = %s", got)
	}
}
