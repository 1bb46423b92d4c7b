package benchgen

import (
	"fmt"
	"syscall"
	"time"
)

// Queries makes n distinct statements shaped like pg_stat_statements
// texts, each on a table of its own: what the analyser benchmarks read.
func Queries(n int) []string {
	shapes := []string{
		"SELECT u.id, u.email FROM users%d u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1",
		"UPDATE counters%d SET value = value + $1, updated_at = now() WHERE name = $2",
		"INSERT INTO events%d (id, at, kind, payload) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO UPDATE SET n = events%[1]d.n + excluded.n",
		"SELECT * FROM jobs%d WHERE state = $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
		"DELETE FROM sessions%d WHERE expires_at < now() - $1::interval",
		"WITH x AS (UPDATE stock%d SET qty = qty - $1 WHERE sku = $2 RETURNING sku) INSERT INTO audit (sku) SELECT sku FROM x",
		"SELECT pg_notify($1, $2), nextval('seq%d')",
		"SELECT count(*) FROM orders%d o WHERE o.created_at > $1 AND o.status IN ($2, $3, $4)",
	}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(shapes[i%len(shapes)], i)
	}
	return out
}

// CPUTime is the CPU time (user and system) the process has used. On a
// shared machine it says more than the wall clock: CPU time per statement
// is what a statement costs wherever the time went.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
