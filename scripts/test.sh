#!/usr/bin/env bash
# Set up both environments (idempotent) and run the test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
# The tests also cover the optional dataperf_2022 protocol, so they need its extra: torch, CPU build, from
# PyTorch's CPU index (the +cpu pin makes a machine without it stop rather than pull the CUDA build).
# Everything else is installed by now, so only torch and its dependencies are looked up there.
# TORCH_INDEX_URL= (empty) leaves the index out, for a machine whose pip finds the +cpu wheel elsewhere.
TORCH_INDEX_URL="${TORCH_INDEX_URL-https://download.pytorch.org/whl/cpu}"
.venv/bin/pip install -q --disable-pip-version-check --retries 1 \
  ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"} -r requirements-dataperf2022.txt
if [ ! -x .venv-mlcube/bin/mlcube ]; then
  # mlcube 0.0.9 pins omegaconf 2.1.0, whose metadata pip>=24.1 rejects: own venv, older pip.
  python3 -m venv .venv-mlcube
  .venv-mlcube/bin/pip install -q --disable-pip-version-check 'pip<24.1'
  .venv-mlcube/bin/pip install -q --disable-pip-version-check -r requirements-mlcube.txt
fi
# Two workers (the CI machine has 2 cores; each test is single-threaded); a file's tests stay in one worker,
# so module and session fixtures (the container image, the demo runs) are built once per file's worker.
exec .venv/bin/python -m pytest -n "${PYTEST_WORKERS:-2}" --dist loadfile "$@"
