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
#   5. build/ again, the slow suite: the Debian packages built with
#      dpkg-buildpackage, checked by lintian, installed on this machine and
#      used for a search, then purged (about 5 minutes; it needs root and
#      skips itself otherwise). PZ_SKIP_SLOW=1 leaves it out.
#
# Each run's results are read from meson's JSON test log and counted as
# test cases (cmocka and pytest cases; other tests one each), and the last
# line printed is the total over all runs: "N passed, N failed". A build
# that fails counts as one failed test. The build is configured with
# -Dtests=enabled, so a missing test dependency fails the configuration
# instead of dropping a suite. The exit status is non-zero if anything
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
	runs+=("$(printf '%-38s %5d passed, %d failed, %d skipped' \
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
# (one object per line), counting test cases, not meson tests: a cmocka
# executable's cases from its "[  PASSED  ] N test(s)." lines, a pytest
# run's from its summary line ("3 failed, 110 passed, 2 skipped in 9s");
# any other test (a corpus replay, a unit-file check, a browser run
# without its own count) is one case. A test that failed without a
# failed case in its output (a crash, a timeout) counts one more failure.
count_log()
{
	"$PZ_PYTHON" - "$1" <<'PY'
import json
import re
import sys

passed = failed = skipped = 0
CMOCKA_RUN = re.compile(r"^\[=+\] (\d+) test\(s\) run\.", re.M)
CMOCKA = {k: re.compile(r"^\[  %s *\] (\d+) test\(s\)" % k, re.M)
          for k in ("PASSED", "FAILED", "SKIPPED")}
PYTEST = re.compile(r"^=*\s*((?:\d+ \w+(?:, )?)+) in [\d.]+s", re.M)

with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        if not line:
            continue
        t = json.loads(line)
        result = t.get("result")
        ok = result in ("OK", "EXPECTEDFAIL")
        out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
        p = fl = s = 0
        if CMOCKA_RUN.search(out):
            for m in CMOCKA["PASSED"].finditer(out):
                p += int(m.group(1))
            for m in CMOCKA["FAILED"].finditer(out):
                fl += int(m.group(1))
            for m in CMOCKA["SKIPPED"].finditer(out):
                s += int(m.group(1))
        elif PYTEST.search(out):
            summary = PYTEST.findall(out)[-1]
            for n, word in re.findall(r"(\d+) (\w+)", summary):
                if word == "passed" or word == "xfailed":
                    p += int(n)
                elif word in ("failed", "error", "errors", "xpassed"):
                    fl += int(n)
                elif word == "skipped":
                    s += int(n)
        elif result == "SKIP":
            s = 1
        elif ok:
            p = 1
        if not ok and result != "SKIP" and fl == 0:
            fl = 1
        passed += p
        failed += fl
        skipped += s
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
if build "build" build -Dwerror=true -Dtests=enabled; then
	build_ok=1
	run_tests "build (all suites)" build
fi

if build "build-asan" build-asan -Db_sanitize=address,undefined \
	-Db_lundef=false -Dwerror=true -Dtests=enabled; then
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		run_tests "asan+ubsan (unit, fuzz, integration, browser)" \
		build-asan --suite unit --suite fuzz --suite integration \
		--suite browser
fi

if ((build_ok)); then
	run_tests "valgrind (unit)" build --setup valgrind --suite unit
fi

slow_took=
if ((build_ok)) && [[ -z ${PZ_SKIP_SLOW:-} ]]; then
	slow_start=$SECONDS
	run_tests "slow (.debs)" build --suite slow
	slow_took=$((SECONDS - slow_start))
fi

note "summary"
printf '%s\n' "${runs[@]}"
if [[ -n $slow_took ]]; then
	echo "(the slow suite took ${slow_took} s)"
fi
if ((total_skipped > 0)); then
	echo "($total_skipped skipped)"
fi
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
