package rules_test

import (
	"fmt"
	"testing"

	"github.com/aadvisor/aadvisor/inspect"
	"github.com/aadvisor/aadvisor/rules"
)

// bigModel builds a live-like model: n tables with a serial key, a
// secondary unique key, a foreign key to the previous table, a trigger and
// statistics, and m workload statements spread over the tables.
func bigModel(n, m int) *inspect.Database {
	db := &inspect.Database{
		Source:        inspect.SourceInfo{Kind: inspect.SourceLive},
		ServerVersion: 150010,
		LargeObjects:  0,
		Settings:      map[string]inspect.Setting{"wal_level": {Name: "wal_level", Value: "logical"}},
		Workload:      inspect.WorkloadInfo{StatementsSource: "pg_stat_statements", TableStats: true, TrackUtility: true},
	}
	for i := range n {
		name := fmt.Sprintf("t%04d", i)
		t := &inspect.Table{Schema: "public", Name: name, Kind: inspect.RelTable, Persistence: inspect.Permanent,
			ReplicaIdentity: inspect.IdentityDefault, ToastBytes: int64(i % 3 * 8192),
			Columns: []*inspect.Column{
				{Name: "id", Type: "integer", NotNull: true, Default: fmt.Sprintf("nextval('public.%s_id_seq'::regclass)", name)},
				{Name: "code", Type: "text", NotNull: true},
				{Name: "n", Type: "bigint", Default: "0"},
				{Name: "parent_id", Type: "integer"},
			},
			Indexes: []*inspect.Index{
				{Name: name + "_pkey", Columns: []string{"id"}, Unique: true, Primary: true, Valid: true, Constraint: name + "_pkey"},
				{Name: name + "_code_key", Columns: []string{"code"}, Unique: true, Valid: true, Constraint: name + "_code_key"},
			},
			Triggers: []*inspect.Trigger{{Name: name + "_touch", Enabled: inspect.TriggerOrigin, Timing: "after", Level: "row", Events: []string{"update"}, Function: "public.touch"}},
			Stats:    &inspect.TableStats{Inserts: int64(1000 + i), Updates: int64(i * 100), Deletes: int64(i), LiveTup: int64(1 + i%50)},
		}
		if i > 0 {
			t.Constraints = append(t.Constraints, &inspect.Constraint{Name: name + "_parent_fk", Type: inspect.ForeignKey,
				Columns: []string{"parent_id"}, RefTable: fmt.Sprintf("public.t%04d", i-1), RefColumns: []string{"id"}, OnDelete: inspect.FKCascade})
		}
		db.Tables = append(db.Tables, t)
		db.Sequences = append(db.Sequences, &inspect.Sequence{Schema: "public", Name: name + "_id_seq", Type: "integer", Increment: 1,
			Persistence: inspect.Permanent, OwnedBy: "public." + name + ".id"})
	}
	db.Functions = []*inspect.Function{{Schema: "public", Name: "touch", Language: "plpgsql", Volatility: "volatile",
		Body: "BEGIN UPDATE audit SET n = n + 1; RETURN NEW; END"}}
	for j := range m {
		tbl := inspect.TableRef{Name: fmt.Sprintf("t%04d", j%n)}
		f := &inspect.StatementFacts{Kind: inspect.StmtUpdate, Writes: []inspect.TableWrite{{Table: tbl, Op: inspect.StmtUpdate, SetColumns: []string{"n"}, Increments: []string{"n"}}}}
		switch j % 4 {
		case 1:
			f = &inspect.StatementFacts{Kind: inspect.StmtInsert, Writes: []inspect.TableWrite{{Table: tbl, Op: inspect.StmtInsert,
				OnConflict: &inspect.OnConflict{Columns: []string{"code"}, Action: "nothing"}}}}
		case 2:
			f = &inspect.StatementFacts{Kind: inspect.StmtSelect, Reads: []inspect.TableRef{tbl}, RowLock: "for update"}
		case 3:
			f = &inspect.StatementFacts{Kind: inspect.StmtDelete, Writes: []inspect.TableWrite{{Table: tbl, Op: inspect.StmtDelete}}}
		}
		db.Statements = append(db.Statements, &inspect.Statement{Query: fmt.Sprintf("-- statement %d", j), QueryID: int64(j + 1), Calls: 10, Rows: 10, Facts: f})
	}
	return db
}

// Size of the benchmark model.
var benchTables, benchStatements = 2000, 5000

// BenchmarkRun runs every rule over 2,000 tables and 5,000 statements.
func BenchmarkRun(b *testing.B) {
	db := bigModel(benchTables, benchStatements)
	all := rules.All()
	b.ReportAllocs()
	var findings int
	for b.Loop() {
		res := rules.Run(db, rules.Config{}, all)
		findings = len(res.Findings)
	}
	b.ReportMetric(float64(findings), "findings")
}

func TestRunLargeModel(t *testing.T) {
	res := rules.Run(bigModel(200, 500), rules.Config{}, rules.All())
	for _, s := range res.Skipped {
		if s.Reason == "" {
			t.Errorf("%s skipped without a reason", s.RuleID)
		}
	}
	byRule := map[string]int{}
	for _, f := range res.Findings {
		byRule[f.RuleID]++
	}
	// Every table is fed by a sequence, has a second unique key and (but
	// the first) a cascading foreign key.
	for id, want := range map[string]int{"AR201": 200, "AR301": 200, "AR304": 199, "AR202": 200} {
		if byRule[id] != want {
			t.Errorf("%s: %d findings, want %d", id, byRule[id], want)
		}
	}
}
