#!/usr/bin/env bash
# Drives `aadvisor mesh status --watch` through tmux on a 3-node PostgreSQL 18
# sandbox mesh (native, origin = none) and stores the screens as text in
# docs/screens/mesh-*.txt: healthy, a node stopped under write load, and
# after it came back.
# Usage: docs/screens/drive-mesh.sh [path/to/aadvisor]   (needs tmux, psql, PostgreSQL 18)
set -euo pipefail
bin=$(realpath "${1:-./aadvisor}")
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
name=screens-mesh
cleanup() {
  tmux kill-session -t aadvisor-mesh 2>/dev/null || true
  "$bin" sandbox down --name $name >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
"$bin" sandbox up --nodes 3 --pg 18 --name $name >/dev/null
ports=$("$bin" sandbox status --name $name --format json | python3 -c 'import json,sys; print(" ".join(str(n["port"]) for n in json.load(sys.stdin)["nodes"]))')
for p in $ports; do
  psql -X -q -h 127.0.0.1 -p "$p" -U postgres -c "CREATE DATABASE app"
  psql -X -q -h 127.0.0.1 -p "$p" -U postgres app -c "CREATE TABLE accounts (id bigint PRIMARY KEY, owner text NOT NULL, balance numeric(12,2) NOT NULL DEFAULT 0, note text)"
done
"$bin" bootstrap --sandbox 3 --sandbox-name $name --pg 18 --topology active-active --engine native --database app -o mesh.yaml >/dev/null
set -- $ports
p1=$1 p3=$3
node3_pid=$("$bin" sandbox status --name $name --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["nodes"][2]["pid"])')

tmux new-session -d -s aadvisor-mesh -x 120 -y 36 "cd $work && NO_COLOR=1 $bin mesh status --plan mesh.yaml --watch --interval 1s; sleep 600"
cap() { tmux capture-pane -t aadvisor-mesh -p | sed -e 's/[[:space:]]*$//' > "$out/$1"; }
load() { psql -X -q -h 127.0.0.1 -p "$p1" -U postgres app -c "INSERT INTO accounts (id, owner, note) SELECT g, 'n1', repeat('x', 200) FROM generate_series($1, $2) g"; }

sleep 4
load 1 20000
sleep 3
cap mesh-01-healthy.txt
kill -INT "$node3_pid"   # fast shutdown of node3
while kill -0 "$node3_pid" 2>/dev/null; do sleep 0.2; done
for i in 1 2 3 4 5; do load $((i * 100000)) $((i * 100000 + 20000)); sleep 1; done
sleep 1
cap mesh-02-node3-down.txt
"$bin" sandbox up --nodes 3 --name $name >/dev/null
sleep 6
cap mesh-03-recovered.txt
tmux send-keys -t aadvisor-mesh q
sleep 1
"$bin" mesh verify --plan mesh.yaml > "$out/mesh-04-verify.txt" || true
sed -i -e 's/in [0-9.]*s, \([0-9]*\) queries/in N.NNs, \1 queries/' "$out/mesh-04-verify.txt"
