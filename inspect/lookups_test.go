package inspect

import (
	"slices"
	"testing"
)

// TestLookupSameAsDatabase holds Lookup to the answers of the scanning
// look-ups of Database, names in several schemas and duplicates included.
func TestLookupSameAsDatabase(t *testing.T) {
	db := &Database{}
	for _, q := range [][2]string{
		{"public", "a"}, {"s", "a"}, {"s", "b"}, {"t", "b"}, {"s", "c"}, {"s", "c"}, {"", "d"}, {"u", "d"}, {"s", "x.y"},
	} {
		db.Tables = append(db.Tables, &Table{Schema: q[0], Name: q[1]})
		db.Sequences = append(db.Sequences, &Sequence{Schema: q[0], Name: q[1] + "_seq"})
	}
	db.Sequences = append(db.Sequences, &Sequence{Schema: "v", Name: "e_seq"}, &Sequence{Schema: "w", Name: "e_seq"})
	l := NewLookup(db)
	names := []string{"a", "b", "c", "d", "e", "x.y", "missing"}
	for _, schema := range []string{"", "public", "s", "t", "u", "v", "w", "nope"} {
		for _, name := range names {
			if got, want := l.Table(schema, name), db.Table(schema, name); got != want {
				t.Errorf("Table(%q, %q) = %v, want %v", schema, name, got, want)
			}
			if got, want := l.FindTable(TableRef{Schema: schema, Name: name}), db.FindTable(TableRef{Schema: schema, Name: name}); got != want {
				t.Errorf("FindTable(%q, %q) = %v, want %v", schema, name, got, want)
			}
			if got, want := l.Sequence(schema, name+"_seq"), db.Sequence(schema, name+"_seq"); got != want {
				t.Errorf("Sequence(%q, %q) = %v, want %v", schema, name+"_seq", got, want)
			}
		}
	}
	for _, q := range []string{"a", "s.a", "public.a", `"s"."x.y"`, "s.x.y", "t.b", "b", "c", "s.c", "d", "u.d", "nope.a"} {
		if got, want := l.TableByQualified(q), db.TableByQualified(q); got != want {
			t.Errorf("TableByQualified(%q) = %v, want %v", q, got, want)
		}
	}
}

func TestSettingLists(t *testing.T) {
	for _, c := range []struct {
		value string
		want  []string
	}{
		{"pgoutput, test_decoding", []string{"pgoutput", "test_decoding"}},
		{`pgoutput,"pglogical_output"`, []string{"pgoutput", "pglogical_output"}},
		// What ALTER SYSTEM SET x = 'pgoutput, test_decoding' leaves: one name.
		{`"pgoutput, test_decoding"`, []string{"pgoutput, test_decoding"}},
		{`"a""b" , c`, []string{`a"b`, "c"}},
		{"", nil},
		{"  ", nil},
	} {
		got := SplitList(c.value)
		if !slices.Equal(got, c.want) {
			t.Errorf("SplitList(%q) = %q, want %q", c.value, got, c.want)
		}
		if len(c.want) > 0 && !ListHas(c.value, c.want[len(c.want)-1]) {
			t.Errorf("ListHas(%q, %q) = false", c.value, c.want[len(c.want)-1])
		}
	}
	if ListHas(`"pgoutput, test_decoding"`, "pgoutput") || ListHas("pglogical_output_x", "pglogical_output") {
		t.Error("ListHas matched a part of a name")
	}
	if got, want := ListSQL([]string{"pgoutput", "it's"}), `'pgoutput', 'it''s'`; got != want {
		t.Errorf("ListSQL = %s, want %s", got, want)
	}
	for value, want := range map[string]string{
		"pgoutput, test_decoding":    `'pgoutput', 'test_decoding', 'pglogical_output'`,
		`"pgoutput, test_decoding"`:  `'pgoutput', 'test_decoding', 'pglogical_output'`,
		"pgoutput, pglogical_output": `'pgoutput', 'pglogical_output'`,
		"":                           `'pglogical_output'`,
	} {
		if got := ListAddSQL(value, "pglogical_output"); got != want {
			t.Errorf("ListAddSQL(%q) = %s, want %s", value, got, want)
		}
	}
}
