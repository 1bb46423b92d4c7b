package inspect

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Source reads a Database from somewhere.
type Source interface {
	Read(ctx context.Context) (*Database, error)
}

// String renders file:line:col.
func (p Position) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
	}
}

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

// QuoteLiteral quotes a string literal for SQL.
func QuoteLiteral(s string) string {
	if strings.Contains(s, `\`) {
		return `E'` + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), `'`, `''`) + `'`
	}
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
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

// QualifiedName is schema.name as people read it (unquoted unless needed).
func (t *Table) QualifiedName() string { return QuoteQualified(t.Schema, t.Name) }

// Ident is the quoted schema-qualified name for SQL.
func (t *Table) Ident() string { return QuoteQualified(t.Schema, t.Name) }

// IsTable reports whether the relation holds rows that logical replication
// carries (ordinary or partitioned table).
func (t *Table) IsTable() bool { return t.Kind == RelTable || t.Kind == RelPartitioned }

// Column returns the named column, or nil.
func (t *Table) Column(name string) *Column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// PrimaryKey returns the primary-key index, or nil.
func (t *Table) PrimaryKey() *Index {
	for _, ix := range t.Indexes {
		if ix.Primary {
			return ix
		}
	}
	return nil
}

// UniqueIndexes returns the valid unique indexes, the primary key included.
func (t *Table) UniqueIndexes() []*Index {
	var out []*Index
	for _, ix := range t.Indexes {
		if (ix.Unique || ix.Primary) && ix.Valid {
			out = append(out, ix)
		}
	}
	return out
}

// IdentityIndex returns the index logical replication uses to identify
// rows: the REPLICA IDENTITY USING INDEX index, else the primary key for
// the default identity; nil for FULL, NOTHING, or no key.
func (t *Table) IdentityIndex() *Index {
	switch t.ReplicaIdentity {
	case IdentityIndex:
		for _, ix := range t.Indexes {
			if ix.ReplicaIdentity || ix.Name == t.ReplicaIdentityIndex {
				return ix
			}
		}
		return nil
	case IdentityDefault, "":
		return t.PrimaryKey()
	}
	return nil
}

// QualifiedName of a sequence.
func (s *Sequence) QualifiedName() string { return QuoteQualified(s.Schema, s.Name) }

// QualifiedName of a function.
func (f *Function) QualifiedName() string { return QuoteQualified(f.Schema, f.Name) }

// Table returns the relation named schema.name. With an empty schema it
// looks in public first, then for a single match in any schema.
func (db *Database) Table(schema, name string) *Table {
	if schema != "" {
		for _, t := range db.Tables {
			if t.Schema == schema && t.Name == name {
				return t
			}
		}
		return nil
	}
	var found *Table
	n := 0
	for _, t := range db.Tables {
		if t.Name != name {
			continue
		}
		if t.Schema == "public" {
			return t
		}
		found = t
		n++
	}
	if n == 1 {
		return found
	}
	return nil
}

// FindTable resolves a reference from a statement.
func (db *Database) FindTable(ref TableRef) *Table { return db.Table(ref.Schema, ref.Name) }

// TableByQualified resolves "schema.name" or "name" (unquoted, as in
// Constraint.RefTable and Table.PartitionOf).
func (db *Database) TableByQualified(q string) *Table {
	schema, name := SplitQualified(q)
	return db.Table(schema, name)
}

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

// Sequence returns the sequence named schema.name (schema may be empty).
func (db *Database) Sequence(schema, name string) *Sequence {
	var found *Sequence
	for _, s := range db.Sequences {
		if s.Name != name {
			continue
		}
		if s.Schema == schema || (schema == "" && s.Schema == "public") {
			return s
		}
		if schema == "" {
			found = s
		}
	}
	return found
}

// Setting returns a setting's value and whether it is known.
func (db *Database) Setting(name string) (string, bool) {
	s, ok := db.Settings[name]
	return s.Value, ok
}

// SettingInt returns an integer setting; ok is false when unknown or not a
// number.
func (db *Database) SettingInt(name string) (int64, bool) {
	v, ok := db.Setting(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

// HasExtension reports whether the named extension is installed.
func (db *Database) HasExtension(name string) bool {
	for _, e := range db.Extensions {
		if e.Name == name {
			return true
		}
	}
	return false
}

// SkippedFor returns the skip record for a kind of evidence, or nil.
func (db *Database) SkippedFor(evidence string) *Skipped {
	for i := range db.Skipped {
		if db.Skipped[i].Evidence == evidence {
			return &db.Skipped[i]
		}
	}
	return nil
}

// Evidence names used in Skipped.Evidence.
const (
	EvidenceStatements   = "pg_stat_statements"
	EvidenceTableStats   = "pg_stat_user_tables"
	EvidenceSettings     = "settings"
	EvidenceLargeObjects = "large_objects"
	EvidenceSlots        = "replication_slots"
	EvidenceSubscription = "subscriptions"
	EvidenceToast        = "toast_sizes"
	EvidenceDatabases    = "databases"
)

// MajorVersion returns the major version (15, 18) of ServerVersion, or 0.
func (db *Database) MajorVersion() int { return db.ServerVersion / 10000 }

// OwnStatementMarker begins the comment that aadvisor's readers put after
// the first word of each statement they send ("/* aadvisor:pglive */",
// "/* aadvisor:observe */"): pg_stat_statements then shows which entries
// are aadvisor's own, and the workload leaves them out.
const OwnStatementMarker = "/* aadvisor:"
