#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager, kube-scheduler, kubectl and kwok
# from the Go module proxy into a versioned cache directory, once. Prints that directory.
#
# Kubernetes is not published as a buildable module: its go.mod points every
# k8s.io/<staging> module at ./staging/src/... So a throwaway module requires
# k8s.io/kubernetes and replaces each of those by its published v0.x release.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
. "$here/versions.sh"

binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
mkdir -p "$BIN_DIR"

missing=()
for b in "${binaries[@]}"; do [ -x "$BIN_DIR/$b" ] || missing+=("$b"); done

if [ "${#missing[@]}" -gt 0 ]; then
  work="$CACHE_ROOT/build/kubernetes-$KUBE_VERSION"
  mkdir -p "$work"
  if [ ! -f "$work/go.sum" ]; then
    kube_gomod="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
    {
      echo "module localcluster.invalid/build"
      echo
      echo "go 1.24"
      echo
      echo "require k8s.io/kubernetes $KUBE_VERSION"
      echo
      # Every "k8s.io/<name> => ./staging/src/k8s.io/<name>" becomes a replace by the release.
      sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#replace \1 => \1 '"$KUBE_STAGING_VERSION"'#p' "$kube_gomod"
    } > "$work/go.mod.new"
    mv "$work/go.mod.new" "$work/go.mod"
    # A blank import so that "go mod tidy" keeps the requirements the binaries need.
    {
      echo "//go:build tools"
      echo "package build"
      for b in "${binaries[@]}"; do echo "import _ \"k8s.io/kubernetes/cmd/$b\""; done
    } > "$work/tools.go"
    (cd "$work" && go mod tidy >/dev/null)
  fi
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2)"
  ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
  for b in "${missing[@]}"; do
    echo "Building $b $KUBE_VERSION (once; cached in $BIN_DIR)" >&2
    (cd "$work" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$BIN_DIR/$b.tmp" "k8s.io/kubernetes/cmd/$b")
    mv "$BIN_DIR/$b.tmp" "$BIN_DIR/$b"
  done
fi

if [ ! -x "$BIN_DIR/kwok" ]; then
  echo "Building kwok $KWOK_VERSION (once; cached in $BIN_DIR)" >&2
  GOBIN="$BIN_DIR/.kwok" CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  mv "$BIN_DIR/.kwok/kwok" "$BIN_DIR/kwok"
  rmdir "$BIN_DIR/.kwok"
fi

# kwok's own Stage definitions, shipped in its module, make pods Ready and Jobs complete.
stages="$BIN_DIR/kwok-stages.yaml"
if [ ! -s "$stages" ]; then
  kwok_dir="$(go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
  : > "$stages.tmp"
  for f in "$kwok_dir"/kustomize/stage/pod/general/*.yaml \
           "$kwok_dir"/kustomize/stage/node/fast/*.yaml \
           "$kwok_dir"/kustomize/stage/node/heartbeat-with-lease/*.yaml; do
    case "$f" in */kustomization.yaml) continue ;; esac
    { echo "---"; cat "$f"; } >> "$stages.tmp"
  done
  mv "$stages.tmp" "$stages"
fi

# envtest expects etcd, kube-apiserver and kubectl side by side.
if [ ! -e "$BIN_DIR/etcd" ] && command -v etcd >/dev/null; then
  ln -sf "$(command -v etcd)" "$BIN_DIR/etcd"
fi
echo "$BIN_DIR"
