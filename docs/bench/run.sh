#!/usr/bin/env bash
# Reproduces the assess-at-scale numbers of docs/performance.md. Each step
# prints the go test output the document quotes; run from anywhere.
#
#   docs/bench/run.sh [offline|scale|memory|live15|live18|rules|all]...
#
# live18 needs pg_dump 18 (docs/bench/pg_dump.sh builds it; set
# AADVISOR_BENCH_PG_DUMP to use another) and the PostgreSQL 18 server
# (make pg). The live steps build their own sandbox node and database and
# remove them. On a shared machine, run this when it is quiet and compare
# ratios rather than seconds.
set -euo pipefail
cd "$(dirname "$0")/../.."
steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(all)
[ "${steps[0]}" = all ] && steps=(offline scale memory live15 live18 rules)
for step in "${steps[@]}"; do
	echo "== $step: $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs"
	case $step in
	offline) # 10,000 tables with 0 to 5,000 statements: whole command and the time after the schema is read
		go test ./cmd/aadvisor -run '^$' -bench AssessOffline -benchtime 3x -count 1 -timeout 60m ;;
	scale) # 10,000 against 40,000 tables and statements, phase by phase
		AADVISOR_SCALE_TABLES=10000 go test ./cmd/aadvisor -run TestAssessScalesLinearly -count 1 -v -timeout 60m ;;
	memory) # peak resident memory on a 50 MB schema, per format
		AADVISOR_BENCH_SCHEMA_MB=50 go test ./cmd/aadvisor -run '^$' -bench AssessMemory -benchtime 1x -count 1 -timeout 60m ;;
	live15) # assess --dsn against pg_dump --schema-only, PostgreSQL 15, in turn
		AADVISOR_BENCH_LIVE=1 AADVISOR_BENCH_PG=15 go test ./cmd/aadvisor -run '^$' -bench AssessLive -benchtime 6x -count 1 -v -timeout 60m ;;
	live18) # the same on PostgreSQL 18
		dump=${AADVISOR_BENCH_PG_DUMP:-$(docs/bench/pg_dump.sh)}
		AADVISOR_BENCH_PG_DUMP=$dump AADVISOR_BENCH_LIVE=1 AADVISOR_BENCH_PG=18 \
			go test ./cmd/aadvisor -run '^$' -bench AssessLive -benchtime 6x -count 1 -v -timeout 60m ;;
	rules) # every rule over 2,000 tables and 5,000 statements (a model built in memory)
		go test ./rules -run '^$' -bench Run -benchtime 3x -count 1 ;;
	*)
		echo "run.sh: unknown step $step (offline, scale, memory, live15, live18, rules, all)" >&2
		exit 2 ;;
	esac
done
