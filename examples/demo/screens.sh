#!/usr/bin/env bash
# Screenshots of a report for docs/screens: one PNG per part of the page,
# taken with headless Chromium from a copy of the page that hides the other
# sections. Usage: examples/demo/screens.sh [bin/demo/report.html] [docs/screens]
set -euo pipefail
page=$(realpath "${1:-bin/demo/report.html}")
out=$(realpath "${2:-docs/screens}")
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome) || {
	echo "screens: chromium not found (apt-get install chromium)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

shot() { # name height css
	local name=$1 height=$2 css=$3
	sed "s|</head>|<style>$css</style></head>|" "$page" >"$tmp/$name.html"
	"$browser" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-quic \
		--no-first-run --disable-component-update --disable-sync --hide-scrollbars \
		--user-data-dir="$tmp/profile" --window-size="1280,$height" \
		--screenshot="$out/$name.png" "file://$tmp/$name.html" 2>/dev/null
	echo "$out/$name.png" >&2
}
only() { # the CSS that keeps the header off and one or more sections on
	local keep=$1 sel=""
	for s in recommendation budget latency topology hazards tables forecast; do
		case " $keep " in *" $s "*) ;; *) sel+="#$s,";; esac
	done
	echo "header.top,nav.toc,footer,${sel%,}{display:none!important}main{padding-top:0}"
}

shot report-top 1500 ""
shot report-budget-latency 1500 "$(only "budget latency")"
shot report-topology 900 "$(only topology)"
shot report-hazards 1500 "$(only "hazards tables") #hazards details.rule:first-of-type{display:block}"
shot report-forecast 2100 "$(only forecast)"
