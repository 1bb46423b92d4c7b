package sqlfile

import (
	"slices"
	"strings"

	pg_query "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/proto"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// ReadSchema adds the objects that one schema source (pg_dump
// --schema-only output or plain DDL) defines to db. Problems, including
// statements that do not parse, are recorded in db.Errors with their
// position; the other statements are still read.
func ReadSchema(db *inspect.Database, name string, src []byte) {
	if ierr := checkText(name, src); ierr != nil {
		db.Errors = append(db.Errors, *ierr)
		return
	}
	text := string(stripBOM(src))
	if db.ServerVersion == 0 {
		db.ServerVersion = versionFromDump(text)
	}
	r := newSchemaReader(db, name, text)
	spans := stmt.SplitStatements(text)
	if len(spans) == 0 {
		db.Errors = append(db.Errors, inspect.InputError{Pos: inspect.Position{File: name}, Message: "file holds no SQL statements"})
		return
	}
	// A statement that does not parse gives back the rest of its span,
	// split again, to read before the statements after it. The spans wait
	// on a stack of lists: prepending them to one list would copy every
	// statement left for each statement read.
	pending := [][]stmt.Span{spans}
	for len(pending) > 0 {
		top := len(pending) - 1
		if len(pending[top]) == 0 {
			pending = pending[:top]
			continue
		}
		sp := pending[top][0]
		pending[top] = pending[top][1:]
		if again := r.statement(sp); len(again) > 0 {
			pending = append(pending, again)
		}
	}
	r.finish()
}

// maxResyncs bounds how often one file is read again after a statement
// that did not parse; past it the rest of the bad statement is skipped.
// Each resync re-splits what follows the error, so the bound keeps a
// hostile file from costing time quadratic in its size.
const maxResyncs = 1000

// qname is a schema-qualified object name.
type qname struct{ schema, name string }

func (q qname) String() string { return q.schema + "." + q.name }

// schemaReader builds the model from the statements of one file.
type schemaReader struct {
	db   *inspect.Database
	li   *stmt.LineIndex
	base int      // byte offset of the statement being read
	path []string // current search_path

	tables    map[qname]*inspect.Table
	sequences map[qname]*inspect.Sequence
	relNames  map[qname]bool // names of relations, indexes and sequences
	conNames  map[qname]bool // constraint names per schema
	functions map[string]*inspect.Function
	funcSigs  map[*inspect.Function][2]string // argument types (all, inputs), for DROP FUNCTION
	types     map[qname]bool                  // user-defined types and domains
	// indexBasis holds, per index, the names PostgreSQL derives for its
	// columns when LIKE ... INCLUDING INDEXES copies it.
	indexBasis map[*inspect.Index][]string
	// rw is the current statement as given to the parser (see
	// rewriteGenerated).
	rw      rewritten
	los     int64 // lo_create/lo_import calls seen
	resyncs int   // statements read again after a parse error
}

func newSchemaReader(db *inspect.Database, file, src string) *schemaReader {
	r := &schemaReader{
		db: db, li: stmt.NewLineIndex(file, src), path: []string{"public"},
		tables: map[qname]*inspect.Table{}, sequences: map[qname]*inspect.Sequence{},
		relNames: map[qname]bool{}, conNames: map[qname]bool{}, functions: map[string]*inspect.Function{}, funcSigs: map[*inspect.Function][2]string{},
		types: map[qname]bool{}, indexBasis: map[*inspect.Index][]string{},
	}
	for _, t := range db.Tables {
		r.tables[qname{t.Schema, t.Name}] = t
		r.relNames[qname{t.Schema, t.Name}] = true
		for _, ix := range t.Indexes {
			r.relNames[qname{t.Schema, ix.Name}] = true
		}
		for _, c := range t.Constraints {
			r.conNames[qname{t.Schema, c.Name}] = true
		}
	}
	for _, s := range db.Sequences {
		r.sequences[qname{s.Schema, s.Name}] = s
		r.relNames[qname{s.Schema, s.Name}] = true
	}
	for _, f := range db.Functions {
		r.functions[f.Schema+"."+f.Name+"("+f.Args+")"] = f
	}
	return r
}

// pos returns the position of a parser location in the current statement
// (-1, the parser's "unknown", gives the statement's start).
func (r *schemaReader) pos(loc int32) inspect.Position {
	if loc < 0 {
		loc = 0
	}
	return r.li.Pos(r.base + r.rw.original(int(loc)))
}

func (r *schemaReader) errorf(loc int32, msg string) {
	r.db.Errors = append(r.db.Errors, inspect.InputError{Pos: r.pos(loc), Message: msg})
}

// statement parses and applies one statement. When it does not parse,
// the error is recorded with the lines skipped, and the statements found
// again after the error (see resync) are returned to be read next.
func (r *schemaReader) statement(sp stmt.Span) (again []stmt.Span) {
	rw := rewriteGenerated(r.li.Src[sp.Start:sp.End])
	tree, err := stmt.Parse(rw.text)
	if err != nil {
		off, msg := stmt.ParseErrorOffset(rw.text, err)
		at := sp.Start + rw.original(off)
		next, ok := stmt.Resync(r.li.Src, sp, at)
		if ok && r.resyncs < maxResyncs {
			r.resyncs++
			again = stmt.SplitRange(r.li.Src, next, sp.End)
		} else {
			next = sp.End
		}
		r.db.Errors = append(r.db.Errors, inspect.InputError{Pos: r.li.Pos(at), Message: msg, Skipped: stmt.SkippedLines(r.li, sp.Start, next)})
		return again
	}
	r.base, r.rw = sp.Start, rw
	for _, raw := range tree.GetStmts() {
		r.apply(raw.GetStmt(), raw.GetStmtLocation())
	}
	return nil
}

// apply dispatches one parsed statement.
func (r *schemaReader) apply(n *pg_query.Node, loc int32) {
	switch {
	case n.GetCreateStmt() != nil:
		r.createTable(n.GetCreateStmt(), "")
	case n.GetCreateForeignTableStmt() != nil:
		r.createTable(n.GetCreateForeignTableStmt().GetBaseStmt(), inspect.RelForeign)
	case n.GetViewStmt() != nil:
		v := n.GetViewStmt()
		r.createView(v.GetView(), inspect.RelView, v.GetQuery(), v.GetReplace())
	case n.GetCreateTableAsStmt() != nil:
		r.createTableAs(n.GetCreateTableAsStmt())
	case n.GetAlterTableStmt() != nil:
		r.alterTable(n.GetAlterTableStmt())
	case n.GetIndexStmt() != nil:
		r.createIndex(n.GetIndexStmt())
	case n.GetCreateSeqStmt() != nil:
		r.createSequence(n.GetCreateSeqStmt())
	case n.GetAlterSeqStmt() != nil:
		r.alterSequence(n.GetAlterSeqStmt())
	case n.GetCreateTrigStmt() != nil:
		r.createTrigger(n.GetCreateTrigStmt(), loc)
	case n.GetRuleStmt() != nil:
		r.createRule(n.GetRuleStmt(), loc)
	case n.GetCreateFunctionStmt() != nil:
		r.createFunction(n.GetCreateFunctionStmt(), loc)
	case n.GetCreateEventTrigStmt() != nil:
		r.createEventTrigger(n.GetCreateEventTrigStmt(), loc)
	case n.GetAlterEventTrigStmt() != nil:
		r.alterEventTrigger(n.GetAlterEventTrigStmt())
	case n.GetCreatePolicyStmt() != nil:
		if t := r.mustTable(n.GetCreatePolicyStmt().GetTable()); t != nil {
			if name := n.GetCreatePolicyStmt().GetPolicyName(); !slices.Contains(t.Policies, name) {
				t.Policies = append(t.Policies, name)
			}
		}
	case n.GetCreateExtensionStmt() != nil:
		r.createExtension(n.GetCreateExtensionStmt(), loc)
	case n.GetAlterOwnerStmt() != nil:
		r.addRole(n.GetAlterOwnerStmt().GetNewowner().GetRolename())
	case n.GetVariableSetStmt() != nil:
		r.setVariable(n.GetVariableSetStmt())
	case n.GetSelectStmt() != nil:
		r.selectCalls(n.GetSelectStmt())
	case n.GetCreateSchemaStmt() != nil:
		cs := n.GetCreateSchemaStmt()
		saved := r.path
		r.path = []string{cs.GetSchemaname()}
		for _, e := range cs.GetSchemaElts() {
			r.apply(e, loc)
		}
		r.path = saved
	case n.GetDropStmt() != nil:
		r.drop(n.GetDropStmt())
	case n.GetRenameStmt() != nil:
		r.rename(n.GetRenameStmt())
	case n.GetAlterObjectSchemaStmt() != nil:
		r.setSchema(n.GetAlterObjectSchemaStmt())
	case n.GetDoStmt() != nil:
		r.errorf(loc, "DO block not analysed: the changes it makes are missing from the model (assess the database live with --dsn, or write them as plain statements)")
	case n.GetCreatedbStmt() != nil:
		r.createDatabase(n.GetCreatedbStmt())
	case n.GetCreateEnumStmt() != nil:
		r.addType(stringList(n.GetCreateEnumStmt().GetTypeName()))
	case n.GetCreateRangeStmt() != nil:
		r.addType(stringList(n.GetCreateRangeStmt().GetTypeName()))
	case n.GetCreateDomainStmt() != nil:
		r.addType(stringList(n.GetCreateDomainStmt().GetDomainname()))
	case n.GetCompositeTypeStmt() != nil:
		rv := n.GetCompositeTypeStmt().GetTypevar()
		r.addType([]string{r.creationSchema(rv), rv.GetRelname()})
	case n.GetDefineStmt() != nil && n.GetDefineStmt().GetKind() == pg_query.ObjectType_OBJECT_TYPE:
		r.addType(stringList(n.GetDefineStmt().GetDefnames()))
	}
}

// asciiLower lower-cases ASCII letters only, so byte offsets stay valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// addType records a user-defined type so column types can name its
// schema as format_type does.
func (r *schemaReader) addType(names []string) {
	switch len(names) {
	case 0:
	case 1:
		r.types[qname{r.creationSchema(&pg_query.RangeVar{}), names[0]}] = true
	default:
		r.types[qname{names[len(names)-2], names[len(names)-1]}] = true
	}
}

// typeName formats a column or argument type, qualifying an unqualified
// user-defined type with the schema it was found in.
func (r *schemaReader) typeName(tn *pg_query.TypeName) string { return r.formatType(tn, true) }

// formatType is formatType with user types of the search path qualified
// by their schema.
func (r *schemaReader) formatType(tn *pg_query.TypeName, withTypmod bool) string {
	schema, name := stmt.TypeNameParts(tn)
	if tn != nil && schema == "" {
		for _, s := range r.searchSchemas() {
			if r.types[qname{s, name}] || r.tables[qname{s, name}] != nil {
				q := proto.Clone(tn).(*pg_query.TypeName)
				q.Names = []*pg_query.Node{pg_query.MakeStrNode(s), pg_query.MakeStrNode(name)}
				return stmt.FormatType(q, withTypmod)
			}
		}
	}
	return stmt.FormatType(tn, withTypmod)
}

// functionName renders a called function as regproc output shows it:
// qualified unless it is in public or pg_catalog (or not defined in the
// input, so taken as built in).
func (r *schemaReader) functionName(names []*pg_query.Node) string {
	schema, name := stmt.FuncNameParts(names)
	if schema == "" {
	search:
		for _, s := range r.searchSchemas() {
			for _, f := range r.db.Functions {
				if f.Schema == s && f.Name == name {
					schema = s
					break search
				}
			}
		}
	}
	if schema == "public" || schema == "pg_catalog" {
		schema = ""
	}
	return inspect.QuoteQualified(schema, name)
}

// creationSchema is the schema an object named by rv is created in.
func (r *schemaReader) creationSchema(rv *pg_query.RangeVar) string {
	if rv.GetSchemaname() != "" {
		return rv.GetSchemaname()
	}
	if rv.GetRelpersistence() == "t" {
		return "pg_temp"
	}
	for _, s := range r.path {
		if s != "$user" && s != "pg_catalog" && s != "pg_temp" && s != "" {
			return s
		}
	}
	return "public"
}

// searchSchemas are the schemas an unqualified name is looked up in.
func (r *schemaReader) searchSchemas() []string {
	out := []string{"pg_temp"}
	for _, s := range r.path {
		if s != "$user" && s != "" {
			out = append(out, s)
		}
	}
	return append(out, "public")
}

// table finds the relation rv names, or nil.
func (r *schemaReader) table(rv *pg_query.RangeVar) *inspect.Table {
	if rv == nil {
		return nil
	}
	if s := rv.GetSchemaname(); s != "" {
		return r.tables[qname{s, rv.GetRelname()}]
	}
	for _, s := range r.searchSchemas() {
		if t := r.tables[qname{s, rv.GetRelname()}]; t != nil {
			return t
		}
	}
	return nil
}

// tableByQualified is Database.TableByQualified through the reader's map:
// a look-up per foreign key must not scan every table.
func (r *schemaReader) tableByQualified(q string) *inspect.Table {
	if schema, name := inspect.SplitQualified(q); schema != "" {
		return r.tables[qname{schema, name}]
	}
	return r.db.TableByQualified(q)
}

// mustTable finds the relation rv names or records an error.
func (r *schemaReader) mustTable(rv *pg_query.RangeVar) *inspect.Table {
	t := r.table(rv)
	if t == nil {
		r.errorf(rv.GetLocation(), "relation "+rangeVarText(rv)+" is not defined in the schema input")
	}
	return t
}

// sequence finds the sequence rv names, or nil.
func (r *schemaReader) sequence(rv *pg_query.RangeVar) *inspect.Sequence {
	if s := rv.GetSchemaname(); s != "" {
		return r.sequences[qname{s, rv.GetRelname()}]
	}
	for _, s := range r.searchSchemas() {
		if seq := r.sequences[qname{s, rv.GetRelname()}]; seq != nil {
			return seq
		}
	}
	return nil
}

// refName is the "schema.name" of a referenced relation: its schema when
// the relation is known, else the schema it would be created in.
func (r *schemaReader) refName(rv *pg_query.RangeVar) string {
	if t := r.table(rv); t != nil {
		return t.Schema + "." + t.Name
	}
	return r.creationSchema(rv) + "." + rv.GetRelname()
}

func rangeVarText(rv *pg_query.RangeVar) string {
	return inspect.QuoteQualified(rv.GetSchemaname(), rv.GetRelname())
}

func (r *schemaReader) relTaken(schema string) func(string) bool {
	return func(n string) bool { return r.relNames[qname{schema, n}] }
}

func (r *schemaReader) relOrConTaken(schema string) func(string) bool {
	return func(n string) bool { return r.relNames[qname{schema, n}] || r.conNames[qname{schema, n}] }
}

func (r *schemaReader) conTaken(schema string) func(string) bool {
	return func(n string) bool { return r.conNames[qname{schema, n}] }
}

func (r *schemaReader) addRole(name string) {
	if name == "" {
		return
	}
	for _, have := range r.db.Roles {
		if have == name {
			return
		}
	}
	r.db.Roles = append(r.db.Roles, name)
}

// setVariable follows SET search_path and client_encoding.
func (r *schemaReader) setVariable(v *pg_query.VariableSetStmt) {
	switch strings.ToLower(v.GetName()) {
	case "search_path":
		switch v.GetKind() {
		case pg_query.VariableSetKind_VAR_SET_VALUE:
			// Each argument is one schema, already case-folded by the
			// parser ("Odd" stays Odd, public was folded).
			var path []string
			for _, a := range v.GetArgs() {
				if s, ok := stmt.StringArg(a); ok {
					path = append(path, s)
				}
			}
			r.path = path
		case pg_query.VariableSetKind_VAR_SET_DEFAULT, pg_query.VariableSetKind_VAR_RESET, pg_query.VariableSetKind_VAR_RESET_ALL:
			r.path = []string{"public"}
		}
	case "client_encoding":
		if len(v.GetArgs()) == 1 && r.db.Encoding == "" {
			if s, ok := stmt.StringArg(v.GetArgs()[0]); ok {
				r.db.Encoding = strings.ToUpper(s)
			}
		}
	}
}

// createDatabase reads pg_dump --create's CREATE DATABASE: the name,
// encoding and locale of the database.
func (r *schemaReader) createDatabase(c *pg_query.CreatedbStmt) {
	r.db.Name = c.GetDbname()
	for _, o := range c.GetOptions() {
		d := o.GetDefElem()
		v := stmt.DefArgText(d.GetArg())
		switch d.GetDefname() {
		case "encoding":
			r.db.Encoding = strings.ToUpper(v)
		case "locale":
			r.db.Collate, r.db.Ctype = v, v
		case "lc_collate":
			r.db.Collate = v
		case "lc_ctype":
			r.db.Ctype = v
		case "locale_provider":
			r.db.LocaleProvider = v
		}
	}
}

// splitSearchPath splits a search_path value ("a, \"B\"") into schemas.
func splitSearchPath(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if strings.HasPrefix(part, `"`) && strings.HasSuffix(part, `"`) && len(part) > 1 {
			out = append(out, strings.ReplaceAll(part[1:len(part)-1], `""`, `"`))
		} else {
			out = append(out, strings.ToLower(part))
		}
	}
	return out
}

