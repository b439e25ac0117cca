#!/usr/bin/env bash
# `make demo`: brings the local cluster up (or reuses it) and shows it working:
# a Ready node and a Deployment that becomes Available.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
kubeconfig="$(hack/cluster/up.sh)"
kubectl() { "$(hack/cluster/build.sh)/kubectl" --kubeconfig "$kubeconfig" "$@"; }

echo "== Nodes"
kubectl get nodes
kubectl create namespace demo --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl -n demo create deployment hello --image=registry.invalid/hello:1 --replicas=2 \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
echo "== Waiting for Deployment demo/hello to become Available (the node is simulated by kwok)"
kubectl -n demo wait deployment/hello --for=condition=Available --timeout=120s
kubectl -n demo get deployments,pods -o wide
cat <<MSG

The local cluster is running. Point kubectl at it with:
  export KUBECONFIG=$kubeconfig
Stop it with: make cluster-down
MSG
