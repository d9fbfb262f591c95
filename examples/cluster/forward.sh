#!/bin/sh
# Keep an OpenSSH forward of parzend's socket open, and restart it when it
# drops: a worker on another host then talks to the head node's parzend
# as to a local one (README, "Workers on other hosts").
#
#   examples/cluster/forward.sh HEAD LOCAL_SOCKET [REMOTE_SOCKET]
#
# HEAD is an ssh destination (user@host, or a Host of ~/.ssh/config) whose
# user may connect to REMOTE_SOCKET (default /run/parzen/parzend.sock, the
# system service: the user must be in group parzen there). LOCAL_SOCKET's
# directory must be yours and private (mkdir -m 700). Workers that lose the
# forward reconnect by themselves once it is back.
set -eu
head=$1
local=$2
remote=${3:-/run/parzen/parzend.sock}
while :; do
	ssh -N -o BatchMode=yes -o ExitOnForwardFailure=yes \
		-o ServerAliveInterval=30 -o ServerAliveCountMax=3 \
		-o StreamLocalBindUnlink=yes -o StreamLocalBindMask=0177 \
		-L "$local:$remote" "$head" || true
	sleep 5
done
