package inspect

// Lookup finds tables and sequences by name in constant time, with the
// semantics of Database.Table and Database.Sequence, which scan the lists.
// Build one per pass over a model that many look-ups share (rules, report
// advice); it does not follow later changes to the model.
type Lookup struct {
	tables    map[[2]string]*Table
	tableName map[string][]*Table
	sequences map[[2]string]*Sequence
	seqName   map[string][]*Sequence
}

// NewLookup indexes db's tables and sequences.
func NewLookup(db *Database) *Lookup {
	l := &Lookup{
		tables:    make(map[[2]string]*Table, len(db.Tables)),
		tableName: make(map[string][]*Table, len(db.Tables)),
		sequences: make(map[[2]string]*Sequence, len(db.Sequences)),
		seqName:   make(map[string][]*Sequence, len(db.Sequences)),
	}
	for _, t := range db.Tables {
		key := [2]string{t.Schema, t.Name}
		if _, dup := l.tables[key]; !dup {
			l.tables[key] = t
		}
		l.tableName[t.Name] = append(l.tableName[t.Name], t)
	}
	for _, s := range db.Sequences {
		key := [2]string{s.Schema, s.Name}
		if _, dup := l.sequences[key]; !dup {
			l.sequences[key] = s
		}
		l.seqName[s.Name] = append(l.seqName[s.Name], s)
	}
	return l
}

// Table is Database.Table: the relation named schema.name; with an empty
// schema, the one in public, else the only one of that name.
func (l *Lookup) Table(schema, name string) *Table {
	if schema != "" {
		return l.tables[[2]string{schema, name}]
	}
	cands := l.tableName[name]
	for _, t := range cands {
		if t.Schema == "public" {
			return t
		}
	}
	if len(cands) == 1 {
		return cands[0]
	}
	return nil
}

// FindTable is Database.FindTable: it resolves a statement's reference.
func (l *Lookup) FindTable(ref TableRef) *Table { return l.Table(ref.Schema, ref.Name) }

// TableByQualified is Database.TableByQualified: "schema.name" or "name".
func (l *Lookup) TableByQualified(q string) *Table {
	schema, name := SplitQualified(q)
	return l.Table(schema, name)
}

// Sequence is Database.Sequence: the sequence named schema.name; with an
// empty schema, the one in public, else the last of that name.
func (l *Lookup) Sequence(schema, name string) *Sequence {
	if schema != "" {
		// Database.Sequence returns the first exact match.
		return l.sequences[[2]string{schema, name}]
	}
	var found *Sequence
	for _, s := range l.seqName[name] {
		if s.Schema == "" || s.Schema == "public" {
			return s
		}
		found = s
	}
	return found
}
