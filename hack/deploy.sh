#!/usr/bin/env bash
# `make install`, `uninstall`, `deploy`, `undeploy` on the cluster of
# $KUBECONFIG (kubectl's usual lookup), with kubectl's built-in kustomize.
#
#   install    apply the CRDs (config/crd) server-side and wait until they are
#              established: cluster admin, once per cluster
#   uninstall  delete the CRDs, and with them every Foreman in the cluster
#   deploy     apply $CONFIG (config/default) into $NAMESPACE (the config's own
#              when empty), with the operator image $IMG (the config's when
#              empty); the namespace is created when missing
#   undeploy   delete what deploy applied; the namespace and its Foremans stay
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
KUBECTL="${KUBECTL:-kubectl}"
CONFIG="${CONFIG:-config/default}"
NAMESPACE="${NAMESPACE:-}"
IMG="${IMG:-}"

# render prints $CONFIG as kustomize builds it, in $NAMESPACE, with $IMG.
render() {
  local dir
  dir="$(mktemp -d)"
  trap 'rm -rf "$dir"' RETURN
  mkdir "$dir/overlay"
  # kustomize takes only relative resources: link the config beside.
  case "$CONFIG" in
  /*) ln -s "$CONFIG" "$dir/config" ;;
  *) ln -s "$root/$CONFIG" "$dir/config" ;;
  esac
  {
    echo "resources:"
    echo "- ../config"
    [ -z "$NAMESPACE" ] || echo "namespace: $NAMESPACE"
    if [ -n "$IMG" ]; then
      cat <<EOF
patches:
- target:
    kind: Deployment
    labelSelector: app.kubernetes.io/name=foreman-operator
  patch: |-
    - op: replace
      path: /spec/template/spec/containers/0/image
      value: $IMG
EOF
    fi
  } > "$dir/overlay/kustomization.yaml"
  "$KUBECTL" kustomize "$dir/overlay"
}

case "${1:-}" in
install)
  "$KUBECTL" apply --server-side --force-conflicts --field-manager=foreman-operator-install -k "$root/config/crd"
  "$KUBECTL" kustomize "$root/config/crd" | "$KUBECTL" wait --for=condition=Established --timeout=60s -f -
  ;;
uninstall)
  "$KUBECTL" delete --ignore-not-found -k "$root/config/crd"
  ;;
deploy)
  manifests="$(render)"
  # The namespace the objects land in; create it when missing.
  ns="$(awk '/^  namespace: / {print $2; exit}' <<<"$manifests")"
  if [ -n "$ns" ] && ! "$KUBECTL" get namespace "$ns" >/dev/null 2>&1; then
    "$KUBECTL" create namespace "$ns"
  fi
  "$KUBECTL" apply --server-side --field-manager=foreman-operator-deploy -f - <<<"$manifests"
  ;;
undeploy)
  render | "$KUBECTL" delete --ignore-not-found -f -
  ;;
render)
  render
  ;;
*)
  echo "usage: $0 install|uninstall|deploy|undeploy|render" >&2
  exit 2
  ;;
esac
