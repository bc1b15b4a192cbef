#!/usr/bin/env bash
# Build the CI-only stand-in for docker.io/library/python:3.11-slim into the podman
# storage selected by CONTAINERS_CONF / CONTAINERS_STORAGE_CONF (see .ci/setup.d/podman.sh):
#   1. debootstrap --variant=minbase bookworm from the host's Debian mirror (no registry here),
#   2. podman import -> localhost/dataperf-ci/debian:bookworm,
#   3. podman build base/Containerfile (python3, pip, venv; host CA bundle and apt sources)
#      -> docker.io/library/python:3.11-slim.
# Usage: build-base.sh  (as root; takes about a minute; logs to stderr)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PODMAN="${PODMAN:-podman}"
BASE_TAG="${BASE_TAG:-docker.io/library/python:3.11-slim}"
ROOTFS_TAG="localhost/dataperf-ci/debian:bookworm"
SUITE=bookworm

log() { echo "[build-base] $*" >&2; }

# The Debian mirror this machine uses (deb822 .sources first, then one-line sources.list).
mirror="$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]*$/\1/p' \
            /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1)"
if [ -z "$mirror" ]; then
  mirror="$(sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]\+.*/\2/p' \
              /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | head -n1)"
fi
mirror="${DEBIAN_MIRROR:-${mirror:-http://deb.debian.org/debian}}"

work="$(mktemp -d /var/tmp/dataperf-ci-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT

if ! "$PODMAN" image exists "$ROOTFS_TAG"; then
  log "debootstrap --variant=minbase $SUITE from $mirror"
  debootstrap --variant=minbase "$SUITE" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
    tail -n 30 "$work/debootstrap.log" >&2
    log "debootstrap failed (mirror $mirror)"; exit 1; }
  # Trim what a container never needs.
  rm -rf "$work"/rootfs/var/cache/apt/*.bin "$work"/rootfs/var/lib/apt/lists/* \
         "$work"/rootfs/usr/share/doc/* "$work"/rootfs/usr/share/man/* "$work"/rootfs/usr/share/info/*
  log "podman import -> $ROOTFS_TAG"
  tar -C "$work/rootfs" --numeric-owner -c . | "$PODMAN" import - "$ROOTFS_TAG" >"$work/import.log" 2>&1 \
    || { cat "$work/import.log" >&2; log "podman import failed"; exit 1; }
  rm -rf "$work/rootfs"
fi

ctx="$work/context"
mkdir -p "$ctx"
cp "$here/base/Containerfile" "$ctx/Containerfile"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/ca-certificates.crt"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$ctx/debian.sources"
else  # one-line format host: hand the container the same mirror in deb822 form
  printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$SUITE" "$SUITE" >"$ctx/debian.sources"
fi
log "podman build -> $BASE_TAG"
"$PODMAN" build --network=host --label "org.dataperf.ci.recipe=${RECIPE:-unknown}" -t "$BASE_TAG" -f "$ctx/Containerfile" "$ctx" >"$work/build.log" 2>&1 || {
  tail -n 40 "$work/build.log" >&2; log "podman build of the stand-in failed"; exit 1; }
log "done: $("$PODMAN" image inspect --format '{{.Size}}' "$BASE_TAG") bytes"
