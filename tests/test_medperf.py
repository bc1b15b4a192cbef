"""MedPerf's door: container_config.yaml against the task table, and the evaluate task's flat metrics file.

The container runs are in tests/test_container.py (marker ``container``); here everything runs locally.
"""
from __future__ import annotations

import errno
import logging
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, download_demo, run_cli

from benchmark import __version__
from benchmark.cli import build_parser
from benchmark.errors import InputError
from benchmark.formats.metrics import read_metrics, write_metrics
from benchmark.tasks import TASKS

sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
import image  # noqa: E402
import medperf_runner  # noqa: E402

CONFIG = ROOT / "container_config.yaml"
ROOT_MOUNT = "/mlcommons/volumes/"
# MedPerf's evaluator contract, as its template writes it (cli/medperf/templates/evaluator_container/
# {{cookiecutter.project_slug}}/container_config.yaml) plus the optional local_outputs_path of
# examples/cc/rano/metrics_container_config.yaml; the mounts MedPerf provides for `evaluate` are those of
# cli/medperf/commands/execution/container_execution.py run_evaluation and entities/cube.py run.
MEDPERF_EVALUATE = {
    "input_volumes": {"predictions": ("directory", "/mlcommons/volumes/predictions"),
                      "labels": ("directory", "/mlcommons/volumes/labels"),
                      "parameters_file": ("file", "/mlcommons/volumes/parameters/parameters_file.yaml")},
    "output_volumes": {"output_path": ("file", "/mlcommons/volumes/results/results.yaml"),
                       "local_outputs_path": ("directory", "/mlcommons/volumes/local_outputs")},
}
MEDPERF_EVALUATE_MOUNTS = {"predictions", "labels", "output_path", "local_outputs_path", "parameters_file",
                           "additional_files"}


# --------------------------------------------------------------------------- container_config.yaml
def test_container_config_passes_medperfs_schema_checks():
    config = medperf_runner.load_config(CONFIG)
    assert config["container_type"] == "DockerImage"


def test_container_config_declares_every_task_with_its_parameters_and_types():
    config = medperf_runner.load_config(CONFIG)
    expected = {name for name, task in TASKS.items() if task.in_mlcube} | {"evaluate"}
    assert set(config["tasks"]) == expected
    for name, info in config["tasks"].items():
        task = TASKS[name]
        for io, key in (("input", "input_volumes"), ("output", "output_volumes")):
            declared = {label: volume["type"] for label, volume in info.get(key, {}).items()}
            assert declared == {p.name: p.kind for p in task.params if p.io == io}, (name, key)
        volumes = {**info.get("input_volumes", {}), **info["output_volumes"]}
        paths = [v["mount_path"] for v in volumes.values()]
        assert all(p.startswith(ROOT_MOUNT) for p in paths), (name, paths)
        assert len(set(paths)) == len(paths), (name, paths)
        # run_args.command is what MedPerf appends to the ENTRYPOINT: our CLI must take it, and every
        # parameter must point at its own mount
        args = build_parser().parse_args(shlex.split(info["run_args"]["command"]))
        assert args.task == name
        for p in task.params:
            assert getattr(args, p.name) == volumes[p.name]["mount_path"], (name, p.name)
        assert set(info["run_args"]) <= medperf_runner.ALLOWED_RUN_ARGS


def test_evaluate_is_medperfs_evaluator_contract():
    evaluate = medperf_runner.load_config(CONFIG)["tasks"]["evaluate"]
    for key, volumes in MEDPERF_EVALUATE.items():
        assert {label: (v["type"], v["mount_path"]) for label, v in evaluate[key].items()} == volumes
    declared = set(evaluate["input_volumes"]) | set(evaluate["output_volumes"])
    assert declared <= MEDPERF_EVALUATE_MOUNTS  # MedPerf fails on a volume it has no host path for


def test_one_image_in_mlcube_yaml_and_container_config():
    mlcube_image = yaml.safe_load((ROOT / "mlcube.yaml").read_text())["docker"]["image"]
    config_image = yaml.safe_load(CONFIG.read_text())["image"]
    assert mlcube_image == config_image == image.image() == f"mlcommons/dataperf-vision:{__version__}"
    assert image.declared() == {"mlcube.yaml": image.image(), "container_config.yaml": image.image()}


