#!/usr/bin/env bash
# make demo: one local PostgreSQL node, the shop schema, a short workload with
# real multi-primary hazards, then assess, observe, recommend and the HTML
# report. Tears the node down at the end. Takes under a minute.
#
#   AADVISOR=bin/aadvisor   the binary (make demo builds it)
#   DEMO_OUT=bin/demo       where the outputs go
#   DEMO_SECONDS=12         how long the workload runs (observe runs a bit longer)
#   DEMO_PG=                PostgreSQL version or bin directory for the sandbox (default: newest found)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
AADVISOR=${AADVISOR:-bin/aadvisor}
DEMO_OUT=${DEMO_OUT:-bin/demo}
DEMO_SECONDS=${DEMO_SECONDS:-12}
DEMO_PG=${DEMO_PG:-}
sandbox_dir=${TMPDIR:-/tmp}/aadvisor-demo-$$

if [ -t 2 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain" >&2; }
note() { printf '    %s\n' "$*" >&2; }
have_cmd() { "$AADVISOR" "$1" --help >/dev/null 2>&1; }

find_pg_tool() {
	local t=$1 p
	if p=$(command -v "$t" 2>/dev/null); then echo "$p"; return 0; fi
	for p in /usr/lib/postgresql/*/bin/"$t"; do
		[ -x "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

PSQL=$(find_pg_tool psql) || { echo "demo: psql not found (apt-get install postgresql-client)" >&2; exit 1; }
PGBENCH=${DEMO_PGBENCH-$(find_pg_tool pgbench || true)} # DEMO_PGBENCH= forces the psql fallback

rm -rf "$DEMO_OUT"
mkdir -p "$DEMO_OUT"
started=$SECONDS

cleanup() {
	local rc=$?
	if [ -n "${observe_pid:-}" ] && kill -0 "$observe_pid" 2>/dev/null; then
		kill -INT "$observe_pid" 2>/dev/null || true
		wait "$observe_pid" 2>/dev/null || true
	fi
	if [ -d "$sandbox_dir" ]; then
		step "tearing the sandbox down"
		"$AADVISOR" sandbox down --dir "$sandbox_dir" >&2 || true
	fi
	exit $rc
}
trap cleanup EXIT INT TERM

step "starting a sandbox node"
pgflag=()
[ -n "$DEMO_PG" ] && pgflag=(--pg "$DEMO_PG")
admin=$("$AADVISOR" sandbox up --nodes 1 --dir "$sandbox_dir" --name demo "${pgflag[@]}" | head -n1)
dsn=${admin/\/postgres\?/\/shop\?}
note "$dsn"

step "loading the shop schema (examples/shop/schema.sql) and seed data"
"$PSQL" "$admin" -qX -v ON_ERROR_STOP=1 -c 'CREATE DATABASE shop' >/dev/null
"$PSQL" "$dsn" -qX -v ON_ERROR_STOP=1 -f examples/shop/schema.sql -f "$here/seed.sql" >/dev/null

observe_ok=false
if have_cmd observe; then
	step "observe: capturing the change stream while the workload runs ($((DEMO_SECONDS + 4)) s)"
	"$AADVISOR" observe --dsn "$dsn" --duration "$((DEMO_SECONDS + 4))s" --regions 2 --lag 100ms \
		--format json >"$DEMO_OUT/forecast.json" 2>"$DEMO_OUT/observe.log" &
	observe_pid=$!
	# wait for its replication slot, so the capture sees the whole workload
	for _ in $(seq 1 50); do
		n=$("$PSQL" "$dsn" -qAtX -c "SELECT count(*) FROM pg_catalog.pg_replication_slots WHERE slot_name LIKE 'aadv%' OR temporary" 2>/dev/null || echo 0)
		[ "${n:-0}" -gt 0 ] && break
		kill -0 "$observe_pid" 2>/dev/null || break
		sleep 0.2
	done
else
	note "skipped: this build has no 'aadvisor observe' command; the report will say the forecast is missing"
fi

if [ -n "$PGBENCH" ]; then
	step "workload: checkout, page views, sign-ups and a job queue for ${DEMO_SECONDS} s (pgbench, 4 clients)"
	"$PGBENCH" -n -c 4 -j 2 -T "$DEMO_SECONDS" \
		-f "$here/order.sql@5" -f "$here/browse.sql@3" -f "$here/signup.sql@1" -f "$here/worker.sql@1" \
		"$dsn" >"$DEMO_OUT/pgbench.log" 2>&1 || note "pgbench reported errors: see $DEMO_OUT/pgbench.log"
	grep -E '^(number of transactions actually processed|tps)' "$DEMO_OUT/pgbench.log" | sed 's/^/    /' >&2 || true
else
	step "workload: pgbench not found; replaying checkouts and page views through one psql session"
	for i in $(seq 1 3000); do
		pid=$(( (RANDOM % 4 == 0) ? RANDOM % 200 + 1 : RANDOM % 3 + 1 ))
		echo "BEGIN; UPDATE product_stats SET views = views + 1 WHERE product_id = $pid;"
		echo "UPDATE inventory SET on_hand = on_hand - 1 WHERE product_id = $pid;"
		echo "INSERT INTO orders (customer_id, total_cents) VALUES ($((RANDOM % 1000 + 1)), 1999);"
		echo "INSERT INTO jobs (kind, payload) VALUES ('email', '{\"n\": $i}'); COMMIT;"
	done | "$PSQL" "$dsn" -qX >/dev/null
fi

if [ -n "${observe_pid:-}" ]; then
	if wait "$observe_pid"; then
		observe_ok=true
		tail -n1 "$DEMO_OUT/observe.log" | sed 's/^/    /' >&2
	else
		note "observe failed (see $DEMO_OUT/observe.log); the report goes without a forecast"
	fi
	observe_pid=
fi
[ -s "$DEMO_OUT/forecast.json" ] || observe_ok=false

step "assess: the live schema, statistics and pg_stat_statements"
# --nodes 2: the answers' two write regions, as observe's --regions 2, so
# the page judges one mesh (sequence offsets, hot rows) throughout.
"$AADVISOR" assess --dsn "$dsn" --nodes 2 --format json --fail-on none >"$DEMO_OUT/assessment.json"
"$AADVISOR" assess --dsn "$dsn" --nodes 2 --format text --fail-on none --no-color 2>/dev/null | head -n 3 | sed 's/^/    /' >&2 || true

step "recommend: the decision procedure on examples/demo/answers.yaml, with the evidence folded in"
rec_args=(--answers "$here/answers.yaml" --assessment "$DEMO_OUT/assessment.json" -o "$DEMO_OUT/plan.yaml")
$observe_ok && rec_args+=(--forecast "$DEMO_OUT/forecast.json")
"$AADVISOR" recommend "${rec_args[@]}" --format text >"$DEMO_OUT/recommendation.txt"
head -n1 "$DEMO_OUT/recommendation.txt" | sed 's/^/    /' >&2

step "report: one self-contained HTML page"
rep_args=(--assessment "$DEMO_OUT/assessment.json" --plan "$DEMO_OUT/plan.yaml" -o "$DEMO_OUT/report.html")
$observe_ok && rep_args+=(--forecast "$DEMO_OUT/forecast.json")
if have_cmd report; then
	"$AADVISOR" report "${rep_args[@]}"
else
	note "skipped: this build has no 'aadvisor report' command"
fi

step "tearing the sandbox down"
"$AADVISOR" sandbox down --dir "$sandbox_dir" >&2 || true

step "done in $((SECONDS - started)) s"
for f in assessment.json forecast.json plan.yaml recommendation.txt report.html; do
	[ -e "$DEMO_OUT/$f" ] && note "$DEMO_OUT/$f"
done
if [ -e "$DEMO_OUT/report.html" ]; then
	echo "open file://$(cd "$DEMO_OUT" && pwd)/report.html"
fi
