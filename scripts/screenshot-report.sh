#!/usr/bin/env bash
#
# Render study reports in headless Chromium to PNG, for a person to look
# at (the report's figures are checked by tests; how they look is not).
#
#   scripts/screenshot-report.sh [--at Y[,Y...]] [REPORT.html...]
#
# Without arguments it builds bench/report_bench in build/ and writes two
# reports of synthetic studies: "spiral", the demo's space searched by the
# TPE (300 trials, 3 workers, some failed, running and reclaimed), and
# "cifar100k", the CIFAR-100 space with 100,000 random trials (binned
# figures). Each report is cut into 1400 x 1000 pictures from the top of
# the page down, build/screenshots/NAME-01.png, -02.png and so on (a
# headless screenshot does not scroll to an #anchor, so each picture is a
# small page that shows the report in a frame moved up by 1000 px a time).
# With --at, one picture per given offset instead (px from the top of the
# page): docs/report-*.png are `--at 660` and `--at 1520` of the demo's
# report (build/demo/report.html after scripts/demo.sh).
# Needs Debian's chromium package (installed when missing, as the other
# scripts do).
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

offsets=
if [[ ${1:-} == --at ]]; then
	offsets=${2:?--at needs offsets, e.g. --at 0,1500}
	shift 2
fi
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
	# The page is about as tall as its figures plus 2,500 px of text.
	height=$(grep -o '<svg [^>]*height="[0-9.]*"' "$report" |
		sed 's/.*height="\([0-9]*\).*/\1/' |
		awk '{ h += $1 } END { print int(h) + 2500 }')
	if [[ -n $offsets ]]; then
		IFS=, read -r -a at <<<"$offsets"
	else
		at=()
		for ((y = 0; y < height; y += 1000)); do
			at+=("$y")
		done
	fi
	for i in "${!at[@]}"; do
		frame=$profile/frame.html
		printf '%s' "<!DOCTYPE html><html><body style=\"margin:0;" \
			"overflow:hidden\"><iframe src=\"$url\" scrolling=\"no\"" \
			" style=\"border:0;width:1400px;height:$((height + 1000))px;" \
			"margin-top:-${at[i]}px\"></iframe></body></html>" \
			>"$frame"
		shot "$out/$name-$(printf '%02d' $((i + 1))).png" 1400 1000 \
			"file://$frame"
	done
done
