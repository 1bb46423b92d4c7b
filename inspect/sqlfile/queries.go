package sqlfile

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// Workload sources set in Database.Workload.StatementsSource.
const (
	sourceFile   = "file"
	sourceExport = "pg_stat_statements"
)

// ReadQueries adds the statements of one workload file to db: a .sql file
// of statements (each counted as one call), or a pg_stat_statements
// export as .csv (with a header row) or .json (an array of objects, or
// {"rows": [...]}) with the columns query, calls, rows, total_exec_time
// (or total_time) and queryid. Other names are recognised by content.
// Statements of a .sql file have no call counts (Calls 0).
// Statements are analysed (Facts); one that does not parse keeps its
// ParseError and is also listed in db.Errors.
func ReadQueries(db *inspect.Database, name string, src []byte) error {
	if ierr := checkText(name, src); ierr != nil {
		return *ierr
	}
	src = stripBOM(src)
	var (
		stmts  []*inspect.Statement
		err    error
		source = sourceExport
	)
	switch queryFormat(name, src) {
	case "csv":
		stmts, err = readCSV(name, src)
	case "json":
		stmts, err = readJSON(name, src)
	default:
		source = sourceFile
		var errs []inspect.InputError
		stmts, errs = readSQL(name, string(src))
		if len(stmts) == 0 {
			return inspect.InputError{Pos: inspect.Position{File: name}, Message: "file holds no SQL statements"}
		}
		db.Errors = append(db.Errors, errs...)
	}
	if err != nil {
		return err
	}
	if source != sourceFile {
		stmt.Analyze(stmts)
		for _, s := range stmts {
			if s.ParseError != "" {
				db.Errors = append(db.Errors, inspect.InputError{Pos: s.Pos, Message: s.ParseError})
			}
		}
	}
	db.Statements = append(db.Statements, stmts...)
	if db.Workload.StatementsSource != sourceExport {
		db.Workload.StatementsSource = source
	}
	if source == sourceExport && slices.ContainsFunc(stmts, utility) {
		// pg_stat_statements records utility statements (DDL, SET, BEGIN,
		// ...) only with track_utility on: the export shows it was.
		db.Workload.TrackUtility = true
	}
	return nil
}

// utility reports a statement pg_stat_statements records only with
// pg_stat_statements.track_utility on: anything but SELECT, INSERT,
// UPDATE, DELETE and MERGE.
func utility(s *inspect.Statement) bool {
	if s.Facts == nil {
		return false
	}
	switch s.Facts.Kind {
	case inspect.StmtSelect, inspect.StmtInsert, inspect.StmtUpdate, inspect.StmtDelete, inspect.StmtMerge:
		return false
	}
	return true
}

// queryFormat picks csv, json or sql by extension, else by content.
func queryFormat(name string, src []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return "csv"
	case ".json":
		return "json"
	case ".sql":
		return "sql"
	}
	trimmed := bytes.TrimSpace(src)
	if len(trimmed) > 0 && (trimmed[0] == '[' || trimmed[0] == '{') {
		return "json"
	}
	// A CSV export starts with a header naming a query column.
	first, _, _ := bytes.Cut(trimmed, []byte("\n"))
	for _, f := range strings.Split(string(first), ",") {
		if strings.EqualFold(strings.Trim(strings.TrimSpace(f), `"`), "query") {
			return "csv"
		}
	}
	return "sql"
}

// readSQL splits a SQL file into statements; the text is kept exactly as
// written. A file says nothing of how often each runs: Calls stay 0
// (unknown), and reports print no call counts for them.
//
// The statements are analysed (Facts). One that does not parse keeps its
// ParseError and gives an input error at the error's place with the
// lines it cost; reading goes on at the next statement found after the
// error (see resync), which runaway quotes and parentheses would
// otherwise have swallowed.
func readSQL(name, src string) ([]*inspect.Statement, []inspect.InputError) {
	li := stmt.NewLineIndex(name, src)
	type read struct {
		start int
		stmt  *inspect.Statement
	}
	var (
		all     []read
		errs    []inspect.InputError
		resyncs int
	)
	for spans := stmt.SplitStatements(src); len(spans) > 0; {
		batch := make([]*inspect.Statement, len(spans))
		for i, sp := range spans {
			batch[i] = &inspect.Statement{Query: src[sp.Start:sp.End], Pos: li.Pos(sp.Start)}
		}
		stmt.Analyze(batch)
		var again []stmt.Span
		for i, s := range batch {
			sp := spans[i]
			all = append(all, read{sp.Start, s})
			if s.ParseError == "" {
				continue
			}
			at, msg := sp.Start, s.ParseError
			if _, err := stmt.Parse(s.Query); err != nil {
				off, m := stmt.ParseErrorOffset(s.Query, err)
				at, msg = sp.Start+off, m
			}
			next, ok := stmt.Resync(src, sp, at)
			if ok && resyncs < maxResyncs {
				resyncs++
				again = append(again, stmt.SplitRange(src, next, sp.End)...)
			} else {
				next = sp.End
			}
			errs = append(errs, inspect.InputError{Pos: li.Pos(at), Message: msg, Skipped: stmt.SkippedLines(li, sp.Start, next)})
		}
		spans = again
	}
	// Statements read again after an error go back to their place in
	// the file.
	slices.SortStableFunc(all, func(a, b read) int { return cmp.Compare(a.start, b.start) })
	slices.SortStableFunc(errs, func(a, b inspect.InputError) int {
		return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Col, b.Pos.Col))
	})
	out := make([]*inspect.Statement, len(all))
	for i, r := range all {
		out[i] = r.stmt
	}
	return out, errs
}