def test_image_write_keeps_the_files_but_the_tag(tmp_path, monkeypatch):
    for name in image.IMAGE_LINES:
        text = (ROOT / name).read_text().replace(image.image(), "mlcommons/dataperf-vision:0.0.0-old")
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(image, "ROOT", tmp_path)
    image.write()
    for name in image.IMAGE_LINES:
        assert (tmp_path / name).read_text() == (ROOT / name).read_text(), name


def test_dockerfile_labels_come_from_build_args():
    text = (ROOT / "Dockerfile").read_text()
    for label, arg in (("version", "VERSION"), ("revision", "REVISION"), ("source", "SOURCE")):
        assert f'org.opencontainers.image.{label}="${arg}"' in text and f'ARG {arg}=""' in text
    args = image.build_args()
    revision = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    assert args[0] == f"--build-arg=VERSION={__version__}" and args[1].startswith(f"--build-arg=REVISION={revision}")
    values = image.label_values()
    labels = [a for a in args if a.startswith("--label=")]
    assert labels[:2] == [f"--label=org.opencontainers.image.version={__version__}",
                          f"--label=org.opencontainers.image.revision={values['revision']}"]
    assert len(labels) == len(values) == len(args) // 2


def test_runner_builds_medperfs_docker_command(tmp_path):
    config = medperf_runner.load_config(CONFIG)
    mounts = {"predictions": tmp_path / "p", "labels": tmp_path / "l", "parameters_file": tmp_path / "params.yaml",
              "output_path": tmp_path / "out" / "results.yaml", "local_outputs_path": tmp_path / "local"}
    for folder in ("p", "l"):
        (tmp_path / folder).mkdir()
    (tmp_path / "params.yaml").write_text("benchmark: selection\n")
    command = medperf_runner.run_command(config, "evaluate", mounts, tmp_path / "tmp", engine="podman",
                                         user=None)
    assert command[:3] == ["podman", "run", "--name"] and command[3].startswith("medperf-evaluate-")
    assert command[4:7] == ["--rm", "-u", command[6]] and ":" in command[6]
    volumes = [command[i + 1] for i, c in enumerate(command) if c == "--volume"]
    assert volumes == [f"{tmp_path}/p:/mlcommons/volumes/predictions:ro",
                       f"{tmp_path}/l:/mlcommons/volumes/labels:ro",
                       f"{tmp_path}/params.yaml:/mlcommons/volumes/parameters/parameters_file.yaml:ro",
                       f"{tmp_path}/out/results.yaml:/mlcommons/volumes/results/results.yaml:rw",
                       f"{tmp_path}/local:/mlcommons/volumes/local_outputs:rw",
                       f"{tmp_path}/tmp:/tmp:rw"]
    assert command[command.index("--network") + 1] == "none"
    assert command[command.index(config["image"]) + 1] == "evaluate"
    # outputs prepared as MedPerf does: the folder created, the file created empty
    assert (tmp_path / "local").is_dir() and (tmp_path / "out" / "results.yaml").read_bytes() == b""


def test_runner_refuses_what_medperf_refuses(tmp_path):
    config = yaml.safe_load(CONFIG.read_text())
    for change, message in ((lambda c: c.pop("image"), "'image'"),
                            (lambda c: c.update(container_type="Podman"), "Invalid container type"),
                            (lambda c: c["tasks"]["plot"]["input_volumes"]["results_path"].update(type="dir"),
                             "either a file or a directory"),
                            (lambda c: c["tasks"]["plot"]["run_args"].update(user="0:0"), "user are not allowed")):
        changed = yaml.safe_load(CONFIG.read_text())
        change(changed)
        path = tmp_path / "container_config.yaml"
        path.write_text(yaml.safe_dump(changed))
        with pytest.raises(medperf_runner.InvalidContainerSpec, match=message):
            medperf_runner.load_config(path)
    with pytest.raises(RuntimeError, match="input volume should exist"):
        medperf_runner.run_command(config, "plot", {"results_path": tmp_path / "missing"}, tmp_path / "tmp")


