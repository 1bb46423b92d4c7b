package inspect

import "testing"

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

func TestListHas(t *testing.T) {
	for _, c := range []struct {
		list, item string
		want       bool
	}{
		{"pgoutput, test_decoding", "pgoutput", true},
		{"pgoutput, test_decoding", "pglogical_output", false},
		{`pgoutput,"pglogical_output"`, "pglogical_output", true},
		{"pglogical_output_x", "pglogical_output", false},
		{"", "pgoutput", false},
	} {
		if got := ListHas(c.list, c.item); got != c.want {
			t.Errorf("ListHas(%q, %q) = %v, want %v", c.list, c.item, got, c.want)
		}
	}
}
