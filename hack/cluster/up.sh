#!/usr/bin/env bash
# Starts a local Kubernetes control plane without a container engine:
# etcd (Debian), kube-apiserver, kube-controller-manager, kube-scheduler (built
# once from the Go module proxy), kwok as a simulated node, so Deployments
# become Available and Jobs complete, and hack/provisioner for the default
# StorageClass "local", so claims are bound. Prints the admin kubeconfig's path.
#
# Several clusters can run side by side: CLUSTER_NAME picks the state directory,
# ports are chosen free at start and recorded there.
set -euo pipefail
. "$(cd "$(dirname "$0")" && pwd)/lib.sh"

if pid_alive kube-apiserver && [ -f "$STATE_DIR/kubeconfig" ] \
   && "$BIN_DIR/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
  log "Cluster $CLUSTER_NAME is already running"
  echo "$STATE_DIR/kubeconfig"
  exit 0
fi
# A half-started or crashed cluster is cleaned up first.
"$here/down.sh" >/dev/null 2>&1 || true

"$here/install-deps.sh" etcd
"$here/build.sh" >/dev/null
# The provisioner is project code: its binary is keyed by its source and the
# module's dependencies, so a change rebuilds it, alongside the start below.
root="$(cd "$here/../.." && pwd)"
provisioner="$BIN_DIR/hostpath-provisioner-$(cat "$root"/hack/provisioner/*.go "$root/go.mod" "$root/go.sum" | sha256sum | cut -c1-16)"
provisioner_build=""
if [ ! -x "$provisioner" ]; then
  log "Building hack/provisioner (its source changed; cached in $BIN_DIR)"
  (cd "$root" && go build -ldflags "-s -w" -o "$provisioner.tmp.$$" ./hack/provisioner >&2 \
     && mv "$provisioner.tmp.$$" "$provisioner" \
     && find "$BIN_DIR" -maxdepth 1 -name 'hostpath-provisioner-*' -mtime +7 -delete) &
  provisioner_build=$!
fi

rm -rf "$STATE_DIR"
mkdir -p "$STATE_DIR"/{pki,run,logs}
# etcd 3.4 has no --unsafe-no-fsync: its data lives on tmpfs when there is one,
# where fsync costs nothing. A test cluster's data is thrown away anyway.
etcd_dir="$STATE_DIR/etcd"
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
  etcd_dir="/dev/shm/foreman-operator-etcd-$CLUSTER_NAME"
  rm -rf "$etcd_dir"
fi
mkdir -p "$etcd_dir"; chmod 700 "$etcd_dir"
echo "$etcd_dir" > "$STATE_DIR/etcd-dir"
chmod 700 "$STATE_DIR"
pki="$STATE_DIR/pki"

# Certificates: one CA, the apiserver's serving certificate, and the
# ServiceAccount signing key pair (so TokenRequest and mounted tokens work).
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=foreman-operator-local-ca" \
  -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
  -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' > "$pki/san.ext"
openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
  -days 3650 -extfile "$pki/san.ext" -out "$pki/apiserver.crt" 2>/dev/null
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