# --------------------------------------------------------------------------- the evaluate task, locally
@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    """The demo workspace: data and the example submissions."""
    return download_demo(tmp_path_factory.mktemp("medperf") / "workspace")


def parameters(folder: Path, benchmark: str | None, demo: Path) -> Path:
    raw = yaml.safe_load((demo / "parameters.yaml").read_text())
    if benchmark:
        raw["benchmark"] = benchmark
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "parameters_file.yaml"
    path.write_text(yaml.safe_dump(raw))  # as MedPerf writes a container's parameters (yaml.safe_dump)
    return path


def errors(caplog) -> list[str]:
    """The ERROR lines the run logged (without the level prefix), then forgotten."""
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    caplog.clear()
    return lines


def evaluate(predictions: Path, labels: Path, params: Path, out: Path, *extra: str) -> int:
    return run_cli("evaluate", f"--predictions={predictions}", f"--labels={labels}", f"--parameters_file={params}",
                   f"--output_path={out}", *extra)


def flattened_entry(results_yaml: Path, name: str) -> dict:
    """One submission of an evaluate_* results.yaml, keyed by its path in that file without the submission level."""
    doc = yaml.safe_load(results_yaml.read_text())
    entry = doc["submissions"][name]
    parts_key = "tasks" if "tasks" in entry else "data_ids"
    flat = {"valid": entry["valid"], doc["leaderboard_metric"]: entry[doc["leaderboard_metric"]]}
    lo_hi = entry[doc["leaderboard_metric"] + "_ci95"]
    flat.update({doc["leaderboard_metric"] + "_ci95_low": lo_hi[0], doc["leaderboard_metric"] + "_ci95_high": lo_hi[1]})
    for part, values in entry[parts_key].items():
        for key, value in values.items():
            if key.endswith("_ci95"):
                flat[f"{parts_key}.{part}.{key}_low"], flat[f"{parts_key}.{part}.{key}_high"] = value
            else:
                flat[f"{parts_key}.{part}.{key}"] = value
    return flat


def test_selection_metrics_equal_evaluate_selection(demo, tmp_path):
    params = parameters(tmp_path, "selection", demo)
    out = tmp_path / "results.yaml"
    assert evaluate(demo / "submissions" / "selection" / "random_500", demo / "data", params, out,
                    f"--local_outputs_path={tmp_path / 'local'}") == 0
    flat = read_metrics(out)
    assert list(flat)[:4] == ["benchmark", "valid", "leaderboard_metric", "mean_f1"]
    assert flat["benchmark"] == "dataperf-vision-selection" and flat["ignored_files"] == 0
    assert run_cli("evaluate_selection", f"--data_path={demo / 'data'}",
                   f"--submission_path={demo / 'submissions' / 'selection'}", f"--parameters_file={params}",
                   f"--output_path={tmp_path / 'all'}") == 0
    expected = flattened_entry(tmp_path / "all" / "results.yaml", "random_500")
    assert {k: flat[k] for k in expected} == expected
    assert set(flat) - set(expected) == {"benchmark", "leaderboard_metric", "ignored_files"}
    assert len([k for k in flat if k.startswith("tasks.")]) == 3 * 9  # 7 metrics, the F1 interval's 2 bounds
    # docs/medperf.md shows the beginning of this very file
    shown = (ROOT / "docs" / "medperf.md").read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    assert out.read_text().startswith(shown)
    # the full results of the one submission in the extra output folder
    local = yaml.safe_load((tmp_path / "local" / "results.yaml").read_text())
    assert list(local["submissions"]) == ["submission"]
    assert local["submissions"]["submission"]["mean_f1"] == flat["mean_f1"]


