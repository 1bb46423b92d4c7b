package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/aadvisor/aadvisor/inspect"
)

// Statistics younger than these are flagged.
const (
	statsTooYoung   = 24 * time.Hour
	statsQuiteYoung = 7 * 24 * time.Hour
)

var workloadEvidence = &Rule{
	ID:       "AR990",
	Name:     "workload-evidence",
	Title:    "Workload evidence is missing or incomplete",
	Severity: Warning,
	Category: CategoryEvidence,
	Engines:  AllEngines,
	Doc: Doc{
		Why: `Half of the multi-primary hazards are in what the application does, not in the schema: hot rows,
in-place counters, locks, upserts on natural keys, DDL. aadvisor sees them only in
pg_stat_statements, in a query file, and in the cumulative table statistics. Missing evidence makes
those rules skip; thin evidence (statistics reset an hour ago, statements evicted from
pg_stat_statements) makes them miss. This rule says how much the workload rules could see, so that
"no findings" is never mistaken for "no hazards".`,
		Detection: `Warning: no statement evidence at all (pg_stat_statements missing or not readable, offline input
without --queries), or statistics reset less than 24 hours before collection. Info: statistics less
than 7 days old, pg_stat_statements deallocations (entries evicted), statements that did not parse,
and missing table statistics. Info, on PostgreSQL 18 and later: pg_stat_statements entries that name
a table by an alias (FROM orders o) or by a name that several schemas hold. From 18 the query id is
computed from the names a statement gives its tables, not from the tables (release notes: "group
together queries using the same relation name"), so statements that differ only in such tables share
one entry, counted together and shown with the text of the first: its calls may belong to other
tables, which then look unused.`,
		Fix: `Install pg_stat_statements (shared_preload_libraries = 'pg_stat_statements', then CREATE EXTENSION
pg_stat_statements), raise pg_stat_statements.max when entries are evicted, collect after at least a
week of representative traffic, and for offline input pass the application's SQL with --queries.`,
		References: []string{
			"https://www.postgresql.org/docs/current/pgstatstatements.html",
			"https://www.postgresql.org/docs/release/18.0/ (\"Adjust query id computations to group together queries using the same relation name\")",
			"EnterpriseDB/docs:product_docs/docs/pgd/6/reference/cli/command_ref/assess/index.mdx (\"Requires workload analysis\")",
		},
	},
	Check: func(p *Pass) {
		db := p.DB
		w := db.Workload
		if reason, fix, missing := missingEvidence(db, inspect.EvidenceStatements); missing {
			p.Report(Finding{
				Object:     "workload",
				ObjectKind: "evidence",
				Message:    "no workload statements (" + reason + "): the rules that look for locks, counters, upserts, setval, DDL and TRUNCATE are skipped",
				Fix:        fix,
			})
		}
		if !w.StatsReset.IsZero() && !w.CollectedAt.IsZero() && !w.CollectedAt.Before(w.StatsReset) {
			age := w.CollectedAt.Sub(w.StatsReset)
			switch {
			case age < statsTooYoung:
				p.Report(Finding{
					Object:     "workload",
					ObjectKind: "evidence",
					Message:    fmt.Sprintf("statistics were reset %s before collection: statements and counters that rare jobs and busy hours leave are missing, and rates measured over so short a time may not be typical", duration(age)),
					Fix:        "Collect again after at least a week of representative traffic.",
				})
			case age < statsQuiteYoung:
				p.Report(Finding{
					Severity:   Info,
					Object:     "workload",
					ObjectKind: "evidence",
					Message:    fmt.Sprintf("statistics cover only %s: weekly or monthly jobs may be missing", duration(age)),
					Fix:        "Collect again after a full business cycle (a week or a month).",
				})
			}
		}
		if w.Dealloc > 0 {
			p.Report(Finding{
				Severity:   Info,
				Object:     "workload",
				ObjectKind: "evidence",
				Message:    fmt.Sprintf("pg_stat_statements evicted %s since its reset: rare statements may be missing", plural(w.Dealloc, "entry", "entries")),
				Fix:        "Raise pg_stat_statements.max (restart required) and collect again.",
				FixSQL:     "ALTER SYSTEM SET pg_stat_statements.max = 20000;  -- restart required",
			})
		}
		unparsed := 0
		for _, s := range db.Statements {
			if s.Facts == nil {
				unparsed++
			}
		}
		if unparsed > 0 {
			p.Report(Finding{
				Severity:   Info,
				Object:     "workload",
				ObjectKind: "evidence",
				Message:    fmt.Sprintf("%d of %s did not parse and were not analyzed", unparsed, plural(int64(len(db.Statements)), "statement", "statements")),
				Fix:        "Check the parse errors reported for the input; PL/pgSQL and client-side syntax (psql meta-commands) are not SQL statements.",
			})
		}
		if n, calls, all, example := sharedNames(db); n > 0 {
			p.Report(Finding{
				Severity:   Info,
				Object:     "workload",
				ObjectKind: "evidence",
				Message: fmt.Sprintf("%d of %s (%s of the calls) name tables by an alias or by a name several schemas hold, e.g. %s: "+
					"from PostgreSQL 18 pg_stat_statements keeps one entry for statements that differ only in the tables behind such names, "+
					"so their calls may belong to other tables, which then look unused",
					n, plural(int64(all), "pg_stat_statements entry", "pg_stat_statements entries"), percent(calls), stmtText(example)),
				Fix: "Read these statements' calls as those of every table the same names could stand for, and check the tables' own counters " +
					"(n_tup_upd in pg_stat_user_tables); a statement that names its tables without aliases, by names no other schema holds, keeps an entry of its own.",
			})
		}
		if reason, fix, missing := missingEvidence(db, inspect.EvidenceTableStats); missing {
			p.Report(Finding{
				Severity:   Info,
				Object:     "table statistics",
				ObjectKind: "evidence",
				Message:    reason + ": hot-row is skipped and queue and key-reuse detection rely on statements only",
				Fix:        fix,
			})
		}
	},
}

// sharedNames counts the pg_stat_statements entries of a PostgreSQL 18+
// server that name a table by an alias, or by a name that several
// schemas hold: n entries with that share of the calls, out of all, and
// the most called of them. Statements found in function bodies, and
// PostgreSQL's own foreign-key checks, are not entries of their own.
func sharedNames(db *inspect.Database) (n int, share float64, all int, example *inspect.Statement) {
	if db.ServerVersion < 180000 || db.Workload.StatementsSource != "pg_stat_statements" {
		return 0, 0, 0, nil
	}
	schemas := map[string]int{}
	for _, t := range db.Tables {
		schemas[t.Name]++
	}
	shared := func(refs []inspect.TableRef) bool {
		for _, r := range refs {
			if schemas[r.Name] > 1 {
				return true
			}
		}
		return false
	}
	var calls, total int64
	for _, s := range db.Statements {
		if s.Via != "" || s.Facts != nil && s.Facts.Internal {
			continue
		}
		all++
		total += s.Calls
		f := s.Facts
		if f == nil || len(f.Aliased) == 0 && !shared(f.Reads) && !shared(f.LockTables) && !slices.ContainsFunc(f.Writes, func(w inspect.TableWrite) bool {
			return schemas[w.Table.Name] > 1
		}) {
			continue
		}
		n++
		calls += s.Calls
		if example == nil || s.Calls > example.Calls {
			example = s
		}
	}
	if total > 0 {
		share = float64(calls) / float64(total)
	}
	return n, share, all, example
}
