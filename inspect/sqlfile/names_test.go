package sqlfile

import "testing"

func TestMakeObjectName(t *testing.T) {
	tests := []struct {
		name1, name2, label, want string
	}{
		{"users", "id", "seq", "users_id_seq"},
		{"users", "", "pkey", "users_pkey"},
		// From PostgreSQL 15 (testdata/pg15_edge_catalog.json).
		{"averyveryveryveryveryverylongtablenamethatgoesonandonandonforev", "averyveryveryveryverylongcolumnnameaswellthatgoesonandon", "seq",
			"averyveryveryveryveryverylong_averyveryveryveryverylongcolu_seq"},
		{"averyveryveryveryveryverylongtablenamethatgoesonandonandonforev", "", "pkey",
			"averyveryveryveryveryverylongtablenamethatgoesonandonandon_pkey"},
		{"täble", "ä", "key", "täble_ä_key"},
	}
	for _, tt := range tests {
		if got := makeObjectName(tt.name1, tt.name2, tt.label); got != tt.want || len(got) > maxIdent {
			t.Errorf("makeObjectName(%q, %q, %q) = %q, want %q", tt.name1, tt.name2, tt.label, got, tt.want)
		}
	}
}