def test_debugging_metrics_equal_evaluate_debugging(demo, tmp_path):
    params = parameters(tmp_path, "debugging", demo)
    out = tmp_path / "results.yaml"
    assert evaluate(demo / "submissions" / "debugging", demo / "data", params, out,
                    f"--local_outputs_path={tmp_path / 'local'}") == 0
    flat = read_metrics(out)
    assert flat["benchmark"] == "dataperf-vision-debugging" and flat["protocol"] == "corrected"
    assert run_cli("evaluate_debugging", f"--data_path={demo / 'data'}",
                   f"--submission_path={demo / 'submissions' / 'debugging'}", f"--parameters_file={params}",
                   f"--output_path={tmp_path / 'all'}") == 0
    expected = flattened_entry(tmp_path / "all" / "results.yaml", "random")
    assert {k: flat[k] for k in expected} == expected
    assert set(flat) - set(expected) == {"benchmark", "leaderboard_metric", "protocol", "ignored_files"}
    assert (tmp_path / "local" / "curves.csv").read_bytes() == (tmp_path / "all" / "curves.csv").read_bytes()


def test_same_inputs_same_bytes_wherever_the_folders_are(demo, tmp_path):
    params = parameters(tmp_path / "a", "selection", demo)
    first, second = tmp_path / "a" / "results.yaml", tmp_path / "b" / "results.yaml"
    (tmp_path / "b").mkdir()
    assert evaluate(demo / "submissions" / "selection" / "random_500", demo / "data", params, first) == 0
    moved = tmp_path / "elsewhere" / "predictions"
    shutil.copytree(demo / "submissions" / "selection" / "random_500", moved)
    assert evaluate(moved, demo / "data", params, second) == 0
    assert first.read_bytes() == second.read_bytes()


