#!/bin/bash
# One parzen worker per Slurm array task (one GPU each), all working on one
# study of the parzend on the head node, reached through an SSH forward.
#
#   sbatch --array=0-7 examples/cluster/slurm-array.sh
#
# Set PARZEN_HEAD (ssh destination of the head node, default head-node),
# PARZEN_STUDY (default cifar) and TRAIN (the command run per trial,
# default "python3 train.py"). The study must exist: create it once on the
# head node (parzen create cifar --space space.json --max-trials 400). The
# tasks stop when the study has max_trials trials; a task that is killed
# gives its trial back, and a task that dies is replaced by parzend's
# heartbeat timeout: its trial goes to another worker with the same params.
#SBATCH --job-name=parzen-worker
#SBATCH --gres=gpu:1
#SBATCH --time=24:00:00
#SBATCH --output=parzen-worker-%A_%a.out
set -euo pipefail

head=${PARZEN_HEAD:-head-node}
study=${PARZEN_STUDY:-cifar}
read -r -a train <<<"${TRAIN:-python3 train.py}"

# A private directory for the local end of the forward (mktemp -d: 0700).
dir=$(mktemp -d "${TMPDIR:-/tmp}/parzen-${SLURM_JOB_ID:-0}-${SLURM_ARRAY_TASK_ID:-0}.XXXXXX")
export PARZEN_SOCKET=$dir/parzend.sock
# The forward, restarted whenever it drops (as examples/cluster/forward.sh;
# sbatch runs a copy of this script, so it is spelled out here).
while :; do
	ssh -N -o BatchMode=yes -o ExitOnForwardFailure=yes \
		-o ServerAliveInterval=30 -o StreamLocalBindUnlink=yes \
		-L "$PARZEN_SOCKET:/run/parzen/parzend.sock" "$head" || true
	sleep 5
done &
forward=$!
trap 'kill "$forward" 2>/dev/null; pkill -P "$forward" ssh 2>/dev/null; rm -rf -- "$dir"' EXIT

# The worker waits for the forward (it retries with backoff) and for the
# study to hand out trials.
parzen worker "$study" -- "${train[@]}"