// selectCalls follows the function calls of a top-level SELECT in a
// dump: set_config('search_path', ...) and large-object creation.
func (r *schemaReader) selectCalls(s *pg_query.SelectStmt) {
	stmt.Walk(s, func(m proto.Message) bool {
		fc, ok := m.(*pg_query.FuncCall)
		if !ok {
			return true
		}
		_, name := stmt.FuncNameParts(fc.GetFuncname())
		args := fc.GetArgs()
		switch name {
		case "set_config":
			if len(args) >= 2 {
				k, ok1 := stmt.StringArg(args[0])
				v, ok2 := stmt.StringArg(args[1])
				if ok1 && ok2 && strings.EqualFold(k, "search_path") {
					r.path = splitSearchPath(v)
				}
			}
		case "lo_create", "lo_creat", "lo_import", "lo_from_bytea":
			r.los++
		}
		return true
	})
}

// drop removes dropped tables, views, sequences and indexes.
func (r *schemaReader) drop(d *pg_query.DropStmt) {
	for _, obj := range d.GetObjects() {
		var names []string
		for _, item := range obj.GetList().GetItems() {
			names = append(names, item.GetString_().GetSval())
		}
		switch d.GetRemoveType() {
		case pg_query.ObjectType_OBJECT_FUNCTION, pg_query.ObjectType_OBJECT_PROCEDURE, pg_query.ObjectType_OBJECT_ROUTINE:
			r.dropFunction(obj.GetObjectWithArgs(), d.GetRemoveType() == pg_query.ObjectType_OBJECT_PROCEDURE)
			continue
		case pg_query.ObjectType_OBJECT_EVENT_TRIGGER:
			r.dropEventTrigger(obj.GetString_().GetSval())
			continue
		case pg_query.ObjectType_OBJECT_SCHEMA:
			r.dropSchema(obj.GetString_().GetSval())
			continue
		case pg_query.ObjectType_OBJECT_TRIGGER, pg_query.ObjectType_OBJECT_RULE, pg_query.ObjectType_OBJECT_POLICY:
			// DROP TRIGGER name ON [schema.]table: the table, then the name.
			if len(names) < 2 || len(names) > 3 {
				continue
			}
			r.dropTableObject(rangeVarOf(names[:len(names)-1]), names[len(names)-1], d.GetRemoveType())
			continue
		}
		if len(names) == 0 || len(names) > 2 {
			continue
		}
		rv := rangeVarOf(names)
		switch d.GetRemoveType() {
		case pg_query.ObjectType_OBJECT_TABLE, pg_query.ObjectType_OBJECT_VIEW, pg_query.ObjectType_OBJECT_MATVIEW, pg_query.ObjectType_OBJECT_FOREIGN_TABLE:
			if t := r.table(rv); t != nil {
				r.removeTable(t)
			}
		case pg_query.ObjectType_OBJECT_SEQUENCE:
			if s := r.sequence(rv); s != nil {
				r.removeSequence(s)
			}
		case pg_query.ObjectType_OBJECT_INDEX:
			r.removeIndex(rv)
		}
	}
}