def invalid_selection(demo: Path, folder: Path) -> Path:
    shutil.copytree(demo / "submissions" / "selection" / "random_500", folder)
    lines = (folder / "Three.csv").read_text().splitlines()
    lines[1] = f"{lines[1].split(',')[0]},7"
    (folder / "Three.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_invalid_submission_writes_valid_false_and_one_line(demo, tmp_path, caplog):
    params = parameters(tmp_path, "selection", demo)
    predictions = invalid_selection(demo, tmp_path / "predictions")
    out = tmp_path / "results.yaml"
    caplog.clear()
    assert evaluate(predictions, demo / "data", params, out) == 0
    assert errors(caplog) == ["Three.csv:2: Confidence '7' is not 0 or 1"]
    flat = read_metrics(out)
    assert flat["valid"] is False and flat["mean_f1"] is None
    assert flat["error"] == "Three.csv:2: Confidence '7' is not 0 or 1"
    assert flat["tasks.Three.error"] == flat["error"] and isinstance(flat["tasks.Five.f1"], float)
    out.unlink()
    assert evaluate(predictions, demo / "data", params, out, "--strict") == 1
    assert read_metrics(out)["valid"] is False  # written before the exit code says so


@pytest.mark.parametrize("kind, files, reason", [
    ("selection", {}, "the predictions folder holds none of the training set files Eight.csv, Five.csv, Three.csv"),
    ("debugging", {}, "the predictions folder: no submission files (expected <data_id>_<method>.txt)"),
    ("debugging", {"d1v7_a.txt": "0\n", "d1v7_b.txt": "1\n"},
     "the predictions folder holds the orderings of 2 methods (a, b); one submission is one method"),
])
def test_no_single_submission_is_an_invalid_submission(demo, tmp_path, caplog, kind, files, reason):
    params = parameters(tmp_path, kind, demo)
    predictions = tmp_path / "predictions"
    predictions.mkdir()
    for name, text in files.items():
        (predictions / name).write_text(text)
    out = tmp_path / "results.yaml"
    out.write_text("")  # MedPerf creates the output file empty before the run
    caplog.clear()
    assert evaluate(predictions, demo / "data", params, out) == 0
    assert errors(caplog) == [reason]
    flat = read_metrics(out)
    assert flat["valid"] is False and flat["error"] == reason
    assert evaluate(predictions, demo / "data", params, out, "--strict") == 1


def test_benchmark_from_the_data_folder(demo, tmp_path, caplog):
    labels = tmp_path / "labels"
    shutil.copytree(demo / "data" / "debugging", labels / "debugging")
    out = tmp_path / "results.yaml"
    params = parameters(tmp_path, None, demo)
    assert evaluate(demo / "submissions" / "debugging", labels, params, out) == 0
    assert read_metrics(out)["benchmark"] == "dataperf-vision-debugging"
    # both benchmarks in the data folder and none named: one line, exit 2, nothing written
    out.unlink()
    caplog.clear()
    assert evaluate(demo / "submissions" / "debugging", demo / "data", params, out) == 2
    assert errors(caplog) == [f"{params}: the data folder holds both selection/ and debugging/, so the benchmark to "
                   "score is ambiguous: set 'benchmark: selection' or 'benchmark: debugging'"]
    assert not out.exists()
    empty = tmp_path / "nothing"
    empty.mkdir()
    assert evaluate(demo / "submissions" / "debugging", empty, params, out) == 2
    (line,) = errors(caplog)
    assert "holds neither selection/ nor debugging/" in line


def test_bad_benchmark_key_and_bad_output_paths(demo, tmp_path, caplog):
    raw = yaml.safe_load((demo / "parameters.yaml").read_text())
    raw["benchmark"] = "both"
    params = tmp_path / "p.yaml"
    params.write_text(yaml.safe_dump(raw))
    predictions = demo / "submissions" / "debugging"
    caplog.clear()
    assert evaluate(predictions, demo / "data", params, tmp_path / "r.yaml") == 2
    assert errors(caplog) == [f"{params}: benchmark: 'both' is not one of selection, debugging"]
    params = parameters(tmp_path, "debugging", demo)
    (tmp_path / "folder").mkdir()
    (tmp_path / "a-file").write_text("")
    for out, message in ((tmp_path / "folder", "output path is a folder"),
                         (tmp_path / "a-file" / "r.yaml", "its folder is not a folder")):
        assert evaluate(predictions, demo / "data", params, out) == 2
        (line,) = errors(caplog)
        assert message in line, line
    out = tmp_path / "new" / "folders" / "results.yaml"  # missing folders are created, as for every output
    assert evaluate(predictions, demo / "data", params, out) == 0 and read_metrics(out)["valid"] is True


# --------------------------------------------------------------------------- the metrics file
def test_read_metrics_refuses_what_medperf_would_not_store(tmp_path):
    good = {"benchmark": "dataperf-vision-debugging", "valid": True, "leaderboard_metric": "mean_score",
            "mean_score": 0.5, "ignored_files": 0, "data_ids.d1.score": 0.5}
    path = tmp_path / "results.yaml"
    write_metrics(path, good)
    assert read_metrics(path) == good
    for text, message in (("", "metrics file is empty"),
                          ("benchmark: [1]\n", "benchmark: expected a single value"),
                          ("- 1\n", "expected a flat mapping of metrics, got list"),
                          ("a: b: c\n", "invalid YAML"),
                          (yaml.safe_dump({**good, "valid": False}), "error: an invalid submission needs the reason"),
                          (yaml.safe_dump({**good, "mean_score": None}), "mean_score: a valid submission needs a"),
                          (yaml.safe_dump({**good, "mean_score": float("nan")}), "expected a finite number"),
                          (yaml.safe_dump({**good, "tasks.A.f1": 1.0}), "tasks.A.f1: not a key of the debugging"),
                          (yaml.safe_dump({**good, "benchmark": "x"}), "benchmark: 'x' is not one of")):
        path.write_text(text)
        with pytest.raises(InputError, match=message.replace("[", r"\[")):
            read_metrics(path)
    path.unlink()
    with pytest.raises(InputError, match="metrics file not found"):
        read_metrics(path)


def test_a_bind_mounted_metrics_file_is_rewritten_in_place(tmp_path, monkeypatch):
    """A file that is a mount point cannot be renamed over (EBUSY): its content is replaced in place."""
    path = tmp_path / "results.yaml"
    path.write_text("x" * 5000)  # longer than the new content: nothing of it may remain
    inode = path.stat().st_ino

    def busy(source, target):  # what the kernel answers for a rename over a mount point
        raise OSError(errno.EBUSY, "Device or resource busy", str(target))

    monkeypatch.setattr(os, "replace", busy)  # through the real atomic write, down to its rename
    flat = {"benchmark": "dataperf-vision-selection", "valid": False, "leaderboard_metric": "mean_f1",
            "mean_f1": None, "error": "why", "ignored_files": 0}
    write_metrics(path, flat)
    assert path.stat().st_ino == inode and read_metrics(path) == flat
