#!/usr/bin/env bash
# Installs the Debian packages a target needs when they are missing.
# The package lists live in hack/apt-packages/<set>.txt: one list, used by CI,
# the Makefile and the operator image alike.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
missing=()
for set in "$@"; do
  while read -r pkg _; do
    case "$pkg" in ''|'#'*) continue ;; esac
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done < "$root/hack/apt-packages/$set.txt"
done
[ "${#missing[@]}" -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian packages: ${missing[*]}" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
