"""The real container: build the image from our Dockerfile and drive it with the real `mlcube run`.

Needs rootful podman. In CI, .ci/setup.d/podman.sh installs it, builds a cached local stand-in
for python:3.11-slim and writes .ci/podman/env (PODMAN, CONTAINERS_CONF,
CONTAINERS_STORAGE_CONF), which this module reads; variables already in the environment win
over the file. Without it, ``podman`` on PATH with its usual configuration is used. When
podman, the base image or root is missing the tests skip with the reason -- except with
CI=true, where they fail: in CI they are not optional.

The MedPerf tests at the end build the image container_config.yaml names (with its OCI labels) and
run its `evaluate` task the way MedPerf's docker runner does (tests/medperf_runner.py).

Run just these:  .venv/bin/python -m pytest -m container -rs
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.container

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / ".ci" / "podman" / "env"
MLCUBE = ROOT / ".venv-mlcube" / "bin" / "mlcube"
BASE_IMAGE = "docker.io/library/python:3.11-slim"
UID, GID = 4321, 4322  # the non-root user the container runs as (distinct ids catch a swap)
MAIN_TASKS = ("evaluate_selection", "evaluate_debugging", "plot")
BASELINE_TASKS = ("select_baselines", "debug_baselines")  # run before the evaluations, if declared


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and the container test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _log(message: str) -> None:
    print(f"[test_container] {message}", file=sys.stderr, flush=True)


@dataclass
class Podman:
    executable: str
    env: dict[str, str]  # environment for podman and mlcube


@pytest.fixture(scope="module")
def podman(tmp_path_factory: pytest.TempPathFactory) -> Podman:
    env = dict(os.environ)
    if ENV_FILE.is_file():
        for line in ENV_FILE.read_text().splitlines():
            key, sep, value = line.strip().partition("=")
            if sep and key and not key.startswith("#"):
                env.setdefault(key, value)  # the caller's environment wins (e.g. PODMAN=...)
    executable = env.get("PODMAN") or shutil.which("podman", path=env.get("PATH"))
    if not MLCUBE.is_file():
        _unavailable(f"the mlcube CLI is missing ({MLCUBE.relative_to(ROOT)}; scripts/test.sh installs it)")
    if not executable or not os.access(executable, os.X_OK):
        _unavailable(f"podman not found ({executable or 'not on PATH'}; CI installs it with "
                     ".ci/setup.d/podman.sh, which writes .ci/podman/env)")
    if os.geteuid() != 0:
        _unavailable("needs rootful podman (run as root): the container writes host files as "
                     f"uid {UID}, which rootless podman would map to a subordinate id")
    info = subprocess.run([executable, "info"], env=env, capture_output=True, text=True)
    if info.returncode != 0:
        _unavailable(f"`podman info` fails: {info.stderr.strip()[-500:]}")
    if subprocess.run([executable, "image", "exists", BASE_IMAGE], env=env).returncode != 0:
        _unavailable(f"base image {BASE_IMAGE} is not in podman's storage and no registry is assumed "
                     "reachable: run `bash .ci/setup.d/podman.sh` (or `podman pull python:3.11-slim`)")
    # mlcube writes its system settings file to $HOME/mlcube.yaml: keep it out of the real home.
    home = tmp_path_factory.mktemp("mlcube-home")
    env.update(HOME=str(home), MLCUBE_SYSTEM_SETTINGS=str(home / "mlcube.yaml"))
    env["PATH"] = os.pathsep.join([str(Path(executable).parent), env.get("PATH", "")])
    return Podman(executable, env)


def mlcube_run(podman: Podman, workspace: Path, tasks: list[str], *extra: str,
               timeout: float = 1200) -> subprocess.CompletedProcess:
    """`mlcube run` on the project's mlcube.yaml (which builds the image before each task), as UID:GID.

    The test runs as root, so mlcube.yaml's default `-u $(id -u):$(id -g)` would be root:
    cpu_args is replaced, keeping its --rm.
    """
    cmd = [str(MLCUBE), "--log-level=info", "run", f"--mlcube={ROOT}", f"--task={','.join(tasks)}",
           "--platform=docker", f"--workspace={workspace}", f"-Pdocker.docker={podman.executable}",
           f"-Pdocker.cpu_args=--rm -u {UID}:{GID}", *extra]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=podman.env, cwd=workspace.parent, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)
    _log(f"mlcube run --task={','.join(tasks)} {' '.join(extra)}: exit {proc.returncode} "
         f"in {time.monotonic() - start:.1f} s")
    return proc


def tail(proc: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join(proc.stdout.splitlines()[-lines:])


def check_ok(proc: subprocess.CompletedProcess, what: str) -> None:
    if proc.returncode != 0:
        pytest.fail(f"{what} exited {proc.returncode}; last lines of its output:\n{tail(proc)}", pytrace=False)


def new_workspace(path: Path) -> Path:
    """parameters.yaml plus every mounted directory, pre-created and owned by UID:GID.

    mlcube creates missing mount directories as the calling (root) user, where the
    container user could not write; a real user's workspace is theirs already.
    """
    path.mkdir(parents=True)
    shutil.copy(ROOT / "workspace" / "parameters.yaml", path / "parameters.yaml")
    for task in mlcube_config()["tasks"].values():
        for params in task["parameters"].values():
            for param in params.values():
                mounted = path / param["default"]
                (mounted if param["type"] == "directory" else mounted.parent).mkdir(parents=True, exist_ok=True)
    chown_tree(path)
    return path


def chown_tree(path: Path) -> None:
    for p in [path, *path.rglob("*")]:
        os.chown(p, UID, GID, follow_symlinks=False)


def local_cli(*args: str) -> subprocess.CompletedProcess:
    """The same task through the local CLI (the test venv's python)."""
    return subprocess.run([sys.executable, "-m", "benchmark", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def mlcube_config() -> dict:
    return yaml.safe_load((ROOT / "mlcube.yaml").read_text())


@dataclass
class CubeRun:
    workspace: Path
    download: subprocess.CompletedProcess
    offline: subprocess.CompletedProcess
    offline_tasks: list[str]


@pytest.fixture(scope="module")
def cube(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> CubeRun:
    """download (default network), then the baselines, evaluations and plot with --network=none."""
    workspace = new_workspace(tmp_path_factory.mktemp("cube") / "workspace")
    declared = list(mlcube_config()["tasks"])
    offline_tasks = [t for t in BASELINE_TASKS if t in declared] + list(MAIN_TASKS)
    download = mlcube_run(podman, workspace, ["download"])
    offline = (mlcube_run(podman, workspace, offline_tasks, "--network=none") if download.returncode == 0
               else subprocess.CompletedProcess([], -1, "(not run: download failed)"))
    return CubeRun(workspace, download, offline, offline_tasks)


def test_all_tasks_run_in_the_container(cube: CubeRun) -> None:
    check_ok(cube.download, "mlcube run --task=download")
    check_ok(cube.offline, f"mlcube run --task={','.join(cube.offline_tasks)} --network=none")
    # The image was built by mlcube from our Dockerfile, and each task ran as UID:GID;
    # the evaluation and plot containers had no network.
    output = cube.download.stdout + cube.offline.stdout
    assert " build " in output and str(ROOT / "Dockerfile") in output
    runs = [line for line in cube.offline.stdout.splitlines() if "Command=" in line and " run " in line]
    assert len(runs) == len(cube.offline_tasks), cube.offline.stdout[-3000:]
    for line in runs:
        assert f"-u {UID}:{GID}" in line and "--network=none" in line and "--rm" in line, line


def test_every_task_ran_with_its_inputs_read_only(cube: CubeRun) -> None:
    """Each task's `docker run` mounted its inputs :ro and its outputs :rw, and still succeeded."""
    require_ok(cube)
    runs = [line for proc in (cube.download, cube.offline) for line in proc.stdout.splitlines()
            if "Command=" in line and " run " in line]
    ran = [line.split("mlcommons/dataperf-vision:0.1.0 ", 1)[1].split()[0] for line in runs]
    assert ran == ["download", *cube.offline_tasks], ran
    declared = mlcube_config()["tasks"]
    for task, line in zip(ran, runs):
        options = {mount: opt for _host, mount, opt in re.findall(r"--volume (\S+?):(/mlcube_io\d+):(ro|rw)\b", line)}
        args = dict(a[2:].split("=", 1) for a in re.findall(r"--\w+=/mlcube_io[^\s']+", line))
        for io, expected in (("inputs", "ro"), ("outputs", "rw")):
            for name, spec in declared[task]["parameters"][io].items():
                mount = args[name] if spec["type"] == "directory" else args[name].rsplit("/", 1)[0]
                assert options.get(mount) == expected, (task, name, mount, line)


def require_ok(cube: CubeRun) -> None:
    if cube.download.returncode != 0 or cube.offline.returncode != 0:
        pytest.fail("the tasks failed in the container; see test_all_tasks_run_in_the_container", pytrace=False)


def test_outputs_on_the_host_owned_by_the_container_user(cube: CubeRun) -> None:
    require_ok(cube)
    ws = cube.workspace
    for results in ("results/selection/results.yaml", "results/debugging/results.yaml"):
        assert (ws / results).is_file(), results
    assert sorted((ws / "submissions" / "selection").iterdir()), "download wrote no example selection submission"
    assert sorted((ws / "submissions" / "debugging").iterdir()), "download wrote no example debugging submission"
    assert list((ws / "plots").glob("*.png")), f"no figures in plots/: {sorted(os.listdir(ws / 'plots'))}"
    written = [p for sub in ("data", "submissions", "results", "plots") for p in (ws / sub).rglob("*")]
    assert len(written) > 20
    wrong = [f"{p.relative_to(ws)} {p.lstat().st_uid}:{p.lstat().st_gid}" for p in written
             if (p.lstat().st_uid, p.lstat().st_gid) != (UID, GID)]
    assert not wrong, f"not owned by {UID}:{GID}: {wrong[:10]}"


def test_results_identical_to_a_local_cli_run(cube: CubeRun, tmp_path: Path) -> None:
    require_ok(cube)
    ws = cube.workspace
    for task, kind in (("evaluate_selection", "selection"), ("evaluate_debugging", "debugging")):
        out = tmp_path / kind
        proc = local_cli(task, f"--data_path={ws / 'data'}", f"--submission_path={ws / 'submissions' / kind}",
                         f"--parameters_file={ws / 'parameters.yaml'}", f"--output_path={out}")
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert (out / "results.yaml").read_bytes() == (ws / "results" / kind / "results.yaml").read_bytes(), kind
        # Every other result file too (e.g. the debugging curves); the set folders (docs/formats/results.md, "Result files
        # change together") are named after their content, so equal names mean equal sets.
        assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in (ws / "results" / kind).iterdir())
        for path in out.iterdir():
            if path.is_file():  # through the links; .current and .set-<hash> are folders
                assert path.read_bytes() == (ws / "results" / kind / path.name).read_bytes(), path.name


def test_invalid_submission_does_not_stop_the_chain_unless_strict(podman: Podman, cube: CubeRun,
                                                                  tmp_path: Path) -> None:
    """`mlcube run --task=evaluate_selection,plot` with one invalid submission among valid ones:
    exit 0 and plots drawn; results.yaml byte-identical to the local CLI's; strict mode: exit 1."""
    require_ok(cube)
    ws = new_workspace(tmp_path / "workspace")
    shutil.copytree(cube.workspace / "data", ws / "data", dirs_exist_ok=True)
    shutil.copytree(cube.workspace / "submissions", ws / "submissions", dirs_exist_ok=True)
    shutil.copytree(cube.workspace / "results" / "debugging", ws / "results" / "debugging", dirs_exist_ok=True)
    selection = ws / "submissions" / "selection"
    valid = sorted(p.name for p in selection.iterdir() if p.is_dir())
    assert len(valid) >= 2, valid  # the example and the baselines
    bad = selection / "bad"
    shutil.copytree(selection / valid[0], bad)
    lines = (bad / "Three.csv").read_text().splitlines()
    lines[1] = f"{lines[1].split(',')[0]},7"  # a Confidence of 7: only 0 and 1 are allowed
    (bad / "Three.csv").write_text("\n".join(lines) + "\n")
    chown_tree(ws)
    message = "bad/Three.csv:2: Confidence '7' is not 0 or 1"

    proc = mlcube_run(podman, ws, ["evaluate_selection", "plot"], "--network=none")
    check_ok(proc, "mlcube run --task=evaluate_selection,plot with an invalid submission")
    assert [line for line in proc.stdout.splitlines() if line.startswith("ERROR ")] == [f"ERROR {message}"]
    summary = [line for line in proc.stdout.splitlines() if line.startswith("WARNING ") and "invalid" in line]
    assert summary == [f"WARNING 1 of {len(valid) + 1} submission(s) invalid: bad (their errors are in "
                       "results.yaml); exit 0 (--strict or DATAPERF_STRICT=1 makes this exit 1)"], tail(proc)
    assert "INFO wrote results.yaml" in proc.stdout and "wrote /mlcube_io" not in proc.stdout
    results = yaml.safe_load((ws / "results" / "selection" / "results.yaml").read_text())
    assert results["submissions"]["bad"]["valid"] is False
    assert results["submissions"]["bad"]["errors"] == [message]
    assert all(results["submissions"][name]["valid"] for name in valid)
    plots = sorted(p.name for p in (ws / "plots").iterdir())
    assert "report.html" in plots and "selection_f1.png" in plots, plots

    # The local CLI on the same inputs writes the same bytes, the invalid submission's error included.
    local = local_cli("evaluate_selection", f"--data_path={ws / 'data'}", f"--submission_path={selection}",
                      f"--parameters_file={ws / 'parameters.yaml'}", f"--output_path={tmp_path / 'local'}")
    assert local.returncode == 0, local.stderr[-3000:]
    in_container = ws / "results" / "selection" / "results.yaml"
    assert (tmp_path / "local" / "results.yaml").read_bytes() == in_container.read_bytes()

    # Strict mode for CI gates reaches the container through the environment; the chain stops.
    for p in (ws / "plots").iterdir():
        p.unlink()
    proc = mlcube_run(podman, ws, ["evaluate_selection", "plot"], "--network=none",
                      "-Pdocker.env_args.DATAPERF_STRICT=1")
    assert proc.returncode == 1, tail(proc)
    assert "-e DATAPERF_STRICT=1" in proc.stdout
    assert any(line.startswith("WARNING 1 of") and line.endswith("exit 1 (strict mode)")
               for line in proc.stdout.splitlines()), tail(proc)
    assert list((ws / "plots").iterdir()) == [], "plot ran after a strict failure"
    assert (tmp_path / "local" / "results.yaml").read_bytes() == in_container.read_bytes()


def test_workspace_owned_by_someone_else_is_one_line_and_exit_2(podman: Podman, tmp_path: Path) -> None:
    """A first run without -u left root-owned folders; the run as UID:GID names the folder and the fixes."""
    ws = new_workspace(tmp_path / "workspace")
    for sub in ("data", "submissions"):
        for p in [ws / sub, *(ws / sub).rglob("*")]:
            os.chown(p, 0, 0, follow_symlinks=False)
    before = sorted(ws.rglob("*"))
    proc = mlcube_run(podman, ws, ["download"], "--network=none")
    assert proc.returncode != 0, tail(proc)
    assert "exit_code=2" in proc.stdout, tail(proc)
    errors = [line for line in proc.stdout.splitlines() if line.startswith("ERROR ")]
    assert len(errors) == 1, tail(proc)
    assert errors[0].startswith(f"ERROR output_path (/mlcube_io1) is not writable by uid:gid {UID}:{GID} "
                                "(owner 0:0, mode 0755); "), errors[0]
    for fix in ("chown -R", "-u $(id -u):$(id -g)", "--userns=keep-id"):
        assert fix in errors[0], fix
    assert 'File "/app/' not in proc.stdout, "a traceback from the package"
    assert sorted(ws.rglob("*")) == before  # nothing written


def docs_section(title: str) -> str:
    """A section of docs/containers.md (the container page the README points to), up to the next heading."""
    text = (ROOT / "docs" / "containers.md").read_text()
    return text.split(title, 1)[1].split("\n#", 1)[0]


def test_plain_docker_run_recipe_from_the_docs(podman: Podman, cube: CubeRun, tmp_path: Path) -> None:
    """The documented `docker run` block (docs/containers.md), run as written by bash, podman standing in for docker."""
    require_ok(cube)
    section = docs_section("## Without MLCube: plain `docker run`")
    recipe = section.split("```bash\n", 1)[1].split("```", 1)[0]
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "docker").write_text(f'#!/bin/sh\nexec "{podman.executable}" "$@"\n')
    (shims / "docker").chmod(0o755)
    ws = tmp_path / "workspace"
    ws.mkdir()
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws / "parameters.yaml")
    env = {**podman.env, "PATH": f"{shims}{os.pathsep}{podman.env['PATH']}", "WORKSPACE": str(ws)}
    start = time.monotonic()
    proc = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=1200)
    _log(f"documented docker run recipe: exit {proc.returncode} in {time.monotonic() - start:.1f} s")
    check_ok(proc, "the docker run recipe of docs/containers.md")
    assert list((ws / "plots").glob("*.png")) and (ws / "plots" / "report.html").is_file()
    # The same image, data and baselines as the mlcube run: the same results, byte for byte, except the
    # seconds each debugging baseline measured (its time files and valuation_time_s, and so the name of
    # the content-hashed .set-<hash> folder): the debugging results.yaml is equal with those set aside.
    def listing(folder: Path) -> list[str]:
        return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".set-"))

    def without_times(path: Path) -> dict:
        data = yaml.safe_load(path.read_bytes())
        for submission in data["submissions"].values():
            for entry in submission["data_ids"].values():
                entry.pop("valuation_time_s", None)
        return data

    for kind in ("selection", "debugging"):
        ours, theirs = ws / "results" / kind, cube.workspace / "results" / kind
        assert listing(ours) == listing(theirs), kind
        for path in ours.iterdir():
            if not path.is_file():  # .current and .set-<hash> are folders; the files are read through the links
                continue
            if (kind, path.name) == ("debugging", "results.yaml"):
                assert without_times(path) == without_times(theirs / path.name), f"{kind}/{path.name}"
            else:
                assert path.read_bytes() == (theirs / path.name).read_bytes(), f"{kind}/{path.name}"


