// Package sqlfile is the offline reader: it builds an inspect.Database from
// pg_dump --schema-only output (or plain DDL) and from workload files (SQL
// statements, pg_stat_statements exports). It splits and parses them, and
// gives statements their facts, through the statement analyser
// (inspect/stmt), which the live reader shares; the schema it builds by
// walking the DDL parse trees here.
//
// It imports inspect and inspect/stmt of the module: never the live
// reader, the rules, assess or replicate.
//
// Spellings follow the live catalog so both readers give the same model:
// types as format_type() prints them, defaults and CHECK expressions as
// pg_get_expr() prints them ("(qty > 0)", "'x'::text",
// "nextval('users_id_seq'::regclass)", "(price > (0)::numeric)"), names
// chosen as PostgreSQL chooses them (users_pkey, users_email_key,
// users_id_seq, with the 63-byte truncation), qualified names
// "schema.name" unquoted. testdata/catalog_facts.sql is the catalog query
// the tests compare the model with, field by field, on PostgreSQL 15 and
// 18. Positions count lines and characters from 1.
package sqlfile

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/inspect/stmt"
)

// MaxFileSize is the largest input file read (64 MiB).
const MaxFileSize = 64 << 20

// Options says which files to read.
type Options struct {
	// Schema files: pg_dump --schema-only output or plain DDL.
	Schema []string
	// Queries files: SQL statements separated by ';' (.sql), or
	// pg_stat_statements exports (.csv, .json).
	Queries []string
	// ServerVersion is the server_version_num to assume; 0 takes it from
	// the pg_dump header ("-- Dumped from database version 15.4").
	ServerVersion int
	// Log gets a debug record per file read, with its duration; nil
	// discards them.
	Log *slog.Logger
}

// Read reads the files of opts into a new Database. A file that cannot be
// used at all (missing, empty, binary, too large) is an error wrapping an
// inspect.InputError; problems inside a file (a statement that does not
// parse) are recorded in Database.Errors and reading goes on.
func Read(ctx context.Context, opts Options) (*inspect.Database, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := newDatabase()
	names := append(append([]string(nil), opts.Schema...), opts.Queries...)
	db.Source = inspect.SourceInfo{Kind: inspect.SourceSQL, Name: strings.Join(names, ", "), Files: names}
	for _, name := range opts.Schema {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src, err := readFile(name)
		if err != nil {
			return nil, fmt.Errorf("read schema: %w", err)
		}
		if ierr := checkText(name, src); ierr != nil {
			return nil, fmt.Errorf("read schema: %w", *ierr)
		}
		start := time.Now()
		ReadSchema(db, name, src)
		log.Debug("read schema file", "file", name, "bytes", len(src), "tables", len(db.Tables), "duration", time.Since(start))
	}
	for _, name := range opts.Queries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		src, err := readFile(name)
		if err != nil {
			return nil, fmt.Errorf("read queries: %w", err)
		}
		start := time.Now()
		if err := ReadQueries(db, name, src); err != nil {
			return nil, fmt.Errorf("read queries: %w", err)
		}
		log.Debug("read query file", "file", name, "bytes", len(src), "statements", len(db.Statements), "duration", time.Since(start))
	}
	if opts.ServerVersion != 0 {
		db.ServerVersion = opts.ServerVersion
	}
	start := time.Now()
	stmt.ExpandCalls(db)
	stmt.AnalyzeTriggerFunctions(db)
	stmt.AnalyzeExpressions(db)
	log.Debug("follow function calls", "statements", len(db.Statements), "duration", time.Since(start))
	addOfflineSkips(db, len(opts.Queries) > 0)
	return db, nil
}

func newDatabase() *inspect.Database {
	return &inspect.Database{LargeObjects: -1}
}