# Static tokens for the admin and the control-plane components; bootstrap RBAC
# already binds system:kube-controller-manager and system:kube-scheduler.
admin_token="$(openssl rand -hex 24)"; kcm_token="$(openssl rand -hex 24)"
sched_token="$(openssl rand -hex 24)"; kwok_token="$(openssl rand -hex 24)"
cat > "$pki/tokens.csv" <<TOKENS
$admin_token,admin,admin,system:masters
$kcm_token,system:kube-controller-manager,kcm,system:masters
$sched_token,system:kube-scheduler,scheduler
$kwok_token,kwok,kwok,system:masters
TOKENS
chmod 600 "$pki"/*.key "$pki/tokens.csv"

etcd_port="$(free_port)"; etcd_peer_port="$(free_port)"; api_port="$(free_port)"
cat > "$STATE_DIR/ports" <<PORTS
etcd=$etcd_port
etcd_peer=$etcd_peer_port
apiserver=$api_port
PORTS

kubeconfig() { # FILE USER TOKEN
  cat > "$1" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: $CLUSTER_NAME
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $pki/ca.crt
users:
- name: $2
  user:
    token: $3
contexts:
- name: $CLUSTER_NAME
  context: {cluster: $CLUSTER_NAME, user: $2}
current-context: $CLUSTER_NAME
KCFG
  chmod 600 "$1"
}
kubeconfig "$STATE_DIR/kubeconfig" admin "$admin_token"
kubeconfig "$STATE_DIR/run/kcm.kubeconfig" system:kube-controller-manager "$kcm_token"
kubeconfig "$STATE_DIR/run/scheduler.kubeconfig" system:kube-scheduler "$sched_token"
kubeconfig "$STATE_DIR/run/kwok.kubeconfig" kwok "$kwok_token"

start() { # NAME BINARY ARGS...: a new session, so that cluster-down can stop it by pid.
  local name="$1" bin="$2"; shift 2
  # The command line, for component.sh to start the component again.
  printf '%s\0' "$bin" "$@" > "$STATE_DIR/run/$name.cmd"
  setsid "$bin" "$@" >"$STATE_DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$STATE_DIR/run/$name.pid"
}
fail_with_log() { log "error: $1 did not start; last lines of $STATE_DIR/logs/$1.log:"; tail -n 20 "$STATE_DIR/logs/$1.log" >&2; exit 1; }
kubectl() { "$BIN_DIR/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" "$@"; }

start etcd "$(command -v etcd)" --name "$CLUSTER_NAME" --data-dir "$etcd_dir" \
  --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "$CLUSTER_NAME=http://127.0.0.1:$etcd_peer_port" \
  --quota-backend-bytes 2147483648 --log-level warn
wait_for 30 etcd curl -fsS "http://127.0.0.1:$etcd_port/health" || fail_with_log etcd

start kube-apiserver "$BIN_DIR/kube-apiserver" \
  --etcd-servers "http://127.0.0.1:$etcd_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --client-ca-file "$pki/ca.crt" --token-auth-file "$pki/tokens.csv" \
  --authorization-mode RBAC --anonymous-auth=false \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true \
  --cert-dir "$STATE_DIR/run" --profiling=false --v=0 \
  --feature-gates WatchList=false
wait_for 90 kube-apiserver kubectl get --raw /readyz || fail_with_log kube-apiserver

start kube-controller-manager "$BIN_DIR/kube-controller-manager" \
  --kubeconfig "$STATE_DIR/run/kcm.kubeconfig" \
  --authentication-kubeconfig "$STATE_DIR/run/kcm.kubeconfig" --authorization-kubeconfig "$STATE_DIR/run/kcm.kubeconfig" \
  --secure-port 0 --leader-elect=false --controllers '*' \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --service-cluster-ip-range 10.96.0.0/16 --use-service-account-credentials=false \
  --node-monitor-grace-period 40s --concurrent-deployment-syncs 10 --v=0
start kube-scheduler "$BIN_DIR/kube-scheduler" \
  --kubeconfig "$STATE_DIR/run/scheduler.kubeconfig" \
  --authentication-kubeconfig "$STATE_DIR/run/scheduler.kubeconfig" --authorization-kubeconfig "$STATE_DIR/run/scheduler.kubeconfig" \
  --secure-port 0 --leader-elect=false --v=0
# With etcd 3.4 the apiserver turns RequestWatchProgress off, and watch-list
# streams then end in errors: kwok never sees its pods. The apiserver's
# WatchList gate is off above, so clients fall back to plain list+watch; the
# client-side gate is turned off too, for kwok builds that honour it.
KUBE_FEATURE_WatchListClient=false start kwok "$BIN_DIR/kwok" \
  --kubeconfig "$STATE_DIR/run/kwok.kubeconfig" --config "$BIN_DIR/kwok-stages.yaml" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
  --node-lease-duration-seconds 40 --cidr 10.244.0.0/16 --node-ip 10.0.0.1

# One simulated node, large enough for a full Foreman with Katello, and the
# StorageClass whose claims the provisioner serves.
kubectl apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 500Gi}
  capacity: {cpu: "32", memory: 256Gi, pods: "110", ephemeral-storage: 500Gi}
---
# The default class, served by hack/provisioner: hostPath volumes in the state directory.
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: foreman-operator.local/hostpath
reclaimPolicy: Delete
allowVolumeExpansion: true
volumeBindingMode: Immediate
NODE
if [ -n "$provisioner_build" ]; then wait "$provisioner_build" || die "building hack/provisioner failed"; fi
start hostpath-provisioner "$provisioner" --kubeconfig "$STATE_DIR/kubeconfig" --volume-dir "$STATE_DIR/volumes"
node_ready() { kubectl get node kwok-node-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True; }
wait_for 60 node node_ready || fail_with_log kwok
for c in kube-controller-manager kube-scheduler kwok hostpath-provisioner; do pid_alive "$c" || fail_with_log "$c"; done
# The node-lifecycle controller removes the not-ready taint once the node's
# lease is fresh; wait for that so pods can be scheduled at once.
untainted() { ! kubectl get node kwok-node-0 -o jsonpath='{.spec.taints}' | grep -q not-ready; }
wait_for 60 taint untainted || kubectl taint node kwok-node-0 node.kubernetes.io/not-ready:NoSchedule- >/dev/null 2>&1 || true
# The default ServiceAccount appears once the controller-manager is serving.
wait_for 30 serviceaccounts kubectl -n default get serviceaccount default || fail_with_log kube-controller-manager

log "Cluster $CLUSTER_NAME is up: apiserver https://127.0.0.1:$api_port"
log "Use it with: export KUBECONFIG=$STATE_DIR/kubeconfig"
echo "$STATE_DIR/kubeconfig"
