#!/usr/bin/env bash
# Set up both environments (idempotent) and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
# The tests also cover the optional dataperf_2022 protocol, so they need its extra (torch, CPU build).
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt -r requirements-dataperf2022.txt
if [ ! -x .venv-mlcube/bin/mlcube ]; then
  # mlcube 0.0.9 pins omegaconf 2.1.0, whose metadata pip>=24.1 rejects: own venv, older pip.
  python3 -m venv .venv-mlcube
  .venv-mlcube/bin/pip install -q --disable-pip-version-check 'pip<24.1'
  .venv-mlcube/bin/pip install -q --disable-pip-version-check -r requirements-mlcube.txt
fi
exec .venv/bin/python -m pytest "$@"