// rangeVarOf names a relation from [schema.]name parts.
func rangeVarOf(names []string) *pg_query.RangeVar {
	rv := &pg_query.RangeVar{Relname: names[len(names)-1]}
	if len(names) == 2 {
		rv.Schemaname = names[0]
	}
	return rv
}

// dropTableObject removes a trigger, rule or policy of a table.
func (r *schemaReader) dropTableObject(rv *pg_query.RangeVar, name string, kind pg_query.ObjectType) {
	t := r.table(rv)
	if t == nil {
		return
	}
	switch kind {
	case pg_query.ObjectType_OBJECT_TRIGGER:
		t.Triggers = slices.DeleteFunc(t.Triggers, func(tg *inspect.Trigger) bool { return tg.Name == name })
	case pg_query.ObjectType_OBJECT_POLICY:
		t.Policies = slices.DeleteFunc(t.Policies, func(p string) bool { return p == name })
	default:
		t.Rules = slices.DeleteFunc(t.Rules, func(ru *inspect.Rule) bool { return ru.Name == name })
	}
}

// dropFunction removes a function: the overload with the given argument
// types, or every overload of the name when none are given.
func (r *schemaReader) dropFunction(owa *pg_query.ObjectWithArgs, procedure bool) {
	schema, name := stmt.FuncNameParts(owa.GetObjname())
	sig := r.argTypes(owa.GetObjfuncargs(), procedure)
	r.db.Functions = slices.DeleteFunc(r.db.Functions, func(f *inspect.Function) bool {
		if f.Name != name || schema != "" && f.Schema != schema || schema == "" && !slices.Contains(r.searchSchemas(), f.Schema) {
			return false
		}
		if have, known := r.funcSigs[f]; known && !owa.GetArgsUnspecified() && have[0] != sig && have[1] != sig {
			return false
		}
		delete(r.functions, f.Schema+"."+f.Name+"("+f.Args+")")
		return true
	})
}

