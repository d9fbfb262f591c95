#!/usr/bin/env bash
#
# The first thing to run on a fresh Debian machine: install what the build
# needs, build parzen in build/, and run the tutorial (examples/tutorial.c),
# which runs hyperopt's tutorial examples in-process through libparzen's
# TPE and prints what each search found, then samples the CIFAR-100 space.
# Works from any directory.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

pz_ensure_packages "${PZ_BUILD_PACKAGES[@]}"

# Keep an existing build/ with its options (scripts/test.sh configures it
# with -Dwerror=true); ninja re-runs meson by itself when a meson.build
# changed.
if [[ ! -f build/meson-private/coredata.dat ]]; then
	rm -rf build
	meson setup build
fi
meson compile -C build examples/tutorial

echo
build/examples/tutorial "$root/bench/spaces/cifar100.json"
echo
echo "demo: done. scripts/test.sh builds and runs every test."
