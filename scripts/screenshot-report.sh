#!/usr/bin/env bash
#
# Render study reports in headless Chromium to PNG, for a person to look
# at (the report's figures are checked by tests; how they look is not).
#
#   scripts/screenshot-report.sh [REPORT.html...]
#
# Without arguments it builds bench/report_bench in build/ and writes two
# reports of synthetic studies: "spiral", the demo's space searched by the
# TPE (300 trials, 3 workers, some failed, running and reclaimed), and
# "cifar100k", the CIFAR-100 space with 100,000 random trials (binned
# figures). For each report it takes the whole page and one picture per
# section, into build/screenshots/: NAME-page.png (1400 px wide) and
# NAME-SECTION.png (1400 x 1000 at the section's anchor). Needs Debian's
# chromium package (installed when missing, as the other scripts do).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

pz_ensure_packages "${PZ_BUILD_PACKAGES[@]}" chromium

out=$root/build/screenshots
mkdir -p "$out"
profile=$(mktemp -d)
trap 'rm -rf -- "$profile"' EXIT

reports=("$@")
if ((${#reports[@]} == 0)); then
	if [[ ! -f build/meson-private/coredata.dat ]]; then
		rm -rf build
		meson setup build
	fi
	ninja -C build bench/report_bench >/dev/null
	build/bench/report_bench --synthetic 300 --algo tpe --workers 3 \
		--space examples/spiral/space.json -o "$out/spiral.html"
	build/bench/report_bench --synthetic 100000 --reps 1 \
		--space bench/spaces/cifar100.json -o "$out/cifar100k.html"
	reports=("$out/spiral.html" "$out/cifar100k.html")
fi

# shot FILE.png WIDTH HEIGHT URL
shot()
{
	chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update \
		--disable-sync --no-first-run --hide-scrollbars \
		--user-data-dir="$profile" --screenshot="$1" \
		--window-size="$2,$3" "$4" >/dev/null 2>&1
	echo "screenshot: $1"
}

for report in "${reports[@]}"; do
	name=$(basename -- "$report" .html)
	url=file://$(realpath -- "$report")
	shot "$out/$name-page.png" 1400 9000 "$url"
	for section in study history importance effects priors pairs \
		timeline trials; do
		shot "$out/$name-$section.png" 1400 1000 "$url#$section"
	done
done