// argTypes is the signature DROP FUNCTION matches: the types, without
// modifiers, of the input arguments (and of OUT arguments of procedures,
// which DROP PROCEDURE may also leave out: inputOnly).
func (r *schemaReader) argTypes(params []*pg_query.Node, procedure bool) string {
	return r.argTypesOf(params, procedure, false)
}

func (r *schemaReader) argTypesOf(params []*pg_query.Node, procedure, inputOnly bool) string {
	var types []string
	for _, n := range params {
		fp := n.GetFunctionParameter()
		switch fp.GetMode() {
		case pg_query.FunctionParameterMode_FUNC_PARAM_TABLE:
			continue
		case pg_query.FunctionParameterMode_FUNC_PARAM_OUT:
			if !procedure || inputOnly {
				continue
			}
		}
		types = append(types, r.formatType(fp.GetArgType(), false))
	}
	return strings.Join(types, ",")
}

func (r *schemaReader) dropEventTrigger(name string) {
	r.db.EventTriggers = slices.DeleteFunc(r.db.EventTriggers, func(e *inspect.EventTrigger) bool { return e.Name == name })
}

func (r *schemaReader) removeTable(t *inspect.Table) {
	delete(r.tables, qname{t.Schema, t.Name})
	delete(r.relNames, qname{t.Schema, t.Name})
	for _, ix := range t.Indexes {
		delete(r.relNames, qname{t.Schema, ix.Name})
	}
	for _, c := range t.Constraints {
		delete(r.conNames, qname{t.Schema, c.Name})
	}
	out := r.db.Tables[:0]
	for _, have := range r.db.Tables {
		if have != t {
			out = append(out, have)
		}
	}
	r.db.Tables = out
	owned := t.Schema + "." + t.Name + "."
	for _, s := range append([]*inspect.Sequence(nil), r.db.Sequences...) {
		if strings.HasPrefix(s.OwnedBy, owned) {
			r.removeSequence(s)
		}
	}
	// What goes with it: its partitions, and (the DROP succeeded, so with
	// CASCADE when there were any) inheritance children and the foreign
	// keys that reference it.
	ref := t.Schema + "." + t.Name
	for _, u := range append([]*inspect.Table(nil), r.db.Tables...) {
		if u.PartitionOf == ref || slices.Contains(u.Inherits, ref) {
			r.removeTable(u)
			continue
		}
		u.Constraints = slices.DeleteFunc(u.Constraints, func(c *inspect.Constraint) bool {
			if c.Type == inspect.ForeignKey && c.RefTable == ref {
				delete(r.conNames, qname{u.Schema, c.Name})
				return true
			}
			return false
		})
	}
}

