#!/usr/bin/env bash
# `make demo`: the main job. Brings the local cluster up (or reuses it),
# installs the Foreman and SmartProxy CRDs, starts the operator out of the cluster (pods
# never run on the simulated node, the operator's included), applies the
# design's sample Foreman and shows its components going Ready.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. hack/cluster/lib.sh
kubeconfig="$(hack/cluster/up.sh)"
kubectl() { "$BIN_DIR/kubectl" --kubeconfig "$kubeconfig" "$@"; }

echo "== Building the operator"
go build -o bin/foreman-operator ./cmd/foreman-operator

echo "== Installing the Foreman and SmartProxy CRDs"
kubectl apply --server-side -f config/crd/bases >/dev/null
kubectl wait --for=condition=Established crd/foremen.app.theforeman.org crd/smartproxies.app.theforeman.org --timeout=60s >/dev/null
kubectl create namespace foreman --dry-run=client -o yaml | kubectl apply -f - >/dev/null

log_file="$STATE_DIR/logs/foreman-operator.log"
if pid_alive foreman-operator; then
  echo "== The operator is already running (pid $(cat "$STATE_DIR/run/foreman-operator.pid"))"
else
  echo "== Starting the operator (log: $log_file)"
  WATCH_NAMESPACE=foreman ANSIBLE_GATHERING=explicit setsid "$root/bin/foreman-operator" \
    --kubeconfig "$kubeconfig" --watches-file "$root/watches.yaml" \
    --runner-dir "$STATE_DIR/runner" --proxy-port 0 \
    --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
    >"$log_file" 2>&1 </dev/null &
  echo $! > "$STATE_DIR/run/foreman-operator.pid"
fi

echo "== Applying the sample Foreman (config/samples/app_v1alpha1_foreman.yaml)"
cat config/samples/app_v1alpha1_foreman.yaml
kubectl apply -f config/samples/app_v1alpha1_foreman.yaml >/dev/null

deadline=$(( $(date +%s) + ${DEMO_TIMEOUT:-600} ))
last=""
while :; do
  line="$(kubectl -n foreman get foreman myforeman -o jsonpath='{range .status.components[*]}{.name}={.ready_replicas}/{.replicas}{" "}{end}| {range .status.conditions[?(@.type=="Ready")]}Ready={.status} {.message}{end}' 2>/dev/null || true)"
  if [ "$line" != "$last" ]; then echo "   $line"; last="$line"; fi
  ready="$(kubectl -n foreman get foreman myforeman -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)"
  [ "$ready" = True ] && break
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "The Foreman did not become Ready in time; the operator's log is $log_file" >&2
    exit 1
  fi
  sleep 2
done
echo
kubectl -n foreman get foreman,smartproxy
kubectl -n foreman get deployments,statefulsets,jobs,services
cat <<MSG

Foreman myforeman is Ready (its pods are simulated by kwok: no image runs here).
Point kubectl at the cluster with:
  export KUBECONFIG=$kubeconfig
The operator's log: $log_file
Stop everything with: make cluster-down
MSG
