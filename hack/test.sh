#!/usr/bin/env bash
# `make test`: every Go test, on a fresh local cluster named "test" that is
# torn down afterwards. Arguments go to `go test`.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CLUSTER_NAME="${TEST_CLUSTER_NAME:-test}"
kubeconfig="$(hack/cluster/up.sh)"
trap 'hack/cluster/down.sh' EXIT
export FOREMAN_TEST_KUBECONFIG="$kubeconfig"
export KUBEBUILDER_ASSETS="$(hack/cluster/build.sh)"
# The OLM bundle, as CI must check it: its alm-examples are dry-run on this
# cluster (internal/bundle's tests check the checker).
KUBECONFIG="$kubeconfig" make --no-print-directory bundle-validate
go test ./... -count=1 -timeout 30m "$@"