func (r *schemaReader) removeSequence(s *inspect.Sequence) {
	delete(r.sequences, qname{s.Schema, s.Name})
	delete(r.relNames, qname{s.Schema, s.Name})
	out := r.db.Sequences[:0]
	for _, have := range r.db.Sequences {
		if have != s {
			out = append(out, have)
		}
	}
	r.db.Sequences = out
}

func (r *schemaReader) removeIndex(rv *pg_query.RangeVar) {
	schemas := r.searchSchemas()
	if rv.GetSchemaname() != "" {
		schemas = []string{rv.GetSchemaname()}
	}
	for _, s := range schemas {
		for _, t := range r.db.Tables {
			if t.Schema != s {
				continue
			}
			for i, ix := range t.Indexes {
				if ix.Name == rv.GetRelname() {
					t.Indexes = append(t.Indexes[:i], t.Indexes[i+1:]...)
					delete(r.relNames, qname{s, ix.Name})
					return
				}
			}
		}
	}
}

// finish resolves what needs the whole file: foreign keys that name no
// columns reference the primary key; large-object counts.
func (r *schemaReader) finish() {
	for _, t := range r.db.Tables {
		for _, c := range t.Constraints {
			if c.Type != inspect.ForeignKey || len(c.RefColumns) > 0 {
				continue
			}
			if ref := r.tableByQualified(c.RefTable); ref != nil {
				if pk := ref.PrimaryKey(); pk != nil {
					c.RefColumns = append([]string(nil), pk.Columns...)
				}
			}
		}
	}
	if r.los > 0 {
		if r.db.LargeObjects < 0 {
			r.db.LargeObjects = 0
		}
		r.db.LargeObjects += r.los
	}
}