def test_the_docs_name_the_python_ci_builds_on(podman: Podman) -> None:
    """docs/containers.md "Which Python the image runs" states the stand-in's CPython version exactly."""
    proc = subprocess.run([podman.executable, "run", "--rm", "--network=none", BASE_IMAGE, "python", "-c",
                           "import platform; print(platform.python_version())"],
                          env=podman.env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    version = proc.stdout.strip()
    label = subprocess.run([podman.executable, "image", "inspect", "--format",
                            '{{ index .Labels "org.dataperf.ci.stand-in" }}', BASE_IMAGE],
                           env=podman.env, capture_output=True, text=True).stdout.strip()
    section = " ".join(docs_section("## Which Python the image runs").split())
    assert version.startswith("3.11."), version
    if label:  # our debootstrap stand-in (a pulled python:3.11-slim carries no such label)
        assert f"**Debian bookworm's {version}**" in section, version


def test_methods_from_a_file_and_an_installed_package_run_in_the_container(podman: Podman, cube: CubeRun,
                                                                          tmp_path: Path) -> None:
    """docs/methods.md's example file and a package installed into methods/ (a .dist-info with entry
    points, as `pip install --target` leaves it) run through `mlcube run --task=select,debug` with the
    methods folder mounted read-only, and are scored beside the baselines."""
    require_ok(cube)
    from test_methods import write_entry_point_package

    ws = new_workspace(tmp_path / "workspace")
    shutil.copytree(cube.workspace / "data", ws / "data", dirs_exist_ok=True)
    raw = yaml.safe_load((ROOT / "examples" / "my_method" / "parameters.yaml").read_text())
    raw["selection"]["methods"] += ["ep_select"]
    raw["debugging"]["methods"] += ["ep_debug"]
    (ws / "parameters.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    shutil.copy(ROOT / "examples" / "my_method" / "my_method.py", ws / "methods")
    write_entry_point_package(ws / "methods")
    chown_tree(ws)
    proc = mlcube_run(podman, ws, ["select", "debug", "evaluate_selection", "evaluate_debugging"], "--network=none")
    check_ok(proc, "mlcube run --task=select,debug,evaluate_selection,evaluate_debugging")
    assert [line for line in proc.stdout.splitlines() if line.startswith("ERROR ")] == [], tail(proc)
    runs = [line for line in proc.stdout.splitlines() if "Command=" in line and " run " in line]
    for line in runs[:2]:  # select and debug: the methods folder is an input, mounted read-only
        mount = re.search(r"--methods_path=(/mlcube_io\d+)", line).group(1)
        assert re.search(rf"--volume \S+?:{mount}:ro\b", line), line
    selection = yaml.safe_load((ws / "results" / "selection" / "results.yaml").read_text())["submissions"]
    debugging = yaml.safe_load((ws / "results" / "debugging" / "results.yaml").read_text())["submissions"]
    for name in ("closest_to_examples", "ep_select", "baseline_propagation"):
        assert selection[name]["valid"], name
    for name in ("label_disagreement", "ep_debug", "baseline_knn_shapley"):
        assert debugging[name]["valid"], name
    # the same orders as the local CLI writes (the methods are deterministic; times are measured)
    local = local_cli("debug", f"--data_path={ws / 'data'}", f"--parameters_file={ws / 'parameters.yaml'}",
                      f"--methods_path={ws / 'methods'}", f"--submission_path={tmp_path / 'local'}")
    assert local.returncode == 0, local.stderr[-3000:]
    for path in (tmp_path / "local").iterdir():
        if not path.name.startswith("time_"):
            assert path.read_bytes() == (ws / "submissions" / "debugging" / path.name).read_bytes(), path.name


# --------------------------------------------------------------------------- MedPerf's door: container_config.yaml
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))
import image as image_tag  # noqa: E402
import medperf_runner  # noqa: E402