// readFile reads a file, refusing directories and files over MaxFileSize
// before reading them.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, inspect.InputError{Pos: inspect.Position{File: name}, Message: "is a directory, not a file"}
	}
	if st.Size() > MaxFileSize {
		return nil, tooLarge(name, st.Size())
	}
	src, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxFileSize {
		return nil, tooLarge(name, int64(len(src)))
	}
	return src, nil
}

func tooLarge(name string, size int64) error {
	return inspect.InputError{Pos: inspect.Position{File: name},
		Message: fmt.Sprintf("file is too large (%d MiB; the limit is %d MiB): split it, or dump only the schema with pg_dump --schema-only", size>>20, MaxFileSize>>20)}
}

// checkText reports why src cannot be read as SQL text, or nil.
func checkText(name string, src []byte) *inspect.InputError {
	fail := func(off int, msg string) *inspect.InputError {
		e := inspect.InputError{Pos: inspect.Position{File: name}, Message: msg}
		if off >= 0 {
			e.Pos = stmt.NewLineIndex(name, string(src[:off])).Pos(off)
		}
		return &e
	}
	switch {
	case len(src) > MaxFileSize:
		return fail(-1, fmt.Sprintf("file is too large (%d MiB; the limit is %d MiB)", len(src)>>20, MaxFileSize>>20))
	case len(bytes.TrimSpace(src)) == 0:
		return fail(-1, "file is empty")
	case bytes.HasPrefix(src, []byte("PGDMP")):
		return fail(-1, "this is a pg_dump custom-format archive, not SQL text: convert it with pg_restore --schema-only -f schema.sql")
	case bytes.HasPrefix(src, []byte{0x1f, 0x8b}):
		return fail(-1, "this file is gzip-compressed: decompress it first")
	}
	if i := bytes.IndexByte(src, 0); i >= 0 {
		return fail(i, "binary file (NUL byte): expected SQL text")
	}
	if !utf8.Valid(src) {
		off := 0
		for off < len(src) {
			r, size := utf8.DecodeRune(src[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		return fail(off, "file is not valid UTF-8: expected SQL text (re-run pg_dump with --encoding=UTF8)")
	}
	return nil
}

// stripBOM drops a UTF-8 byte-order mark.
func stripBOM(src []byte) []byte { return bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) }

var dumpVersion = regexp.MustCompile(`(?m)^-- Dumped from database version (\d+)(?:\.(\d+))?(?:\.(\d+))?`)

// versionFromDump reads server_version_num from a pg_dump header, or 0.
func versionFromDump(src string) int {
	head := src
	if len(head) > 4096 {
		head = head[:4096]
	}
	m := dumpVersion.FindStringSubmatch(head)
	if m == nil {
		return 0
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch, _ := strconv.Atoi(m[3])
	if major >= 10 {
		return major*10000 + minor
	}
	return major*10000 + minor*100 + patch
}

// addOfflineSkips records the evidence offline files cannot carry.
func addOfflineSkips(db *inspect.Database, haveQueries bool) {
	const live = "run aadvisor assess --dsn against the database"
	add := func(evidence, reason, fix string) {
		if db.SkippedFor(evidence) == nil {
			db.Skipped = append(db.Skipped, inspect.Skipped{Evidence: evidence, Reason: reason, Fix: fix})
		}
	}
	if !haveQueries {
		add(inspect.EvidenceStatements, "no query file given", "pass --queries with a pg_stat_statements export or the application's SQL, or "+live)
	}
	add(inspect.EvidenceTableStats, "offline input has no table statistics", live)
	add(inspect.EvidenceSettings, "offline input has no server settings", live)
	if db.LargeObjects < 0 {
		add(inspect.EvidenceLargeObjects, "a schema-only dump does not list large objects", live)
	}
	add(inspect.EvidenceToast, "offline input has no relation sizes", live)
	add(inspect.EvidenceSlots, "offline input has no replication slots", live)
	add(inspect.EvidenceSubscription, "offline input has no subscriptions", live)
	add(inspect.EvidenceDatabases, "offline input describes one database", live)
}
