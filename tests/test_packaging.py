"""The installable distribution: pyproject.toml's pins are requirements.txt's, and `pip install .` works.

requirements.txt stays (the MLCube image installs it): the runtime plus the dask extra. The install
test builds and installs the package into a fresh venv whose only third-party packages are the test
environment's (a .pth file, so nothing is downloaded), then runs the console script's demo.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT


def pins(path: Path) -> dict[str, str]:
    """name (lower case) -> version of every ``name==version`` line (comments and -r/-c lines skipped)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        line = line.split(";", 1)[0].strip()  # an environment marker (torch's CPU build off macOS)
        name, sep, version = line.partition("==")
        assert sep and version, f"{path.name}: {line!r} is not pinned with =="
        found[name.strip().lower()] = version.strip().split("+", 1)[0]  # 2.13.0+cpu is a build of 2.13.0
    return found


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def as_pins(requirements: list[str]) -> dict[str, str]:
    out = {}
    for requirement in requirements:
        name, sep, version = requirement.partition("==")
        assert sep, f"pyproject.toml: {requirement!r} is not pinned with =="
        out[name.strip().lower()] = version.strip()
    return out


def test_pyproject_pins_are_the_requirements_files_pins():
    meta = project()
    extras = meta["optional-dependencies"]
    assert set(extras) == {"dask", "dataperf2022", "dev"}
    assert pins(ROOT / "requirements.txt") == {**as_pins(meta["dependencies"]), **as_pins(extras["dask"])}
    assert pins(ROOT / "requirements-dataperf2022.txt") == as_pins(extras["dataperf2022"])
    assert pins(ROOT / "requirements-dev.txt") == as_pins(extras["dev"])
    constraints = pins(ROOT / "constraints.txt")
    for requirement in [*meta["dependencies"], *(r for extra in extras.values() for r in extra)]:
        name, _, version = requirement.partition("==")
        if name.lower() in constraints:
            assert constraints[name.lower()] == version, name
    assert meta["name"] == "dataperf-vision"
    assert meta["scripts"] == {"dataperf-vision": "benchmark.cli:main"}


@pytest.mark.install
def test_pip_install_into_a_fresh_venv_then_the_console_script_demo(tmp_path):
    source = tmp_path / "source"  # a copy: the build leaves build/ and *.egg-info beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "benchmark", source / "benchmark", ignore=shutil.ignore_patterns("__pycache__"))
    venv = tmp_path / "venv"
    # without its own pip and setuptools (3.11 bundles setuptools 65): the test environment's are used
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # the test environment's packages, after the venv's own: pip finds every pinned dependency installed
    Path(site, "test_environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(python), "-m", "pip", "install", "--no-index", "--no-build-isolation",
                           "--disable-pip-version-check", str(source)], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    run = tmp_path / "run"
    (run / "workspace").mkdir(parents=True)
    shutil.copy(ROOT / "workspace" / "parameters.yaml", run / "workspace")
    where = subprocess.run([str(python), "-c", "import benchmark; print(benchmark.__file__)"], cwd=run, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(site), where  # the installed copy, not this checkout
    script = venv / "bin" / "dataperf-vision"
    help_text = subprocess.run([str(script), "--help"], cwd=run, env=env, capture_output=True, text=True)
    assert help_text.returncode == 0 and help_text.stdout.startswith("usage: dataperf-vision "), help_text.stdout
    demo = subprocess.run([str(script), "demo"], cwd=run, env=env, capture_output=True, text=True, timeout=900)
    assert demo.returncode == 0, demo.stderr[-3000:]
    assert "Selection (F1 per task" in demo.stdout and "baseline_propagation" in demo.stdout
    assert (run / "workspace" / "plots" / "report.html").is_file()
