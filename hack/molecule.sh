#!/usr/bin/env bash
# `make molecule`: the Molecule scenarios of molecule/ on the cluster that
# KUBECONFIG names or, when it names none, on a local cluster of their own
# (hack/cluster, named $MOLECULE_CLUSTER_NAME, "molecule" by default), started
# here and stopped after.
#
#   SCENARIO   one scenario (a directory of molecule/); all of them when empty
#   ACTION     the Molecule command: test (default), converge, verify, destroy, ...
#   MOLECULE   molecule to use it where installed (the default when it is on
#              PATH), builtin for hack/molecule, which runs the same playbooks
#              in Molecule's sequences with /usr/bin/ansible-playbook
#
# The operator binary is built once here and shared by the scenarios
# (FOREMAN_OPERATOR_BINARY); FOREMAN_MOLECULE_OPERATOR_MODE=deployed deploys
# the manager instead (a cluster whose pods run; FOREMAN_MOLECULE_IMAGE).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. hack/cluster/versions.sh
export PATH="$PATH:/usr/local/go/bin"
SCENARIO="${SCENARIO:-}"
ACTION="${ACTION:-test}"
MOLECULE="${MOLECULE:-$(command -v molecule >/dev/null 2>&1 && echo molecule || echo builtin)}"

if [ -z "${KUBECONFIG:-}" ]; then
  export CLUSTER_NAME="${MOLECULE_CLUSTER_NAME:-molecule}"
  KUBECONFIG="$(hack/cluster/up.sh)"
  export KUBECONFIG
  trap 'hack/cluster/down.sh' EXIT
  echo "== On local cluster $CLUSTER_NAME ($KUBECONFIG)"
fi
export KUBECTL="${KUBECTL:-$(command -v kubectl || echo "$BIN_DIR/kubectl")}"

if [ "${FOREMAN_MOLECULE_OPERATOR_MODE:-local}" = local ] && [ -z "${FOREMAN_OPERATOR_BINARY:-}" ]; then
  FOREMAN_OPERATOR_BINARY="$CACHE_ROOT/molecule/bin/$(printf '%s' "$root" | sha256sum | cut -c1-8)/foreman-operator"
  echo "== Building the operator ($FOREMAN_OPERATOR_BINARY)"
  go build -o "$FOREMAN_OPERATOR_BINARY" ./cmd/foreman-operator
  export FOREMAN_OPERATOR_BINARY
fi

if [ -n "$SCENARIO" ]; then which=(-s "$SCENARIO"); else which=(--all); fi
start=$(date +%s)
status=0
case "$MOLECULE" in
molecule) molecule "$ACTION" "${which[@]}" || status=$? ;;
builtin) go run ./hack/molecule "$ACTION" "${which[@]}" || status=$? ;;
*) echo "MOLECULE=$MOLECULE: molecule or builtin" >&2; exit 2 ;;
esac
echo "== make molecule ($MOLECULE $ACTION ${which[*]}): $(( $(date +%s) - start )) s"
exit "$status"
