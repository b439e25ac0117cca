#!/usr/bin/env bash
# Stops exactly the processes that up.sh started (by their recorded pids) and
# removes the cluster's state. Other clusters and processes are left alone.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

for ((i=${#COMPONENTS[@]}-1; i>=0; i--)); do
  c="${COMPONENTS[$i]}"
  if pid_alive "$c"; then
    pid="$(cat "$STATE_DIR/run/$c.pid")"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do pid_alive "$c" || break; sleep 0.1; done
    pid_alive "$c" && kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 20); do pid_alive "$c" || break; sleep 0.1; done
  fi
  rm -f "$STATE_DIR/run/$c.pid"
done
if [ -f "$STATE_DIR/etcd-dir" ]; then rm -rf "$(cat "$STATE_DIR/etcd-dir")"; fi
[ -d "$STATE_DIR" ] && rm -rf "$STATE_DIR"
log "Cluster $CLUSTER_NAME is down"
