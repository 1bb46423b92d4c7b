package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aadvisor/aadvisor/inspect"
)

// nodeLocalNouns are table-name words for data that belongs to the node
// that wrote it: web sessions, caches, leases and leader locks,
// heartbeats, presence, scratch space.
var nodeLocalNouns = []string{
	"session", "sessions", "cache", "caches", "cached", "lease", "leases", "lock", "locks", "leader", "leaders",
	"election", "heartbeat", "heartbeats", "presence", "scratch", "tmp", "temp", "ephemeral",
}

// expiryColumns are column names that make rows expire.
var expiryColumns = []string{"expires", "expires_at", "expire_at", "expiry", "expiry_at", "expires_on", "ttl",
	"valid_until", "lease_until", "locked_until", "deadline"}

// nodeLocalDoc says on what evidence a table counts as node-local, for
// the rules' pages.
const nodeLocalDoc = `A table counts as node-local only on evidence: its name says what it holds (a first or last
word among session(s), cache(s), lease(s), lock(s), leader(s), election, heartbeat(s), presence,
scratch, tmp, temp, ephemeral), and either it is UNLOGGED, its rows expire (a column such as
expires_at, ttl or valid_until), or no other table references it. Business tables are never
node-local because they lack a key or look like a queue.`

// nodeLocal says why t holds node-local data, or "" when nothing shows it
// does.
func nodeLocal(p *Pass, t *inspect.Table) string {
	words := strings.FieldsFunc(strings.ToLower(t.Name), func(r rune) bool { return r == '_' || r == '-' || r == ' ' })
	if len(words) == 0 {
		return ""
	}
	noun := ""
	for _, w := range []string{words[len(words)-1], words[0]} {
		if slices.Contains(nodeLocalNouns, w) {
			noun = w
			break
		}
	}
	if noun == "" {
		return ""
	}
	var also []string
	if t.Persistence == inspect.Unlogged {
		also = append(also, "it is UNLOGGED")
	}
	for _, c := range t.Columns {
		if slices.Contains(expiryColumns, strings.ToLower(c.Name)) {
			also = append(also, "its rows expire ("+inspect.QuoteIdent(c.Name)+")")
			break
		}
	}
	if len(also) == 0 && len(p.index().children[t]) == 0 {
		also = append(also, "no other table references it")
	}
	if len(also) == 0 {
		return ""
	}
	return fmt.Sprintf("node-local: its name says %s and %s", noun, strings.Join(also, " and "))
}

// insertOnly says why t is only ever inserted into (statistics with no
// updates or deletes, or a workload that only inserts), or "" when it is
// changed or nothing shows either way.
func insertOnly(p *Pass, t *inspect.Table, changes map[*inspect.Table]int64) string {
	var why []string
	if s := t.Stats; s != nil {
		if s.Updates > 0 || s.Deletes > 0 {
			return ""
		}
		why = append(why, "no updates or deletes in pg_stat_user_tables")
	}
	if len(p.DB.Statements) > 0 {
		if changes[t] > 0 {
			return ""
		}
		why = append(why, "no UPDATE or DELETE in the workload")
	}
	return strings.Join(why, " and ")
}
