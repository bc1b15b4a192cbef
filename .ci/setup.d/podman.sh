#!/usr/bin/env bash
# CI setup step for the `container` tests (tests/test_container.py): rootful podman that
# can build the project's Dockerfile and run it through `mlcube run --platform=docker`.
# Run by .ci/run before the tests; idempotent; fails (exit 1) with a message when podman
# cannot be provided, because in CI the container test is not optional.
#
# What it does:
#   1. apt-get install podman runc debootstrap (only if one of them is missing); must run as root.
#   2. Writes .ci/podman/env (KEY=VALUE lines, sourceable) that the test and humans use:
#        PODMAN=/usr/bin/podman
#        CONTAINERS_CONF=<clone>/.ci/podman/containers.conf          (runc, cgroupfs, ulimits)
#        CONTAINERS_STORAGE_CONF=<clone>/.ci/podman/storage.conf     (overlay under /var/lib/dataperf-ci)
#      e.g.  set -a; . .ci/podman/env; set +a; podman images
#   3. Builds the stand-in docker.io/library/python:3.11-slim (.ci/podman/build-base.sh) only
#      when it is missing from that storage (or its recipe changed), so it is cached between
#      runs on the same machine.
#   4. Prunes stopped containers and untagged images, then smoke-tests `podman run` as a
#      non-root user id without network.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
dir="$root/.ci/podman"
BASE_TAG="docker.io/library/python:3.11-slim"

log() { echo "[setup podman] $*" >&2; }
die() { echo "[setup podman] ERROR: $*" >&2; echo "[setup podman] the container tests (pytest -m container) need rootful podman; see .ci/setup.d/podman.sh" >&2; exit 1; }
trap 'die "unexpected failure (line $LINENO: $BASH_COMMAND)"' ERR
t0=$SECONDS

# The test drives podman as the same user, and needs rootful podman (files written by the
# container as -u UID:GID must land on the host as that uid): CI runs as root.
[ "$(id -u)" = 0 ] || die "must run as root: the container test needs rootful podman"

missing=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get not found; cannot install ${missing[*]} on this OS"
  log "installing podman runc debootstrap (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends \
      podman runc debootstrap conmon netavark aardvark-dns fuse-overlayfs uidmap slirp4netns iptables ca-certificates; } \
    >/tmp/dataperf-ci-apt.log 2>&1 \
    || { tail -n 30 /tmp/dataperf-ci-apt.log >&2; die "apt-get install podman runc debootstrap failed (log: /tmp/dataperf-ci-apt.log)"; }
  for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || die "$tool still missing after apt-get install"; done
fi

PODMAN="$(command -v podman)"
cat >"$dir/env" <<ENV
# Written by .ci/setup.d/podman.sh; source with: set -a; . .ci/podman/env; set +a
PODMAN=$PODMAN
CONTAINERS_CONF=$dir/containers.conf
CONTAINERS_STORAGE_CONF=$dir/storage.conf
ENV
set -a; . "$dir/env"; set +a
mkdir -p /var/lib/dataperf-ci/containers

"$PODMAN" info >/tmp/dataperf-ci-podman-info.log 2>&1 \
  || { tail -n 20 /tmp/dataperf-ci-podman-info.log >&2; die "podman is installed but does not work (podman info failed)"; }

# The stand-in is rebuilt only when missing, or when its recipe (or the host CA bundle or
# apt sources baked into it) changed: build-base.sh labels it with this digest.
inputs=("$dir/build-base.sh" "$dir/base/Containerfile")
for f in /etc/ssl/certs/ca-certificates.crt /etc/apt/sources.list /etc/apt/sources.list.d/*.sources; do
  if [ -f "$f" ]; then inputs+=("$f"); fi
done
recipe="$(cat "${inputs[@]}" | sha256sum | cut -c1-16)"
have="$("$PODMAN" image inspect --format '{{ index .Labels "org.dataperf.ci.recipe" }}' "$BASE_TAG" 2>/dev/null || true)"
if [ "$have" = "$recipe" ]; then
  log "base image $BASE_TAG cached (recipe $recipe)"
elif [ -z "$have" ] && "$PODMAN" image exists "$BASE_TAG"; then
  log "base image $BASE_TAG present and not our stand-in (e.g. pulled): using it"
else
  if [ -n "$have" ]; then log "base image recipe changed ($have -> $recipe): rebuilding the stand-in"
  else log "base image $BASE_TAG missing: building the local stand-in (about 1 minute)"; fi
  env PODMAN="$PODMAN" CONTAINERS_CONF="$CONTAINERS_CONF" CONTAINERS_STORAGE_CONF="$CONTAINERS_STORAGE_CONF" \
    RECIPE="$recipe" bash "$dir/build-base.sh" || die "could not build the stand-in base image $BASE_TAG"
fi

# Bound the storage across runs: stopped containers and untagged images (old builds of the
# project image; the layer cache under the tagged images is kept).
"$PODMAN" container prune -f >/dev/null 2>&1 || true
"$PODMAN" image prune -f >/dev/null 2>&1 || true

out="$("$PODMAN" run --rm --network=none -u 4321:4321 "$BASE_TAG" \
        python -c 'import os, sys; print(os.getuid(), sys.version_info[:2] == (3, 11))' 2>&1)" \
  || die "podman run smoke test failed: $out"
[ "$out" = "4321 True" ] || die "podman run smoke test printed '$out', expected '4321 True'"
log "ready in $((SECONDS - t0)) s: $("$PODMAN" --version), base $BASE_TAG"
