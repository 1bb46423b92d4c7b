package inspect

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// How PostgreSQL names things: quoting identifiers, literals and
// connection-string values, splitting qualified names, and which schemas
// are the system's. Every package that writes SQL or names an object
// uses these; none keeps its own.

// QuoteIdent quotes an identifier for SQL when it needs quoting: anything
// but a lower-case name of letters, digits and underscores that is not a
// reserved word.
func QuoteIdent(s string) string {
	if s != "" && isPlainIdent(s) && !reserved[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// QuoteQualified quotes schema.name; an empty schema is left out.
func QuoteQualified(schema, name string) string {
	if schema == "" {
		return QuoteIdent(name)
	}
	return QuoteIdent(schema) + "." + QuoteIdent(name)
}

// QuoteIdentLine is QuoteIdent on one line, for text, tables and pages: a
// name holding a character that does not print (a newline, a tab, any
// control or format character) is written in PostgreSQL's Unicode escape
// form, U&"a\000Ab", which names the same object when pasted into SQL.
// Other names are exactly QuoteIdent's.
func QuoteIdentLine(s string) string {
	if strings.IndexFunc(s, notPrintable) < 0 {
		return QuoteIdent(s)
	}
	var b strings.Builder
	b.WriteString(`U&"`)
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`""`)
		case r == '\\':
			b.WriteString(`\\`)
		case notPrintable(r) && r <= 0xFFFF:
			fmt.Fprintf(&b, `\%04X`, r)
		case notPrintable(r):
			fmt.Fprintf(&b, `\+%06X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// QuoteQualifiedLine is QuoteQualified with QuoteIdentLine's parts.
func QuoteQualifiedLine(schema, name string) string {
	if schema == "" {
		return QuoteIdentLine(name)
	}
	return QuoteIdentLine(schema) + "." + QuoteIdentLine(name)
}

func notPrintable(r rune) bool { return r != ' ' && !unicode.IsPrint(r) }

// QuoteLiteral quotes a string literal for SQL that is sent to a server:
// a value holding a backslash is written in the E” form (backslash
// doubled), so that it reads the same whatever standard_conforming_strings
// says; any other value as QuoteLiteralStandard writes it.
func QuoteLiteral(s string) string {
	if strings.Contains(s, `\`) {
		return `E` + QuoteLiteralStandard(strings.ReplaceAll(s, `\`, `\\`))
	}
	return QuoteLiteralStandard(s)
}

// QuoteLiteralStandard quotes a string literal as PostgreSQL prints one
// (ruleutils' simple_quote_literal with standard_conforming_strings on):
// quotes doubled, a backslash left as it is, never the E” form. Use it
// where the text must match what the server shows (pg_get_expr).
func QuoteLiteralStandard(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }

// QuoteConninfo quotes a value of a keyword/value connection string
// (libpq's host=... dbname=... form): a value with a space, a quote or a
// backslash, or an empty one, goes in single quotes with those two
// escaped by a backslash; others are left as they are.
func QuoteConninfo(s string) string {
	if s != "" && !strings.ContainsAny(s, ` '\`) {
		return s
	}
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func isPlainIdent(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r == '_':
		case r >= '0' && r <= '9', r == '$':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// reserved holds the SQL key words PostgreSQL reserves (cannot be a column
// or table name unquoted).
var reserved = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric authorization binary both case cast check collate collation
	column concurrently constraint create cross current_catalog current_date current_role current_schema current_time current_timestamp
	current_user default deferrable desc distinct do else end except false fetch for foreign freeze from full grant group having ilike in
	initially inner intersect into is isnull join lateral leading left like limit localtime localtimestamp natural not notnull null offset on
	only or order outer overlaps placing primary references returning right select session_user similar some symmetric system_user table
	tablesample then to trailing true union unique user using variadic verbose when where window with`) {
		m[w] = true
	}
	return m
}()

// SplitQualified splits an unquoted or quoted "schema.name".
func SplitQualified(q string) (schema, name string) {
	parts := SplitIdents(q)
	switch len(parts) {
	case 0:
		return "", ""
	case 1:
		return "", parts[0]
	default:
		return parts[len(parts)-2], parts[len(parts)-1]
	}
}

// SplitIdents splits a dotted, possibly quoted, identifier list:
// `"My Schema".t` gives [My Schema, t].
func SplitIdents(q string) []string {
	var parts []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '"' && inQuote && i+1 < len(q) && q[i+1] == '"':
			cur.WriteByte('"')
			i++
		case c == '"':
			inQuote = !inQuote
		case c == '.' && !inQuote:
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(parts, cur.String())
}

// systemSchemas are the schemas whose tables are not the application's,
// besides those starting with pg_ (pg_catalog, pg_toast, pg_temp_N: the
// prefix is reserved for the system): the SQL standard's catalog and the
// replication engines' own schemas.
var systemSchemas = []string{"information_schema", "pglogical", "pgactive", "spock", "bdr", "snowflake"}

// SystemSchema reports whether a schema's tables are not the
// application's: the catalogs and the replication engines' own schemas.
func SystemSchema(s string) bool {
	return strings.HasPrefix(s, "pg_") || slices.Contains(systemSchemas, s)
}

// UserSchemaSQL is the SQL condition that keeps the application's schemas,
// those SystemSchema does not name, for the schema name expression col
// (n.nspname).
func UserSchemaSQL(col string) string {
	q := make([]string, len(systemSchemas))
	for i, s := range systemSchemas {
		q[i] = QuoteLiteralStandard(s)
	}
	return col + " NOT IN (" + strings.Join(q, ", ") + ") AND " + col + ` NOT LIKE 'pg\_%'`
}
