#!/usr/bin/env bash
#
# The main job, on a fresh Debian machine: install what the build needs,
# build parzen, start the daemon on its default (embedded SQLite) database,
# and tune a real model with several worker processes: each trial trains a
# small neural network on the two-spirals problem (examples/spiral). Midway
# the daemon is killed with kill -9 and restarted; the workers reconnect and
# the search finishes with no trial lost or run twice. Prints the best
# trial. Works from any directory; everything it writes is under
# build/demo/.
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
# ninja regenerates build.ninja first when a meson.build changed.
ninja -C build daemon/parzend examples/spiral_worker >/dev/null

demo=$root/build/demo
rm -rf "$demo"
mkdir -p "$demo/run" "$demo/state"
chmod 700 "$demo/run"
# parzend's defaults are $XDG_RUNTIME_DIR/parzen/parzend.sock and
# $XDG_STATE_HOME/parzen/parzen.db; point them into build/demo.
export XDG_RUNTIME_DIR=$demo/run XDG_STATE_HOME=$demo/state
export PARZEN_SOCKET=$XDG_RUNTIME_DIR/parzen/parzend.sock
worker=build/examples/spiral_worker
study=spirals
trials=${PARZEN_DEMO_TRIALS:-80}
daemon_pid=

start_daemon()
{
	build/daemon/parzend >>"$demo/parzend.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do
		[[ -S $PARZEN_SOCKET ]] && "$worker" status "$study" \
			>/dev/null 2>&1 && return 0
		[[ -S $PARZEN_SOCKET ]] && [[ $1 == first ]] && return 0
		sleep 0.1
	done
	echo "demo: parzend did not start; see $demo/parzend.log" >&2
	exit 1
}

cleanup()
{
	[[ -n $daemon_pid ]] && kill "$daemon_pid" 2>/dev/null || true
}
trap cleanup EXIT

echo "== starting parzend (database $XDG_STATE_HOME/parzen/parzen.db)"
start_daemon first
echo "== 3 workers tuning a neural network on two spirals, $trials trials"
pids=()
for i in 1 2 3; do
	"$worker" run "$study" examples/spiral/space.json "$trials" 42 \
		>"$demo/worker$i.log" 2>&1 &
	pids+=($!)
done

# Kill the daemon once about 40% of the trials are done.
while :; do
	read -r done_n _ _ < <("$worker" status "$study" 2>/dev/null ||
		echo "0 0 0")
	((done_n * 10 >= trials * 4)) && break
	sleep 0.05
done
echo "== $done_n trials done: kill -9 parzend (pid $daemon_pid)"
{
	kill -9 "$daemon_pid"
	wait "$daemon_pid"
} 2>/dev/null || true
sleep 0.5
echo "== restarting parzend on the same database"
start_daemon again
for pid in "${pids[@]}"; do
	wait "$pid"
done
cat "$demo"/worker*.log
read -r done_n total max < <("$worker" status "$study")
echo "== finished: $done_n of $max trials done, $total created (no trial lost)"
echo "== best trial:"
"$worker" best "$study"
echo
echo "demo: done. The database stays in $demo/state/parzen/;"
echo "scripts/test.sh builds and runs every test."
