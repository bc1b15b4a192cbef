#!/usr/bin/env bash
# CI setup step for the `browser` tests (tests/test_report_browser.py): headless Chromium
# that opens report.html. Run by .ci/run before the tests; idempotent (installs only when
# missing); fails (exit 1) with a message when Chromium cannot be provided, because in CI
# (CI=true) the browser test is required, not skipped.
set -euo pipefail

log() { echo "[setup chromium] $*" >&2; }
die() { echo "[setup chromium] ERROR: $*" >&2
        echo "[setup chromium] the browser tests (pytest -m browser) need headless Chromium (Debian package chromium)" >&2
        exit 1; }

find_chromium() {
  if [ -n "${CHROMIUM:-}" ] && command -v "$CHROMIUM" >/dev/null; then command -v "$CHROMIUM"; return; fi
  for name in chromium chromium-browser google-chrome; do
    if command -v "$name" >/dev/null; then command -v "$name"; return; fi
  done
  return 1
}

if ! browser="$(find_chromium)"; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null && sudo="sudo -n" \
      || die "not installed, and installing it needs root (or passwordless sudo)"
  fi
  command -v apt-get >/dev/null || die "not installed, and apt-get is not available on this OS"
  log "installing chromium (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  { $sudo apt-get update -q && $sudo apt-get install -y -q chromium fonts-dejavu-core; } \
    >&2 || die "apt-get install chromium failed"
  browser="$(find_chromium)" || die "installed, but no chromium executable on PATH"
fi

# Smoke test: the browser must start headless and render a page, the way the test starts it.
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
if ! out="$(HOME="$profile" timeout 60 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
      --disable-background-networking --disable-component-update --disable-sync --disable-quic \
      --disable-dev-shm-usage --user-data-dir="$profile/user-data" \
      --dump-dom 'data:text/html,<p id=ok>rendered</p>' 2>"$profile/stderr")"; then
  tail -n 20 "$profile/stderr" >&2
  die "$browser did not start headless"
fi
case "$out" in
  *'id="ok"'*) ;;
  *) tail -n 20 "$profile/stderr" >&2; die "$browser started but did not render a test page" ;;
esac
log "ok: $("$browser" --version 2>/dev/null | head -n 1) at $browser"
