#!/usr/bin/env bash
#
# Build parzen and run every test, the way CI does (.ci/run calls this).
#
#   1. Install the Debian packages the build and the tests need, if missing.
#   2. build/       -Dwerror=true; `meson test` runs every suite.
#   3. build-asan/  AddressSanitizer + UBSan, -Dwerror=true; the unit, fuzz,
#                   integration and browser suites (the last runs the
#                   dashboard under the sanitizers).
#   4. build/ again, the unit suite under valgrind (the `valgrind` setup).
#
# Each run's results are read from meson's JSON test log, and the last line
# printed is the total over all runs: "N passed, N failed". A build that
# fails counts as one failed test. The exit status is non-zero if anything
# failed. Works from any directory.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

pz_ensure_packages "${PZ_TEST_PACKAGES[@]}"

total_passed=0
total_failed=0
total_skipped=0
runs=()

note()
{
	printf '\n=== test.sh: %s\n' "$*"
}

# record NAME PASSED FAILED SKIPPED
record()
{
	total_passed=$((total_passed + $2))
	total_failed=$((total_failed + $3))
	total_skipped=$((total_skipped + $4))
	runs+=("$(printf '%-28s %4d passed, %d failed, %d skipped' \
	          "$1:" "$2" "$3" "$4")")
}

# configure DIR MESON_OPTION...: set up DIR, or reconfigure it with these
# options when it already exists (wiping it if that fails).
configure()
{
	local dir=$1

	shift
	if [[ -f $dir/meson-private/coredata.dat ]]; then
		meson setup --reconfigure "$dir" "$@" ||
			meson setup --wipe "$dir" "$@"
	else
		rm -rf -- "$dir"
		meson setup "$dir" "$@"
	fi
}

# build NAME DIR MESON_OPTION...: configure and compile; a failure is
# recorded as one failed test and returns 1.
build()
{
	local name=$1 dir=$2

	shift 2
	note "configure and build $dir ($*)"
	if configure "$dir" "$@" && meson compile -C "$dir"; then
		return 0
	fi
	echo "test.sh: building $dir failed" >&2
	record "$name (build)" 0 1 0
	return 1
}

# count_log LOG: print "passed failed skipped" for one meson JSON test log
# (one object per line; "result" is OK, EXPECTEDFAIL, SKIP, FAIL, TIMEOUT,
# UNEXPECTEDPASS, ERROR, ...).
count_log()
{
	"$PZ_PYTHON" - "$1" <<'PY'
import json
import sys

passed = failed = skipped = 0
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        result = json.loads(line).get("result")
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print(passed, failed, skipped)
PY
}

# run_tests NAME DIR MESON_TEST_ARG...: run `meson test` and record its
# results from the JSON log (meson-logs/testlog.json, or
# testlog-SETUP.json with --setup SETUP). If meson fails without any failed
# test in its log, or writes no log, that counts as one failure.
run_tests()
{
	local name=$1 dir=$2 log=testlog rc=0 passed=0 failed=0 skipped=0
	local arg prev=

	shift 2
	for arg in "$@"; do
		[[ $prev == --setup ]] && log=$log-$arg
		prev=$arg
	done
	log=$dir/meson-logs/$log.json
	rm -f -- "$log"
	note "meson test -C $dir $*"
	meson test -C "$dir" --print-errorlogs "$@" || rc=$?
	if [[ -f $log ]]; then
		read -r passed failed skipped < <(count_log "$log")
	else
		echo "test.sh: meson wrote no test log ($log)" >&2
		((rc != 0)) || rc=1
	fi
	if ((rc != 0 && failed == 0)); then
		echo "test.sh: meson test exited with status $rc" >&2
		failed=1
	fi
	record "$name" "$passed" "$failed" "$skipped"
}

build_ok=0
if build "build" build -Dwerror=true; then
	build_ok=1
	run_tests "build (all suites)" build
fi

if build "build-asan" build-asan -Db_sanitize=address,undefined \
	-Db_lundef=false -Dwerror=true; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_tests "asan+ubsan (unit, fuzz, integration, browser)" \
		build-asan --suite unit --suite fuzz --suite integration \
		--suite browser
fi

if ((build_ok)); then
	run_tests "valgrind (unit)" build --setup valgrind --suite unit
fi

note "summary"
printf '%s\n' "${runs[@]}"
if ((total_skipped > 0)); then
	echo "($total_skipped skipped)"
fi
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
