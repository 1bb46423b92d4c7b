package stream

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aadvisor/aadvisor/replicate/sandbox/sandboxtest"
	"github.com/jackc/pglogrepl"
)

// TestDecodeThroughput compares observe's capture with pg_recvlogical
// draining the same backlog (two slots created before the workload, so
// both see all of it) on the same node, to the same end LSN. It is a
// benchmark: set AADV_BENCH=1 (and AADV_BENCH_ROWS for the size) to run it.
//
//	AADV_BENCH=1 go test ./inspect/stream -run TestDecodeThroughput -v
func TestDecodeThroughput(t *testing.T) {
	if os.Getenv("AADV_BENCH") == "" {
		t.Skip("benchmark: set AADV_BENCH=1")
	}
	rows := 300_000
	if s := os.Getenv("AADV_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		rows = n
	}
	node, dsn := sandboxtest.TestDatabase(t, 15)
	db := dsn[strings.LastIndexByte(dsn, '/')+1 : strings.IndexByte(dsn, '?')]
	recv := filepath.Join(node.Install.BinDir, "pg_recvlogical")
	if _, err := os.Stat(recv); err != nil {
		t.Skipf("no pg_recvlogical: %v", err)
	}
	ctx := context.Background()
	exec1 := func(sql string) {
		t.Helper()
		if err := node.Exec(ctx, db, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	exec1("CREATE TABLE bench (id bigint PRIMARY KEY, a int, b text, c timestamptz)")
	exec1("CREATE PUBLICATION bench_pub FOR ALL TABLES")
	const runs = 3
	for i := 0; i < runs; i++ {
		exec1(fmt.Sprintf("SELECT pg_create_logical_replication_slot('bench_recv_%d', 'pgoutput')", i))
		exec1(fmt.Sprintf("SELECT pg_create_logical_replication_slot('bench_obs_%d', 'pgoutput')", i))
	}
	t.Cleanup(func() {
		node.Exec(context.Background(), db, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name LIKE 'bench\\_%'")
	})
	gen := time.Now()
	const batch = 10_000
	for i := 0; i < rows; i += batch {
		exec1(fmt.Sprintf("INSERT INTO bench SELECT g, g %% 1000, md5(g::text), now() FROM generate_series(%d, %d) g", i+1, min(i+batch, rows)))
	}
	for i := 0; i < rows; i += batch {
		exec1(fmt.Sprintf("UPDATE bench SET a = a + 1 WHERE id BETWEEN %d AND %d", i+1, min(i+batch, rows)))
	}
	conn, err := node.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var endLSN string
	if err := conn.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&endLSN); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	// One more commit past the end position, so both tools see it.
	exec1("INSERT INTO bench VALUES (0, 0, 'end', now())")
	end, err := pglogrepl.ParseLSN(endLSN)
	if err != nil {
		t.Fatal(err)
	}
	changes := 2 * rows
	t.Logf("backlog: %d changes in %d transactions, generated in %s, end LSN %s", changes, 2*rows/batch, time.Since(gen).Round(time.Millisecond), endLSN)

	var bestRecv, bestObs time.Duration
	for i := 0; i < runs; i++ {
		start := time.Now()
		cmd := exec.Command(recv, "-d", node.KeywordDSN(db), "--slot", fmt.Sprintf("bench_recv_%d", i), "--start",
			"-o", "proto_version=1", "-o", "publication_names=bench_pub", "--endpos", endLSN, "--no-loop", "-f", "/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("pg_recvlogical: %v: %s", err, out)
		}
		dr := time.Since(start)

		start = time.Now()
		res, err := Capture(ctx, Options{DSN: dsn, Slot: fmt.Sprintf("bench_obs_%d", i), Publication: "bench_pub", EndLSN: uint64(end)}, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		do := time.Since(start)
		if res.Changes < int64(changes) || res.Reason != "end LSN" {
			t.Fatalf("observe read %d changes (%s), want ≥ %d", res.Changes, res.Reason, changes)
		}
		t.Logf("run %d: pg_recvlogical %s (%.0f changes/s), observe %s (%.0f changes/s, %d changes, trace %d bytes), ratio %.2f",
			i+1, dr.Round(time.Millisecond), float64(changes)/dr.Seconds(), do.Round(time.Millisecond), float64(changes)/do.Seconds(),
			res.Changes, res.TraceBytes, dr.Seconds()/do.Seconds())
		if bestRecv == 0 || dr < bestRecv {
			bestRecv = dr
		}
		if bestObs == 0 || do < bestObs {
			bestObs = do
		}
	}
	ratio := bestRecv.Seconds() / bestObs.Seconds()
	t.Logf("best of %d: pg_recvlogical %.0f changes/s, observe %.0f changes/s, observe/pg_recvlogical = %.2f (GOMAXPROCS %d)",
		runs, float64(changes)/bestRecv.Seconds(), float64(changes)/bestObs.Seconds(), ratio, runtime.GOMAXPROCS(0))
	if ratio < 0.8 {
		t.Errorf("observe decodes at %.2f× pg_recvlogical, goal ≥ 0.8×", ratio)
	}
}

// pgoutput builds protocol-version-1 pgoutput messages for the offline
// decode benchmark.
type pgoutput struct{ b []byte }

func (p *pgoutput) u8(v byte) *pgoutput { p.b = append(p.b, v); return p }
func (p *pgoutput) u16(v uint16) *pgoutput {
	p.b = append(p.b, byte(v>>8), byte(v))
	return p
}
func (p *pgoutput) u32(v uint32) *pgoutput {
	p.b = append(p.b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	return p
}
func (p *pgoutput) u64(v uint64) *pgoutput { return p.u32(uint32(v >> 32)).u32(uint32(v)) }
func (p *pgoutput) str(s string) *pgoutput { p.b = append(append(p.b, s...), 0); return p }
func (p *pgoutput) text(s string) *pgoutput {
	p.u8('t').u32(uint32(len(s)))
	p.b = append(p.b, s...)
	return p
}

// BenchmarkDecode measures the client side of observe alone: pgoutput
// messages (a begin, 100 narrow inserts, 100 updates, a commit per
// transaction) parsed and written to a trace, in changes per second.
func BenchmarkDecode(b *testing.B) {
	rel := (&pgoutput{}).u8('R').u32(16384).str("public").str("bench").u8('d').u16(4).
		u8(1).str("id").u32(20).u32(0xffffffff).u8(0).str("a").u32(23).u32(0xffffffff).
		u8(0).str("b").u32(25).u32(0xffffffff).u8(0).str("c").u32(1184).u32(0xffffffff).b
	begin := (&pgoutput{}).u8('B').u64(1 << 32).u64(800000000000000).u32(1234).b
	commit := (&pgoutput{}).u8('C').u8(0).u64(1 << 32).u64(1<<32 + 100).u64(800000000000000).b
	ins := (&pgoutput{}).u8('I').u32(16384).u8('N').u16(4).text("123456").text("456").
		text("e10adc3949ba59abbe56e057f20f883e").text("2026-11-25 20:21:09.123456+00").b
	upd := (&pgoutput{}).u8('U').u32(16384).u8('N').u16(4).text("123456").text("457").
		text("e10adc3949ba59abbe56e057f20f883e").text("2026-11-25 20:21:09.123456+00").b
	tw, err := NewWriter(io.Discard, Meta{})
	if err != nil {
		b.Fatal(err)
	}
	c := &capture{tw: tw, rels: map[uint32]*Table{}, res: &Result{}, start: time.Now()}
	if _, err := c.handle(rel); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.handle(begin)
		for j := 0; j < 100; j++ {
			c.handle(ins)
		}
		for j := 0; j < 100; j++ {
			c.handle(upd)
		}
		if _, err := c.handle(commit); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(200*b.N)/b.Elapsed().Seconds(), "changes/s")
}