CONTAINER_CONFIG = ROOT / "container_config.yaml"


@dataclass
class MedperfImage:
    image_id: str  # what container_config.yaml's tag pointed to right after our build
    labels: dict[str, str]


@pytest.fixture(scope="module")
def medperf_image(podman: Podman, tmp_path_factory: pytest.TempPathFactory) -> MedperfImage:
    """The image container_config.yaml names, built from this checkout with its OCI labels.

    The tests run it by the ID the build reports, so that another build retagging the shared
    tag meanwhile (other checkouts on the same machine) cannot swap the image under them.
    """
    tag = medperf_runner.load_config(CONTAINER_CONFIG)["image"]
    iidfile = tmp_path_factory.mktemp("medperf-image") / "iid"
    start = time.monotonic()
    proc = subprocess.run([podman.executable, "build", "-t", tag, *image_tag.build_args(), "--iidfile", str(iidfile),
                           str(ROOT)], env=podman.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1800)
    _log(f"podman build -t {tag} (labelled): exit {proc.returncode} in {time.monotonic() - start:.1f} s")
    check_ok(proc, f"podman build -t {tag}")
    image_id = iidfile.read_text().strip()
    inspect = subprocess.run([podman.executable, "image", "inspect", "--format", "{{json .Labels}}", image_id],
                             env=podman.env, capture_output=True, text=True, check=True)
    return MedperfImage(image_id, json.loads(inspect.stdout) or {})