// exportRow is one pg_stat_statements entry before it becomes a
// Statement.
type exportRow struct {
	query, calls, rows, total, queryid string
	pos                                inspect.Position
}

func (e exportRow) statement() (*inspect.Statement, error) {
	s := &inspect.Statement{Query: strings.TrimSpace(e.query), Calls: 1, Pos: e.pos}
	var err error
	num := func(field, v string, dst *int64) {
		if v = strings.TrimSpace(v); v == "" || err != nil {
			return
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil {
			f, ferr := strconv.ParseFloat(v, 64)
			if ferr != nil {
				err = inspect.InputError{Pos: e.pos, Message: fmt.Sprintf("%s %q is not a number", field, v)}
				return
			}
			n = int64(f)
		}
		*dst = n
	}
	num("calls", e.calls, &s.Calls)
	num("rows", e.rows, &s.Rows)
	num("queryid", e.queryid, &s.QueryID)
	if v := strings.TrimSpace(e.total); v != "" && err == nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			err = inspect.InputError{Pos: e.pos, Message: fmt.Sprintf("total_exec_time %q is not a number", v)}
		}
		s.TotalMs = f
	}
	return s, err
}

// readCSV reads a pg_stat_statements export with a header row, as psql's
// \copy (SELECT ...) TO 'file' CSV HEADER writes it.
func readCSV(name string, src []byte) ([]*inspect.Statement, error) {
	r := csv.NewReader(bytes.NewReader(src))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, csvError(name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	qi, ok := col["query"]
	if !ok {
		return nil, inspect.InputError{Pos: inspect.Position{File: name, Line: 1}, Message: "CSV header has no query column (expected query, calls, rows, total_exec_time, queryid)"}
	}
	field := func(rec []string, names ...string) string {
		for _, n := range names {
			if i, ok := col[n]; ok && i < len(rec) {
				return rec[i]
			}
		}
		return ""
	}
	var out []*inspect.Statement
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := r.FieldPos(0)
		if qi >= len(rec) || strings.TrimSpace(rec[qi]) == "" {
			continue
		}
		row := exportRow{query: rec[qi], calls: field(rec, "calls"), rows: field(rec, "rows"),
			total: field(rec, "total_exec_time", "total_time"), queryid: field(rec, "queryid"),
			pos: inspect.Position{File: name, Line: line, Col: 1}}
		s, err := row.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, inspect.InputError{Pos: inspect.Position{File: name}, Message: "CSV file has no statements"}
	}
	return out, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return inspect.InputError{Pos: inspect.Position{File: name, Line: pe.Line, Col: pe.Column}, Message: "bad CSV: " + pe.Err.Error()}
	}
	return inspect.InputError{Pos: inspect.Position{File: name}, Message: "bad CSV: " + err.Error()}
}

// readJSON reads an array of pg_stat_statements objects, or an object
// holding one under "rows" (or "statements").
func readJSON(name string, src []byte) ([]*inspect.Statement, error) {
	li := stmt.NewLineIndex(name, string(src))
	bad := func(off int64, msg string) error {
		return inspect.InputError{Pos: li.Pos(int(off)), Message: "bad JSON: " + msg}
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, bad(dec.InputOffset(), err.Error())
	}
	if tok == json.Delim('{') {
		found := false
		for dec.More() {
			key, err := dec.Token()
			if err != nil {
				return nil, bad(dec.InputOffset(), err.Error())
			}
			if k, _ := key.(string); k == "rows" || k == "statements" {
				if tok, err = dec.Token(); err != nil {
					return nil, bad(dec.InputOffset(), err.Error())
				}
				found = true
				break
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return nil, bad(dec.InputOffset(), err.Error())
			}
		}
		if !found {
			return nil, bad(0, `expected an array of statements or an object with "rows"`)
		}
	}
	if tok != json.Delim('[') {
		return nil, bad(0, `expected an array of statements or an object with "rows"`)
	}
	var out []*inspect.Statement
	for dec.More() {
		start := skipJSONSpace(src, dec.InputOffset())
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			return nil, bad(start, err.Error())
		}
		row := exportRow{query: jsonText(obj["query"]), calls: jsonText(obj["calls"]), rows: jsonText(obj["rows"]),
			total: jsonText(firstOf(obj, "total_exec_time", "total_time")), queryid: jsonText(obj["queryid"]), pos: li.Pos(int(start))}
		if strings.TrimSpace(row.query) == "" {
			continue
		}
		s, err := row.statement()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, inspect.InputError{Pos: inspect.Position{File: name}, Message: "JSON file has no statements"}
	}
	return out, nil
}

func firstOf(obj map[string]any, keys ...string) any {
	for _, k := range keys {
		if v, ok := obj[k]; ok {
			return v
		}
	}
	return nil
}

// skipJSONSpace moves an offset past whitespace and a comma, to the start
// of the next value.
func skipJSONSpace(src []byte, off int64) int64 {
	for off < int64(len(src)) && strings.IndexByte(" \t\r\n,", src[off]) >= 0 {
		off++
	}
	return off
}

func jsonText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}
