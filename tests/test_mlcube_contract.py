"""mlcube.yaml, read by the real mlcube 0.0.9 library, matches the CLI exactly, and its calls run."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, run_cli

from benchmark.cli import build_parser
from benchmark.tasks import TASKS

MLCUBE_PYTHON = Path(os.environ.get("MLCUBE_VENV", ROOT / ".venv-mlcube")) / "bin" / "python"


def _mlcube_available() -> None:
    if not MLCUBE_PYTHON.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"mlcube venv missing at {MLCUBE_PYTHON}; scripts/test.sh creates it")
        pytest.skip(f"mlcube venv missing at {MLCUBE_PYTHON} (run scripts/test.sh to create it)")


def probe(workspace: Path, mlcube_file: Path = ROOT / "mlcube.yaml", extra: tuple[str, ...] = ()) -> dict:
    """Per task, what the real mlcube resolves; ``extra``: arguments as on mlcube's command line."""
    _mlcube_available()
    done = subprocess.run([str(MLCUBE_PYTHON), str(ROOT / "tests" / "mlcube_probe.py"), str(mlcube_file),
                           str(workspace), *extra], capture_output=True, text=True, check=True,
                          env={**os.environ, "HOME": str(workspace.parent)})
    return json.loads(done.stdout)


def test_every_declared_parameter_is_typed_in_the_file():
    raw = yaml.safe_load((ROOT / "mlcube.yaml").read_text())
    for task, spec in raw["tasks"].items():
        for io in ("inputs", "outputs"):
            for name, param in spec["parameters"][io].items():
                assert param["type"] in ("file", "directory"), (task, name)
    assert raw["platform"] == {"accelerator_count": 0}
    assert raw["docker"]["build_file"] == "Dockerfile" and raw["docker"]["build_context"] == "."
    assert ":" in raw["docker"]["image"] and not raw["docker"]["image"].endswith(":latest")


def test_mlcube_tasks_match_the_cli(tmp_path):
    config = probe(tmp_path / "workspace")["tasks"]
    in_mlcube = {name: task for name, task in TASKS.items() if task.in_mlcube}
    assert set(config) == set(in_mlcube)
    for name, task in in_mlcube.items():
        declared = {}
        for io in ("inputs", "outputs"):
            for pname, p in config[name]["parameters"][io].items():
                declared[pname] = (io[:-1], p["type"], p["default"])
        ours = {p.name: (p.io, p.kind, p.default) for p in task.params}
        assert declared == ours, name
        # the exact argument list MLCube's docker runner passes is accepted by our CLI
        args = build_parser().parse_args(config[name]["args"])
        assert args.task == name
        for p in task.params:
            assert getattr(args, p.name).startswith("/mlcube_io"), (name, p.name)


def test_mlcube_describe_and_show_config(tmp_path):
    _mlcube_available()
    mlcube = MLCUBE_PYTHON.parent / "mlcube"
    env = {**os.environ, "HOME": str(tmp_path)}
    for command in (["describe"], ["show_config", "--platform", "docker"]):
        done = subprocess.run([str(mlcube), *command, f"--mlcube={ROOT}"], capture_output=True, text=True,
                              env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    assert "evaluate_debugging" in done.stdout


def test_pipeline_runs_with_the_arguments_mlcube_passes(tmp_path):
    """download, evaluate_selection, evaluate_debugging, plot -- called exactly as the container would be."""
    ws = tmp_path / "workspace"
    ws.mkdir()
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws)
    config = probe(ws)["tasks"]
    for name in ("download", "evaluate_selection", "evaluate_debugging", "plot"):
        args = list(config[name]["args"])
        mounts = config[name]["mounts"]
        for i, arg in enumerate(args):  # map container mount points back to the host
            for container in sorted(mounts, key=len, reverse=True):
                if "=" in arg and arg.split("=", 1)[1].startswith(container):
                    key, value = arg.split("=", 1)
                    args[i] = f"{key}={mounts[container]}{value[len(container):]}"
                    Path(mounts[container]).mkdir(parents=True, exist_ok=True)
                    break
        assert run_cli(*args) == 0, name
    assert (ws / "results" / "selection" / "results.yaml").is_file()
    assert (ws / "results" / "debugging" / "results.yaml").is_file()
    assert list((ws / "plots").glob("*.png"))


def test_inputs_mount_read_only_and_outputs_read_write(tmp_path):
    """Every input parameter is mounted ro and every output rw, as mlcube 0.0.9 resolves them."""
    config = probe(tmp_path / "workspace")["tasks"]
    for name, task in TASKS.items():
        if not task.in_mlcube:
            continue
        args = dict(arg[2:].split("=", 1) for arg in config[name]["args"][1:])
        opts = config[name]["opts"]
        for p in task.params:
            mount = next(m for m in sorted(opts, key=len, reverse=True) if args[p.name].startswith(m))
            assert opts[mount] == ("ro" if p.io == "input" else "rw"), (name, p.name, mount, opts)


def test_an_output_sharing_a_host_folder_with_an_input_stays_writable(tmp_path):
    """The explicit `opts: rw` on outputs makes mlcube mount a folder shared with an input rw."""
    raw = yaml.safe_load((ROOT / "mlcube.yaml").read_text())
    raw["tasks"]["download"]["parameters"]["outputs"]["output_path"]["default"] = "."  # = parameters.yaml's folder
    changed = tmp_path / "mlcube.yaml"
    changed.write_text(yaml.safe_dump(raw))
    task = probe(tmp_path / "workspace", changed)["tasks"]["download"]
    shared = [m for m, host in task["mounts"].items() if Path(host) == tmp_path / "workspace"]
    assert len(shared) == 1 and task["opts"][shared[0]] == "rw", task