@dataclass
class MedperfRun:
    proc: subprocess.CompletedProcess
    command: list[str]
    metrics: Path
    local_outputs: Path
    metrics_inode: int  # of the empty file the runner created, as MedPerf does, before the run


def medperf_evaluate(podman: Podman, built: MedperfImage, predictions: Path, labels: Path, parameters: Path,
                     out: Path, environment: dict[str, str] | None = None) -> MedperfRun:
    """container_config.yaml's `evaluate`, started as MedPerf's docker runner starts it (tests/medperf_runner.py)."""
    config = {**medperf_runner.load_config(CONTAINER_CONFIG), "image": built.image_id}
    mounts = {"predictions": predictions, "labels": labels, "parameters_file": parameters,
              "output_path": out / "results" / "results.yaml", "local_outputs_path": out / "local_outputs"}
    command = medperf_runner.run_command(config, "evaluate", mounts, out / "tmp", engine=podman.executable,
                                         user=(UID, GID), environment=environment)
    inode = mounts["output_path"].stat().st_ino
    start = time.monotonic()
    proc = subprocess.run(command, env=podman.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=1200)
    _log(f"MedPerf-style evaluate: exit {proc.returncode} in {time.monotonic() - start:.1f} s")
    return MedperfRun(proc, command, mounts["output_path"], mounts["local_outputs_path"], inode)


