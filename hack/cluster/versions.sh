# Pinned versions of the local cluster's parts. Sourced by the scripts beside it.
# Changing one of them rebuilds that part once; the cache is keyed by these values.
KUBE_VERSION="${KUBE_VERSION:-v1.34.4}"
# Each k8s.io/<staging> module is taken at the matching v0.x release.
KUBE_STAGING_VERSION="${KUBE_STAGING_VERSION:-v0.${KUBE_VERSION#v1.}}"
KWOK_VERSION="${KWOK_VERSION:-v0.7.0}"
CACHE_ROOT="${FOREMAN_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/foreman-operator}"
BIN_DIR="$CACHE_ROOT/bin/kube-$KUBE_VERSION-kwok-$KWOK_VERSION"
