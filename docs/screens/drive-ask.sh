#!/usr/bin/env bash
# Drives `aadvisor ask` through tmux from the first question to the saved plan
# and stores each screen as text in docs/screens/ask-*.txt.
# Usage: docs/screens/drive-ask.sh [path/to/aadvisor]   (needs tmux)
set -euo pipefail
bin=$(realpath "${1:-./aadvisor}")
out=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'tmux kill-session -t aadvisor-ask 2>/dev/null || true; rm -rf "$work"' EXIT
tmux new-session -d -s aadvisor-ask -x 130 -y 42 \
  "cd $work && NO_COLOR=1 $bin ask -o plan.yaml > recommendation.txt; echo \"exit status \$?\"; echo '\$ head -32 plan.yaml'; head -32 plan.yaml; sleep 600"
sleep 1.5
k() { tmux send-keys -t aadvisor-ask "$@"; sleep 0.35; }
typ() { tmux send-keys -t aadvisor-ask -l "$1"; sleep 0.3; k Enter; }
cap() { tmux capture-pane -t aadvisor-ask -p | sed -e 's/[[:space:]]*$//' > "$out/$1"; }

cap ask-01-first-question.txt
k Down; k Down; k Down; k Enter               # slo_target 99.99 (nothing is chosen at first)
cap ask-02-budget-after-target.txt
k Enter                                       # slo_window: year
k Enter                                       # maintenance counts: yes
k Space; k Down; k Space; k Down; k Space     # node, az, region
cap ask-03-failure-domain.txt
k Enter
k Down; k Enter                               # rto_region: ≤ 15 min
k Down; k Down; k Down; k Enter               # rpo_region: ≤ 1 min
tmux send-keys -t aadvisor-ask -l "us-east-1=70, eu-west-1=30"; sleep 0.3
cap ask-04-write-regions.txt
k Enter
k Enter                                       # primary_region: largest share
typ "us-west-2"                               # standby_region
k Enter; k Enter; k Enter; k Enter            # latency budget, round trips, rtt, distances
typ "1200"                                    # write_tps_peak
k Up; k Up; k Up; k Enter                     # primary_headroom: < 50%
k Enter; k Enter                              # read/write ratio, replication window
k Down; k Enter                               # partition_key: yes
typ "tenant_id"                               # owner column
k Enter                                       # cross-owner: rare
k Space; k Enter                              # invariants: unique
k Down; k Down; k Enter                       # conflict policy: repair
k Enter; k Enter                              # hot rows: no; disconnected: no
k Space; k Down; k Down; k Down; k Down; k Down; k Space   # region_loss, scale_writes
cap ask-05-motivations.txt
k Enter
k Enter                                       # residency: no
k Down; k Down; k Down; k Down; k Down; k Down  # platform: patroni
cap ask-06-platform.txt
k Enter
k Down; k Down; k Enter                       # team: business hours
k Enter; k Enter; k Enter; k Enter            # ddl, pg version, failovers, switchovers
sleep 0.5
cap ask-07-recommendation.txt
k Space
cap ask-08-recommendation-scrolled.txt
k Enter                                       # accept & save
sleep 1
cap ask-09-saved-plan.txt
cp "$work/recommendation.txt" "$out/ask-10-stdout.txt"

# The same first question on an 80x24 terminal: the title and the progress
# stay on top, the side panel shrinks to one line.
tmux kill-session -t aadvisor-ask 2>/dev/null || true
tmux new-session -d -s aadvisor-ask -x 80 -y 24 "cd $work && NO_COLOR=1 $bin ask -o plan.yaml; sleep 600"
sleep 1.5
cap ask-11-80x24.txt
k Down; k Down; k Down; k Enter
cap ask-12-80x24-second.txt