def local_evaluate(predictions: Path, labels: Path, parameters: Path, out: Path) -> subprocess.CompletedProcess:
    out.mkdir(parents=True)
    return local_cli("evaluate", f"--predictions={predictions}", f"--labels={labels}",
                     f"--parameters_file={parameters}", f"--output_path={out / 'results.yaml'}",
                     f"--local_outputs_path={out / 'local_outputs'}")


def snapshot(*folders: Path) -> list[tuple[str, int, int, int]]:
    return [(str(p), p.lstat().st_size, p.lstat().st_mtime_ns, p.lstat().st_mode)
            for folder in folders for p in sorted([folder, *folder.rglob("*")])]


@pytest.fixture(scope="module")
def medperf_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data and example submissions (local download), and one parameters file per benchmark,
    written with yaml.safe_dump as MedPerf writes a container's parameters."""
    ws = tmp_path_factory.mktemp("medperf") / "workspace"
    ws.mkdir()
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws / "parameters.yaml")
    proc = local_cli(f"--workspace={ws}", "download")
    assert proc.returncode == 0, proc.stderr[-3000:]
    raw = yaml.safe_load((ws / "parameters.yaml").read_text())
    for kind in ("selection", "debugging"):
        (ws / f"params-{kind}").mkdir()
        (ws / f"params-{kind}" / "parameters.yaml").write_text(yaml.safe_dump({**raw, "benchmark": kind}))
    return ws


