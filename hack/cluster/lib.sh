# Shared helpers of the local-cluster scripts. Sourced, never run.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/versions.sh"

CLUSTER_NAME="${CLUSTER_NAME:-foreman-operator}"
STATE_DIR="${CLUSTER_DIR:-$CACHE_ROOT/clusters/$CLUSTER_NAME}"
# The processes cluster-up starts, in start order, and the operator `make demo`
# starts; cluster-down stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok hostpath-provisioner foreman-operator)

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pid_alive NAME: the pid in STATE_DIR/NAME.pid is running the binary NAME (not a reused pid).
pid_alive() {
  local f="$STATE_DIR/run/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$1" || return 1
}

free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.2 s.
wait_for() {
  local deadline=$(( $(date +%s) + $1 )) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
