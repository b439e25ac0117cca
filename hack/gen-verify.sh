#!/usr/bin/env bash
# `make verify-gen`: regenerates into a temporary directory what `make
# generate manifests docs bundle` writes (deepcopy functions, CRDs, the
# Roles in config/rbac, the README's spec references, the OLM bundle)
# and fails, showing the difference, when a committed file is stale. It
# never writes into the work tree.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
: "${CONTROLLER_GEN:?set CONTROLLER_GEN; run through make verify-gen}"
API_PATHS="${API_PATHS:-./pkg/apis/...}"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

stale=0
# check <generated> <committed>: report a difference, or a file missing on one side.
check() {
  if ! diff -u "$2" "$1" >"$tmp/diff" 2>&1; then
    echo "verify-gen: $2 is stale:" >&2
    head -n 40 "$tmp/diff" >&2
    stale=1
  fi
}

# Deepcopy, one package at a time: controller-gen writes each package's file
# into the output directory, so a directory per package keeps them apart.
for pkg in $(go list -f '{{.Dir}}' "$API_PATHS"); do
  rel="${pkg#"$root"/}"
  grep -qs '+kubebuilder:object:generate=true' "$pkg"/*.go || continue
  mkdir -p "$tmp/object/$rel"
  "$CONTROLLER_GEN" object paths="./$rel" output:object:dir="$tmp/object/$rel"
  check "$tmp/object/$rel/zz_generated.deepcopy.go" "$rel/zz_generated.deepcopy.go"
done

mkdir -p "$tmp/crd"
"$CONTROLLER_GEN" crd:crdVersions=v1 paths="$API_PATHS" output:crd:artifacts:config="$tmp/crd"
for f in "$tmp"/crd/*.yaml; do
  check "$f" "config/crd/bases/$(basename "$f")"
done
for f in config/crd/bases/*.yaml; do
  [ -e "$tmp/crd/$(basename "$f")" ] || { echo "verify-gen: $f is generated from no type any more" >&2; stale=1; }
  grep -qxF -- "- bases/$(basename "$f")" config/crd/kustomization.yaml ||
    { echo "verify-gen: config/crd/kustomization.yaml does not list bases/$(basename "$f")" >&2; stale=1; }
done

# The Roles, derived from the roles and the Go code's declared calls.
mkdir -p "$tmp/rbac" "$tmp/smartproxy"
go run ./hack/rbacgen -out "$tmp/rbac" -smartproxy-out "$tmp/smartproxy"
for f in role.yaml leader_election_role.yaml; do
  check "$tmp/rbac/$f" "config/rbac/$f"
done
check "$tmp/smartproxy/role.yaml" config/smartproxy/role.yaml

# The bundle, at the version and image the committed CSV has.
: "${KUBECTL:?set KUBECTL; run through make verify-gen}"
csv=bundle/manifests/foreman-operator.clusterserviceversion.yaml
if [ -f "$csv" ]; then
  version="$(awk '/^  version: / {v=$2} END {print v}' "$csv")"
  image="$(awk '/^    containerImage: / {print $2; exit}' "$csv")"
  channels="$(awk '/bundle.channels.v1:/ {print $2}' bundle/metadata/annotations.yaml)"
  default_channel="$(awk '/bundle.channel.default.v1:/ {print $2}' bundle/metadata/annotations.yaml)"
  mkdir -p "$tmp/bundle-out"
  go run ./hack/bundle render -version "$version" -image "$image" -channels "${channels:-alpha}" \
    -default-channel "${default_channel:-alpha}" -kubectl "$KUBECTL" -out "$tmp/bundle-out" >/dev/null
  if ! diff -ru bundle "$tmp/bundle-out/bundle" >"$tmp/diff" 2>&1; then
    echo "verify-gen: bundle/ is stale:" >&2
    head -n 40 "$tmp/diff" >&2
    stale=1
  fi
  check "$tmp/bundle-out/bundle.Dockerfile" bundle.Dockerfile
else
  echo "verify-gen: $csv is missing: run \`make bundle\`" >&2
  stale=1
fi

# The README references, rendered from the freshly generated CRDs.
go run ./hack/gendocs -crd-dir "$tmp/crd" -readme README.md -out "$tmp/README.md"
check "$tmp/README.md" README.md

if [ "$stale" -ne 0 ]; then
  echo "verify-gen: generated files are stale: run \`make generate manifests docs bundle\`" >&2
  exit 1
fi
echo "verify-gen: deepcopy, CRDs, RBAC, the bundle and the README reference are current"