@pytest.mark.parametrize("kind, submission", [("selection", "submissions/selection/random_500"),
                                              ("debugging", "submissions/debugging")])
def test_medperf_evaluate_in_the_container_equals_the_local_cli(podman: Podman, medperf_image: MedperfImage,
                                                                medperf_workspace: Path, tmp_path: Path,
                                                                kind: str, submission: str) -> None:
    """MedPerf's way: non-root, --network none, inputs :ro, the metrics file bind-mounted; the same bytes as locally."""
    ws = medperf_workspace
    predictions, labels, parameters = ws / submission, ws / "data", ws / f"params-{kind}" / "parameters.yaml"
    before = snapshot(predictions, labels, parameters.parent)
    run = medperf_evaluate(podman, medperf_image, predictions, labels, parameters, tmp_path / "medperf")
    check_ok(run.proc, f"MedPerf-style evaluate ({kind})")
    command = " ".join(run.command)
    assert f" -u {UID}:{GID} " in command and " --network none " in command and " --rm " in command
    for host in (predictions, labels, parameters):
        assert f" {host}:/mlcommons/volumes/" in command and re.search(rf" {re.escape(str(host))}:\S+:ro ", command)
    assert snapshot(predictions, labels, parameters.parent) == before, "an input changed"
    assert "ERROR" not in run.proc.stdout and "wrote /mlcommons/volumes/results/results.yaml" in run.proc.stdout
    # the metrics file MedPerf created (empty, as the caller) was rewritten in place by the container user
    assert (run.metrics.stat().st_uid, run.metrics.stat().st_gid) == (UID, GID)
    assert run.metrics.stat().st_ino == run.metrics_inode  # a bind-mounted file cannot be renamed over
    local = local_evaluate(predictions, labels, parameters, tmp_path / "local")
    assert local.returncode == 0, local.stderr[-3000:]
    assert run.metrics.read_bytes() == (tmp_path / "local" / "results.yaml").read_bytes()
    flat = yaml.safe_load(run.metrics.read_text())
    assert flat["valid"] is True and flat["benchmark"] == f"dataperf-vision-{kind}"
    files = ["results.yaml"] + (["curves.csv"] if kind == "debugging" else [])
    for name in files:
        assert (run.local_outputs / name).read_bytes() == (tmp_path / "local" / "local_outputs" / name).read_bytes()
    owners = {(p.lstat().st_uid, p.lstat().st_gid) for p in [run.local_outputs, *run.local_outputs.rglob("*")]}
    assert owners == {(UID, GID)}


