package stmt

import (
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
)

func FuzzAnalyzeQuery(f *testing.F) {
	for _, s := range []string{
		"UPDATE t SET a = a + 1", "INSERT INTO t VALUES ((SELECT max(id) FROM t) + 1) ON CONFLICT ON CONSTRAINT c DO UPDATE SET n = t.n + excluded.n",
		"SELECT pg_notify('c', $1) FROM t FOR NO KEY UPDATE", "WITH x AS (DELETE FROM t RETURNING *) SELECT * FROM x",
		"BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK t IN ACCESS EXCLUSIVE MODE; COMMIT", "SELECT setval($1, 2)", "SELEC", "",
		"MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET (a, b) = (a + 1, 2)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		facts, err := AnalyzeQuery(q)
		if err == nil && facts == nil {
			t.Fatal("no facts and no error")
		}
		Analyze([]*inspect.Statement{{Query: q}})
	})
}
