package rules

import "github.com/aadvisor/aadvisor/inspect"

// Fixes for missing evidence, shared by the rules and their skip records.
const (
	fixLive       = "run aadvisor assess --dsn against the server"
	fixStatements = "CREATE EXTENSION pg_stat_statements (it must be in shared_preload_libraries), or pass the application's SQL with --queries FILE"
	fixQueries    = "pass the application's SQL with --queries FILE, or run aadvisor assess --dsn against a server with pg_stat_statements"
	fixStats      = "run aadvisor assess --dsn; table statistics come from pg_stat_user_tables on a live server"

	reasonOfflineSettings = "offline input has no server settings; run assess --dsn"
)

func offline(db *inspect.Database) bool { return db.Source.Kind == inspect.SourceSQL }

// hasStatements reports whether there is statement evidence at all. A
// query file with no statements in it still counts: the workload is known
// to be empty.
func hasStatements(db *inspect.Database) bool {
	return len(db.Statements) > 0 || db.Workload.StatementsSource != ""
}

// hasTableStats reports whether pg_stat_user_tables counters are known.
func hasTableStats(db *inspect.Database) bool {
	if db.Workload.TableStats {
		return true
	}
	for _, t := range db.Tables {
		if t.Stats != nil {
			return true
		}
	}
	return false
}

// missingEvidence says whether a kind of evidence is unavailable, and why.
func missingEvidence(db *inspect.Database, kind string) (reason, fix string, missing bool) {
	if kind == inspect.EvidenceSettings && len(db.Settings) == 0 && offline(db) {
		return reasonOfflineSettings, fixLive, true
	}
	if s := db.SkippedFor(kind); s != nil {
		fix := s.Fix
		if fix == "" {
			fix = fixLive
		}
		return s.Reason, fix, true
	}
	switch kind {
	case inspect.EvidenceSettings:
		if len(db.Settings) == 0 {
			if offline(db) {
				return reasonOfflineSettings, fixLive, true
			}
			return "no server settings were read", "grant pg_read_all_settings to the role aadvisor connects as", true
		}
	case inspect.EvidenceStatements:
		if !hasStatements(db) {
			if offline(db) {
				return "no workload statements: the offline input has no query file", fixQueries, true
			}
			return "no workload statements were read", fixStatements, true
		}
	case inspect.EvidenceTableStats:
		if !hasTableStats(db) {
			if offline(db) {
				return "offline input has no table statistics (pg_stat_user_tables)", fixStats, true
			}
			return "table statistics (pg_stat_user_tables) were not read", "grant pg_read_all_stats to the role aadvisor connects as", true
		}
	case inspect.EvidenceSlots:
		if offline(db) {
			return "offline input has no replication slots; run assess --dsn", fixLive, true
		}
	case inspect.EvidenceDatabases:
		if offline(db) {
			return "offline input does not list the instance's databases; run assess --dsn", fixLive, true
		}
	}
	return "", "", false
}

// need skips the pass and returns false when a kind of evidence is missing.
func (p *Pass) need(kind string) bool {
	if reason, fix, missing := missingEvidence(p.DB, kind); missing {
		p.Skip(reason, fix)
		return false
	}
	return true
}

// have reports whether a kind of evidence is available, without skipping.
func (p *Pass) have(kind string) bool {
	_, _, missing := missingEvidence(p.DB, kind)
	return !missing
}

// needAny skips the pass (with every reason) and returns false when none of
// the kinds of evidence is available.
func (p *Pass) needAny(kinds ...string) bool {
	for _, k := range kinds {
		if p.have(k) {
			return true
		}
	}
	for _, k := range kinds {
		p.need(k)
	}
	return false
}