def test_medperf_evaluate_invalid_submission(podman: Podman, medperf_image: MedperfImage, medperf_workspace: Path,
                                             tmp_path: Path) -> None:
    """valid: false with the reason, one ERROR line, exit 0 (MedPerf keeps the result); strict: exit 1."""
    ws = medperf_workspace
    predictions = tmp_path / "predictions"
    shutil.copytree(ws / "submissions" / "selection" / "random_500", predictions)
    lines = (predictions / "Three.csv").read_text().splitlines()
    lines[1] = f"{lines[1].split(',')[0]},7"
    (predictions / "Three.csv").write_text("\n".join(lines) + "\n")
    parameters = ws / "params-selection" / "parameters.yaml"
    message = "Three.csv:2: Confidence '7' is not 0 or 1"
    run = medperf_evaluate(podman, medperf_image, predictions, ws / "data", parameters, tmp_path / "medperf")
    check_ok(run.proc, "MedPerf-style evaluate of an invalid submission")
    assert [line for line in run.proc.stdout.splitlines() if line.startswith("ERROR")] == [f"ERROR {message}"]
    flat = yaml.safe_load(run.metrics.read_text())
    assert flat["valid"] is False and flat["error"] == message and flat["mean_f1"] is None
    local = local_evaluate(predictions, ws / "data", parameters, tmp_path / "local")
    assert local.returncode == 0, local.stderr[-3000:]
    assert run.metrics.read_bytes() == (tmp_path / "local" / "results.yaml").read_bytes()
    strict = medperf_evaluate(podman, medperf_image, predictions, ws / "data", parameters, tmp_path / "strict",
                              environment={"DATAPERF_STRICT": "1"})
    assert strict.proc.returncode == 1, tail(strict.proc)
    assert strict.metrics.read_bytes() == run.metrics.read_bytes()


def test_medperf_image_carries_its_oci_labels(medperf_image: MedperfImage) -> None:
    from benchmark import __version__

    labels = medperf_image.labels
    assert labels.get("org.opencontainers.image.version") == __version__
    revision = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
    assert labels.get("org.opencontainers.image.revision", "").startswith(revision)
    assert "org.opencontainers.image.source" in labels
