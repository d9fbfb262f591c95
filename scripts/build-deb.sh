#!/usr/bin/env bash
#
# Build parzen's Debian packages from this checkout and check them.
#
#   scripts/build-deb.sh [OUTDIR]      (default: build-deb/)
#
# The files git knows (committed or not, minus ignored ones) are copied to
# a temporary parzen-VERSION/ tree, built there with
# `dpkg-buildpackage -us -uc -b` (so the checkout gets no debian/ build
# droppings), and the .debs, .buildinfo and .changes land in OUTDIR.
# Then lintian checks the .changes; its tags are printed with a count per
# severity, and the script fails if lintian reports an error. The last
# line is "lintian: N errors, N warnings, N info". DEB_BUILD_OPTIONS is
# passed through (nocheck skips the unit tests run during the build).
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build-deb}
mkdir -p -- "$out"
out=$(cd -- "$out" && pwd)

for tool in dpkg-buildpackage lintian git; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "build-deb: $tool not found (scripts/lib/deps.sh lists the" \
		     "packages: dpkg-dev, debhelper, dh-python, lintian)" >&2
		exit 1
	fi
done

version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
upstream=${version%-*}
work=$(mktemp -d "${TMPDIR:-/tmp}/parzen-deb.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
src=$work/parzen-$upstream
mkdir -p -- "$src"
(cd -- "$root" && git ls-files -z --cached --others --exclude-standard) |
	(cd -- "$root" && xargs -0 cp --parents -t "$src" --) 2>/dev/null || {
	# Deleted but not yet committed files: copy what exists.
	(cd -- "$root" && git ls-files -z --cached --others --exclude-standard) |
		while IFS= read -r -d '' f; do
			[[ -e $root/$f ]] && (cd -- "$root" && cp --parents -- "$f" "$src")
		done
}

echo "build-deb: building $version in $src"
(cd -- "$src" && dpkg-buildpackage -us -uc -b)
changes=$work/parzen_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
cp -- "$work"/*.deb "$work"/*.buildinfo "$changes" "$out"/
echo "build-deb: packages in $out:"
(cd -- "$out" && ls -1 -- *.deb)

echo "build-deb: lintian $(basename -- "$changes")"
set +e
lintian --tag-display-limit 0 --display-info "$out/$(basename -- "$changes")" \
	>"$out/lintian.txt" 2>&1
lint=$?
set -e
cat -- "$out/lintian.txt"
errors=$(grep -c '^E: ' "$out/lintian.txt" || true)
warnings=$(grep -c '^W: ' "$out/lintian.txt" || true)
infos=$(grep -c '^I: ' "$out/lintian.txt" || true)
echo "lintian: $errors errors, $warnings warnings, $infos info"
if ((errors > 0 || lint > 1)); then
	exit 1
fi
