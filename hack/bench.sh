#!/usr/bin/env bash
# `make bench`: the Go benchmarks, on a fresh local cluster named "bench".
# Benchmarks print their figures (b.ReportMetric) and tables; nothing here
# asserts a time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CLUSTER_NAME=bench
kubeconfig="$(hack/cluster/up.sh)"
trap 'hack/cluster/down.sh' EXIT
export FOREMAN_TEST_KUBECONFIG="$kubeconfig"
export KUBEBUILDER_ASSETS="$(hack/cluster/build.sh)"
go test ./... -run '^$' -bench "${BENCH:-.}" -benchtime "${BENCHTIME:-1x}" -timeout 30m
