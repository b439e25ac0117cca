#!/usr/bin/env bash
# Stops or starts again one component of a running local cluster, for fault
# tests (an API server outage, say):
#   CLUSTER_NAME=x hack/cluster/component.sh stop kube-apiserver
#   CLUSTER_NAME=x hack/cluster/component.sh start kube-apiserver
# stop sends SIGTERM (SIGKILL after 5 s) to the recorded pid and waits until
# it is gone; start runs the command line up.sh recorded, appending to the
# component's log, and for kube-apiserver waits until /readyz answers.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

[ $# -eq 2 ] || die "usage: $0 stop|start COMPONENT"
action="$1" name="$2"
[ -f "$STATE_DIR/run/$name.cmd" ] || die "cluster $CLUSTER_NAME has no recorded command for $name (start it with up.sh)"

case "$action" in
  stop)
    pid_alive "$name" || die "$name of cluster $CLUSTER_NAME is not running"
    pid="$(cat "$STATE_DIR/run/$name.pid")"
    kill -TERM "$pid"
    for _ in $(seq 50); do pid_alive "$name" || break; sleep 0.1; done
    if pid_alive "$name"; then kill -KILL "$pid" 2>/dev/null || true; fi
    for _ in $(seq 50); do pid_alive "$name" || break; sleep 0.1; done
    pid_alive "$name" && die "$name (pid $pid) did not stop"
    log "Stopped $name of cluster $CLUSTER_NAME"
    ;;
  start)
    pid_alive "$name" && die "$name of cluster $CLUSTER_NAME is already running"
    mapfile -d '' cmd < "$STATE_DIR/run/$name.cmd"
    setsid "${cmd[@]}" >>"$STATE_DIR/logs/$name.log" 2>&1 < /dev/null &
    echo $! > "$STATE_DIR/run/$name.pid"
    if [ "$name" = kube-apiserver ]; then
      wait_for 90 kube-apiserver "$BIN_DIR/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" get --raw /readyz \
        || die "kube-apiserver did not become ready; see $STATE_DIR/logs/kube-apiserver.log"
    fi
    log "Started $name of cluster $CLUSTER_NAME"
    ;;
  *) die "usage: $0 stop|start COMPONENT" ;;
esac
