#!/usr/bin/env bash
#
# The main job, on a fresh Debian machine: install what the build and the
# example need, build parzend and the parzen CLI, start the daemon on its
# default (embedded SQLite) database, and run the CIFAR-style tuning job of
# examples/cifar_style with two worker processes: each trial trains a
# scikit-learn neural network on the digits data set for up to 20 epochs,
# a second or two, reporting its validation error after every epoch to a
# median pruner, which stops the trials that fall behind. When about 40%
# of the trials are done the daemon is killed with kill -9 and restarted
# on the same database; the workers reconnect and the search finishes.
# Prints the best trial and the table of trials, checks that no trial was
# lost or run twice, prints the compute the pruner saved (epochs run
# against the epochs the same trials would have run without it), and ends
# with the report of the search.
# Works from any directory; everything it writes is under build/demo/.
#
#   scripts/demo.sh          (PARZEN_DEMO_EVALS=N for another budget, 40)
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"

# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

pz_ensure_packages "${PZ_DEMO_PACKAGES[@]}"

# Keep an existing build/ with its options (scripts/test.sh configures it
# with -Dwerror=true); ninja re-runs meson by itself when a meson.build
# changed.
if [[ ! -f build/meson-private/coredata.dat ]]; then
	rm -rf build
	meson setup build
fi
ninja -C build daemon/parzend cli/parzen >/dev/null

demo=$root/build/demo
rm -rf "$demo"
mkdir -p "$demo/run" "$demo/state"
chmod 700 "$demo/run"
# parzend's defaults are $XDG_RUNTIME_DIR/parzen/parzend.sock and
# $XDG_STATE_HOME/parzen/parzen.db; point them into build/demo. The
# Python package and the CLI find the socket the same way; PARZEND names
# the daemon the package would start if none were running.
export XDG_RUNTIME_DIR=$demo/run XDG_STATE_HOME=$demo/state
export PARZEND=$root/build/daemon/parzend
export PYTHONPATH=$root/python${PYTHONPATH:+:$PYTHONPATH}
parzen=build/cli/parzen
study=cifar_style
evals=${PARZEN_DEMO_EVALS:-40}
daemon_pid=
worker_pids=()

start_daemon()
{
	build/daemon/parzend >>"$demo/parzend.log" 2>&1 &
	daemon_pid=$!
	for _ in $(seq 100); do
		"$parzen" ls >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "demo: parzend did not start; see $demo/parzend.log" >&2
	exit 1
}

cleanup()
{
	local pid

	for pid in "${worker_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	if [[ -n $daemon_pid ]]; then
		kill "$daemon_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT

# Prints "DONE TOTAL OK FAIL PRUNED QUEUED RUNNING" of the study (zeros
# before it exists or while parzend is down).
counts()
{
	"$parzen" show "$study" --json 2>/dev/null | "$PZ_PYTHON" -c '
import json, sys
c = json.load(sys.stdin)["study"]["counts"]
print(c["ok"] + c["fail"] + c["pruned"], c["total"], c["ok"], c["fail"],
      c["pruned"], c["queued"], c["running"])' 2>/dev/null ||
		echo "0 0 0 0 0 0 0"
}

echo "== starting parzend (database $XDG_STATE_HOME/parzen/parzen.db)"
start_daemon
# Every trial trains up to $epochs epochs (no patience, no time budget):
# what the pruner does not stop runs them all, so the compute it saved is
# counted in epochs.
epochs=20
echo "== 2 workers: examples/cifar_style/optimize.py --max-evals $evals" \
	"(an MLP on the digits data set, TPE, $epochs epochs, median pruner)"
for i in 1 2; do
	"$PZ_PYTHON" examples/cifar_style/optimize.py --max-evals "$evals" \
		--seed 42 --max-epochs "$epochs" --patience "$epochs" \
		--trial-seconds 600 >"$demo/worker$i.log" 2>&1 &
	worker_pids+=($!)
done

# Kill the daemon once about 40% of the trials are done.
while :; do
	read -r done_n _ < <(counts)
	((done_n * 10 >= evals * 4)) && break
	for pid in "${worker_pids[@]}"; do
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "demo: a worker ended early:" >&2
			cat "$demo"/worker*.log >&2
			exit 1
		fi
	done
	sleep 0.2
done
echo "== $done_n of $evals trials done: kill -9 parzend (pid $daemon_pid)"
{
	kill -9 "$daemon_pid"
	wait "$daemon_pid"
} 2>/dev/null || true
sleep 1
echo "== restarting parzend on the same database"
start_daemon
echo "== waiting for the workers to finish the search"
status=0
for pid in "${worker_pids[@]}"; do
	wait "$pid" || status=$?
done
worker_pids=()
# Each worker's share, and what it said about the daemon's restart.
for i in 1 2; do
	echo "-- worker $i ran $(grep -c '^MLP ' "$demo/worker$i.log" || true)" \
		"trials (build/demo/worker$i.log)"
	grep '^parzen: ' "$demo/worker$i.log" | sed 's/^/   /' || true
done
if ((status != 0)); then
	echo "demo: a worker failed (status $status)" >&2
	exit 1
fi

echo
echo "== best trial:"
"$parzen" best "$study"
echo
echo "== trials:"
"$parzen" trials "$study"
echo

# No trial lost: the study has exactly max-evals trials, all finished. None
# run twice: no trial was handed out again (attempt 0, never reclaimed),
# and the workers ran the objective exactly max-evals times in all.
read -r done_n total ok fail pruned queued running < <(counts)
again=$("$parzen" trials "$study" --json | "$PZ_PYTHON" -c '
import json, sys
print(sum(1 for t in json.load(sys.stdin)["trials"]
          if t["attempt"] != 0 or t["reclaims"] != 0))')
runs=$(cat "$demo"/worker*.log | grep -c '^MLP ' || true)
echo "== finished: $done_n of $evals trials done ($ok ok, $fail failed," \
	"$pruned pruned), $total created, $queued queued, $running running;" \
	"$runs objective runs, $again trials handed out twice"
if ((total != evals || done_n != evals || runs != evals || again != 0)); then
	echo "demo: trials were lost or run twice" >&2
	exit 1
fi
echo "== no trial lost, none run twice, across kill -9 of parzend"

# The compute saved: each trial's reports are its epochs. Without the
# pruner the pruned trials would have trained on to $epochs epochs (at
# most: one might have diverged sooner); the others ran as they would
# have anyway.
"$parzen" trials "$study" --json | "$PZ_PYTHON" -c '
import json, sys
epochs = int(sys.argv[1])
trials = json.load(sys.stdin)["trials"]
ran = sum(len(t["intermediate"]) for t in trials)
pruned = [t for t in trials if t["state"] == "pruned"]
without = sum(epochs if t["state"] == "pruned" else len(t["intermediate"])
              for t in trials)
print("== compute: %d epochs run for %d trials; without pruning up to %d "
      "epochs (%d pruned trials stopped after %s epochs instead of %d): "
      "%.0f%% saved" % (ran, len(trials), without, len(pruned),
                        "/".join(str(len(t["intermediate"])) for t in pruned)
                        or "-", epochs, 100.0 * (without - ran) / without))
' "$epochs"

# The report of the search (docs/report.md): one self-contained HTML page.
build/cli/parzen report "$study" -o "$demo/report.html"
echo "== report: $demo/report.html (open it in any browser)"
echo
echo "demo: done. The database stays in $demo/state/parzen/;"
echo "scripts/test.sh builds and runs every test."
