package inspect

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// SplitList splits the value of a setting that lists names
// (shared_preload_libraries, output_plugin_libraries) as the server does:
// names separated by commas, the spaces around them left out, a name in
// double quotes taken whole (commas and spaces included, "" for a quote).
// pg_settings shows such a list as 'pgoutput, test_decoding'; a list set
// with ALTER SYSTEM SET x = 'a, b' is the one name "a, b".
func SplitList(value string) []string {
	var out []string
	i := 0
	for {
		for i < len(value) && (value[i] == ' ' || value[i] == '\t' || value[i] == '\n') {
			i++
		}
		if i >= len(value) {
			return out
		}
		var b strings.Builder
		if value[i] == '"' {
			for i++; i < len(value); i++ {
				if value[i] == '"' {
					if i+1 < len(value) && value[i+1] == '"' {
						b.WriteByte('"')
						i++
						continue
					}
					i++
					break
				}
				b.WriteByte(value[i])
			}
			for i < len(value) && value[i] != ',' {
				i++
			}
		} else {
			start := i
			for i < len(value) && value[i] != ',' {
				i++
			}
			b.WriteString(strings.TrimSpace(value[start:i]))
		}
		out = append(out, b.String())
		if i >= len(value) {
			return out
		}
		i++ // the comma
	}
}

// ListHas reports whether a setting that lists names (see SplitList)
// names item.
func ListHas(value, item string) bool {
	for _, name := range SplitList(value) {
		if name == item {
			return true
		}
	}
	return false
}

// ListSQL writes names as the value of ALTER SYSTEM SET for a setting that
// lists them: 'a', 'b'. One literal 'a, b' would set the one name "a, b".
func ListSQL(names []string) string {
	if len(names) == 0 {
		return "''"
	}
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = QuoteLiteral(n)
	}
	return strings.Join(quoted, ", ")
}

// ListAddSQL writes the value of ALTER SYSTEM SET that adds name to a
// setting that lists library names: its names and name, each its own
// literal. A name holding commas is split into its parts: no library is
// named so, it is what ALTER SYSTEM SET x = 'a, b' left.
func ListAddSQL(value, name string) string {
	var names []string
	for _, n := range SplitList(value) {
		if strings.Contains(n, ",") {
			names = append(names, SplitList(n)...)
		} else if n != "" {
			names = append(names, n)
		}
	}
	if !slices.Contains(names, name) {
		names = append(names, name)
	}
	return ListSQL(names)
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
	// EvidenceHiddenSettings: the settings only superusers and members of
	// pg_read_all_settings may see in pg_settings (shared_preload_libraries,
	// output_plugin_libraries, ...); a role without either reads the rest.
	EvidenceHiddenSettings = "superuser_settings"
)

// MajorVersion returns the major version (15, 18) of ServerVersion, or 0.
func (db *Database) MajorVersion() int { return db.ServerVersion / 10000 }

// OwnStatementMarker begins the comment that aadvisor's readers put after
// the first word of each statement they send ("/* aadvisor:pglive */",
// "/* aadvisor:observe */"): pg_stat_statements then shows which entries
// are aadvisor's own, and the workload leaves them out.
const OwnStatementMarker = "/* aadvisor:"
