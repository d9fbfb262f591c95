#!/usr/bin/env bash
#
# Pictures of the dashboard and of the report's fixed figures, for a
# person to look at (the browser tests check the pages; how they look is
# not a test):
#
#   scripts/screenshot-dashboard.sh [--docs]
#
# Starts parzend on a temporary socket, fills a CIFAR-style study through
# it (tests/browser/fixture.py: 150 trials of the examples/cifar_style
# space by four workers, two left running), starts `parzen dashboard` on a
# free port, and takes with Debian's chromium (headless, puppeteer-core):
#
#   build/screenshots/dashboard-studies.png   the studies page
#   build/screenshots/dashboard-study.png     the top of the study page
#   build/screenshots/dashboard-*.png         parallel, contour, edf (and
#                                             learning curves when this
#                                             parzend has trial.report)
#   build/screenshots/dashboard-trial.png     the best trial's page
#   build/screenshots/report-after-*.png      the report's best-trial box,
#                                             priors legend and pairs
#
# With --docs, copies them to docs/ (docs/report-before-*.png were taken
# the same way from the report before its fixes). Needs the build in
# build/ and the test packages (scripts/lib/deps.sh: chromium, nodejs,
# npm); installs puppeteer-core with npm ci in tests/browser if missing.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

pz_ensure_packages "${PZ_BUILD_PACKAGES[@]}" chromium nodejs npm

docs=0
[[ ${1:-} == --docs ]] && docs=1

if [[ ! -f build/meson-private/coredata.dat ]]; then
	meson setup build
fi
ninja -C build daemon/parzend cli/parzen >/dev/null
if [[ ! -d tests/browser/node_modules/puppeteer-core ]]; then
	(cd tests/browser && npm ci --no-audit --no-fund)
fi

out=$root/build/screenshots
mkdir -p "$out"
tmp=$(mktemp -d)
daemon_pid=
dash_pid=
cleanup()
{
	[[ -n $dash_pid ]] && kill "$dash_pid" 2>/dev/null && wait "$dash_pid" || true
	[[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" || true
	rm -rf -- "$tmp"
}
trap cleanup EXIT

sock=$tmp/parzend.sock
build/daemon/parzend --socket "$sock" --db "$tmp/parzen.db" \
	--durability normal >"$tmp/parzend.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
	[[ -S $sock ]] && break
	sleep 0.1
done
"$PZ_PYTHON" tests/browser/fixture.py "$sock" cifar_style --trials 150 \
	--max-trials 300
"$PZ_PYTHON" tests/browser/fixture.py "$sock" mnist_small --trials 40 \
	--seed 11 --algo random

build/cli/parzen --socket "$sock" dashboard --listen 127.0.0.1:0 \
	>"$tmp/dash.out" 2>"$tmp/dash.err" &
dash_pid=$!
for _ in $(seq 100); do
	[[ -s $tmp/dash.out ]] && break
	sleep 0.1
done
url=$(head -1 "$tmp/dash.out" | sed 's/^parzen dashboard: //')
best=$(build/cli/parzen --socket "$sock" best cifar_style --json |
	"$PZ_PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["trial"]["id"])')
build/cli/parzen --socket "$sock" report cifar_style -o "$tmp/report.html"

(cd tests/browser &&
	node shots.js dashboard "$url" cifar_style "$best" "$out/dashboard" &&
	node shots.js report "$tmp/report.html" "$out/report-after")

if ((docs)); then
	for f in "$out"/dashboard-*.png "$out"/report-after-*.png; do
		cp -- "$f" docs/
		echo "copied: docs/$(basename -- "$f")"
	done
fi
