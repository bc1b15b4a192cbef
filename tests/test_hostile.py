"""Hostile and broken inputs (issue 15): one line and a documented exit code, never a traceback.

``BAD_INPUTS`` lists every bad input this suite provokes through the CLI; one test
runs them all and checks that none prints a traceback. The other tests look at
single causes more closely (exact messages, file modes, worker processes, other users).
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT, SelectionData, download_demo, run_cli

from benchmark import cli
from benchmark.errors import excerpt
from benchmark.formats.parameters import load_parameters
from benchmark.sources import layout

PYTHON = sys.executable


# --------------------------------------------------------------------------- workspaces
@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> Path:
    """The demo workspace, downloaded once per module (copied by each case)."""
    return download_demo(tmp_path_factory.mktemp("demo") / "workspace")


def _copy(template: Path, tmp_path: Path) -> Path:
    ws = tmp_path / "workspace"
    shutil.copytree(template, ws, symlinks=True)
    return ws


def _args(ws: Path, task: str, **override: str) -> list[str]:
    bench = {"evaluate_selection": "selection", "evaluate_debugging": "debugging"}[task]
    values = {"data_path": ws / "data", "submission_path": ws / "submissions" / bench,
              "parameters_file": ws / "parameters.yaml", "output_path": ws / "results" / bench}
    values.update(override)
    return [task, *(f"--{k}={v}" for k, v in values.items())]


def _edit_parameters(ws: Path, edit: Callable[[dict], None]) -> None:
    path = ws / "parameters.yaml"
    raw = yaml.safe_load(path.read_text())
    edit(raw)
    path.write_text(yaml.safe_dump(raw))


# --------------------------------------------------------------------------- the cases
# Each case: (name, setup(ws) -> argv, expected exit code, text the one error line must hold)
def _params_text(text: str, task: str = "evaluate_selection") -> Callable[[Path], list[str]]:
    def setup(ws: Path) -> list[str]:
        (ws / "parameters.yaml").write_text(text)
        return _args(ws, task)
    return setup


def _params_edit(edit: Callable[[dict], None], task: str = "evaluate_selection") -> Callable[[Path], list[str]]:
    def setup(ws: Path) -> list[str]:
        _edit_parameters(ws, edit)
        return _args(ws, task)
    return setup


def _parameters_folder(ws: Path) -> list[str]:
    (ws / "parameters.yaml").unlink()
    (ws / "parameters.yaml").mkdir()
    return _args(ws, "evaluate_selection")


def _parameters_fifo(ws: Path) -> list[str]:
    (ws / "parameters.yaml").unlink()
    os.mkfifo(ws / "parameters.yaml")
    return _args(ws, "evaluate_selection")


def _parameters_huge(ws: Path) -> list[str]:
    with open(ws / "parameters.yaml", "ab") as handle:
        handle.truncate(3 << 30)  # a sparse 3 GiB file
    return _args(ws, "evaluate_selection")


def _parameters_binary(ws: Path) -> list[str]:
    (ws / "parameters.yaml").write_bytes(b"selection: \xff\xfe\n")
    return _args(ws, "evaluate_selection")


def _ground_truth(edit: Callable[[list[str]], list[str]]) -> Callable[[Path], list[str]]:
    def setup(ws: Path) -> list[str]:
        path = ws / "data" / "debugging" / "ground_truth" / "dataset_d1v7_train.csv"
        path.write_text("".join(edit(path.read_text().splitlines(keepends=True))))
        return _args(ws, "evaluate_debugging")
    return setup


def _set_line(number: int, text: str) -> Callable[[list[str]], list[str]]:
    def edit(lines: list[str]) -> list[str]:
        lines[number - 1] = text
        return lines
    return edit


def _pool_parquet(ws: Path) -> Path:
    return ws / "data" / "selection" / "embeddings" / "train_emb_256_dataperf.parquet"


def _pool_split(second: Callable[[pa.Table], pa.Table]) -> Callable[[Path], list[str]]:
    """Turn the demo pool into a folder of two part files, the second rewritten by ``second``."""
    def setup(ws: Path) -> list[str]:
        single = _pool_parquet(ws)
        table = pq.read_table(single)
        single.unlink()
        single.mkdir()
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), single / "part-00000.parquet")
        pq.write_table(second(table.slice(half)), single / "part-00001.parquet")
        return _args(ws, "evaluate_selection")
    return setup


def _int_ids(t: pa.Table) -> pa.Table:
    return t.set_column(0, "ImageID", pa.array(np.arange(t.num_rows)))


def _renamed_id(t: pa.Table) -> pa.Table:
    return t.rename_columns(["image_id", "embedding"])


def _float64_embedding(t: pa.Table) -> pa.Table:
    return t.set_column(1, "embedding", t["embedding"].cast(pa.list_(pa.float64())))


def _pool_corrupt_part(ws: Path) -> list[str]:
    argv = _pool_split(lambda t: t)(ws)
    (_pool_parquet(ws) / "part-00001.parquet").write_bytes(b"PAR1 not really")
    return argv


def _pool_nan(ws: Path) -> list[str]:
    table = pq.read_table(_pool_parquet(ws))
    X = np.array(table["embedding"].to_pylist(), dtype=np.float32)
    submitted = (ws / "submissions/selection/random_500/Five.csv").read_text().splitlines()[1].split(",")[0]
    row = table["ImageID"].to_pylist().index(submitted)
    X[row, 3] = np.nan
    layout.write_table(_pool_parquet(ws), layout.selection_table(table["ImageID"].to_pylist(), X))
    return _args(ws, "evaluate_selection")


def _scheduler_unreachable(ws: Path) -> list[str]:
    _edit_parameters(ws, lambda r: r["execution"].update(scheduler="tcp://127.0.0.1:9", connect_timeout_s=1))
    return _args(ws, "evaluate_debugging")


SECRET = "root:x:0:0:secret-line-that-must-not-leak"


def _secret_file(ws: Path) -> Path:
    path = ws.parent / "secret.txt"
    path.write_text(SECRET + "\n")
    return path


def _submission_file(rel: str, make: Callable[[Path, Path], None], task: str) -> Callable[[Path], list[str]]:
    """Replace the submission file ``rel`` (under submissions/) by what ``make(path, ws)`` puts there."""
    def setup(ws: Path) -> list[str]:
        path = ws / "submissions" / rel
        path.unlink()
        make(path, ws)
        return _args(ws, task)
    return setup


def _link_to_secret(path: Path, ws: Path) -> None:
    path.symlink_to(_secret_file(ws))


def _fifo(path: Path, ws: Path) -> None:
    os.mkfifo(path)


def _sparse(size: int) -> Callable[[Path, Path], None]:
    def make(path: Path, ws: Path) -> None:
        with open(path, "wb") as handle:
            handle.write(b"ImageID,Confidence\n")
            handle.truncate(size)
    return make


def _text(text: str) -> Callable[[Path, Path], None]:
    def make(path: Path, ws: Path) -> None:
        path.write_text(text)
    return make


def _output(kind: str) -> Callable[[Path], list[str]]:
    def setup(ws: Path) -> list[str]:
        out = ws / "results" / "selection"
        if kind == "file":
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text("not a folder")
        elif kind == "results folder":
            (out / "results.yaml").mkdir(parents=True)
        elif kind == "inside submissions":
            out = ws / "submissions" / "selection" / "results"
        return _args(ws, "evaluate_selection", output_path=str(out))
    return setup


FIVE, D1V7 = "selection/random_500/Five.csv", "debugging/d1v7_random.txt"

BAD_INPUTS: list[tuple[str, Callable[[Path], list[str]], int, str]] = [
    ("training set linked outside", _submission_file(FIVE, _link_to_secret, "evaluate_selection"), 1,
     "Five.csv: training set file is a symbolic link leading outside the submission folder; refused"),
    ("ordering linked outside", _submission_file(D1V7, _link_to_secret, "evaluate_debugging"), 1,
     "d1v7_random.txt: ordering file is a symbolic link leading outside the submission folder; refused"),
    ("time file linked outside", _submission_file("debugging/time_d1v7_random.txt", _link_to_secret,
                                                  "evaluate_debugging"), 1,
     "time_d1v7_random.txt: time file is a symbolic link leading outside the submission folder; refused"),
    ("training set is a fifo", _submission_file(FIVE, _fifo, "evaluate_selection"), 1,
     "Five.csv: training set file is a FIFO, expected a regular file; refused"),
    ("training set is huge", _submission_file(FIVE, _sparse(3 << 30), "evaluate_selection"), 1,
     "Five.csv: training set file is 3221225472 bytes, more than the 1025024 its format allows"),
    ("ordering is huge", _submission_file(D1V7, _sparse(200 << 20), "evaluate_debugging"), 1,
     "d1v7_random.txt: ordering file is 209715200 bytes, more than the 16896 its format allows"),
    ("index of 5000 digits", _submission_file(D1V7, _text("3\n" + "7" * 5000 + "\n"), "evaluate_debugging"), 1,
     "d1v7_random.txt:2: index of 5000 digits is out of range: the training set has 200 rows"),
    ("long bad token", _submission_file(D1V7, _text("3\n" + "x" * 5000 + "\n"), "evaluate_debugging"), 1,
     "d1v7_random.txt:2: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'… (5000 chars) is not a non-negative integer index"),
    ("unterminated quote in a training set", _submission_file(
        FIVE, _text("ImageID,Confidence\na,1\nb,0\nc,1\n\"d,1\n" + "e,0\n" * 500), "evaluate_selection"), 1,
     "Five.csv:5: a quote opened in this record never closes"),
    ("output folder is a file", _output("file"), 2, "selection: output path exists and is not a folder"),
    ("results.yaml is a folder", _output("results folder"), 2,
     "results.yaml: results.yaml is a folder; move it away or choose another output folder"),
    ("output inside the submissions", _output("inside submissions"), 2,
     "output folder is inside the submission folder"),
    ("duplicate key", _params_text("selection:\n  max_train_size: 5\n  max_train_size: 3\n"), 2,
     "parameters.yaml:3: invalid YAML: duplicate key 'max_train_size' on lines 2 and 3"),
    ("deep nesting", _params_text("selection: " + "[" * 5000 + "]" * 5000 + "\n"), 2,
     "parameters.yaml:1: invalid YAML: nested more than 32 levels deep"),
    ("alias bomb", _params_text("a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n" for p, c in zip("abcdef", "bcdefg"))), 2,
     "more than 100000 values once aliases are expanded"),
    ("self alias", _params_text("selection: &s [*s]\n"), 2, "an alias refers to its own anchor"),
    ("merge key", _params_text("x: &x {pool: a}\nselection:\n  <<: *x\n"), 2, "merge keys (<<) are not supported"),
    ("l1 with lbfgs", _params_edit(lambda r: r["selection"].update(classifier={"penalty": "l1"})), 2,
     "selection.classifier: Solver lbfgs supports only 'l2' or None penalties, got l1 penalty."),
    ("elasticnet with liblinear", _params_edit(lambda r: r["debugging"].update(
        classifier={"penalty": "elasticnet", "solver": "liblinear", "l1_ratio": 0.5}), "evaluate_debugging"), 2,
     "debugging.classifier: Only 'saga' solver supports elasticnet penalty"),
    ("dual with lbfgs", _params_edit(lambda r: r["debugging"].update(classifier={"dual": True})), 2,
     "debugging.classifier: Solver lbfgs supports only dual=False"),
    ("scheduler not a url", _params_edit(lambda r: r["execution"].update(scheduler="not a url")), 2,
     "execution.scheduler: expected a Dask scheduler address such as tcp://scheduler:8786"),
    ("scheduler without port", _params_edit(lambda r: r["execution"].update(scheduler="tcp://host")), 2,
     "execution.scheduler: expected a Dask scheduler address"),
    ("scheduler unreachable", _scheduler_unreachable, 2, "cannot reach the Dask scheduler at tcp://127.0.0.1:9"),
    ("dpi", _params_edit(lambda r: r["plot"].update(dpi=5)), 2, "plot.dpi must be between 50 and 600"),
    ("parameters is a folder", _parameters_folder, 2, "parameters.yaml: not a file"),
    ("parameters is a fifo", _parameters_fifo, 2, "parameters.yaml: not a file"),
    ("parameters is huge", _parameters_huge, 2, "parameters.yaml: parameters file is larger than 1048576 bytes"),
    ("parameters not utf-8", _parameters_binary, 2, "parameters.yaml: parameters file is not UTF-8 text"),
    ("pool part with int64 ImageID", _pool_split(_int_ids), 2,
     "part-00001.parquet: candidate pool part: column 'ImageID' must hold strings, found int64"),
    ("pool part with another column", _pool_split(_renamed_id), 2,
     "part-00001.parquet: candidate pool part lacks column(s) ImageID (has: 'image_id, embedding')"),
    ("pool part with float64", _pool_split(_float64_embedding), 2,
     "part-00001.parquet: candidate pool part has ImageID string and embedding list<double>, "
     "but part-00000.parquet has string and list<float>; every part must share one schema"),
    ("pool part corrupt", _pool_corrupt_part, 2, "part-00001.parquet: candidate pool part is not readable parquet"),
    ("pool NaN", _pool_nan, 2, "column 'embedding': ImageID '"),
    ("ground truth label", _ground_truth(_set_line(3, "x,7\n")), 2,
     "dataset_d1v7_train.csv:3: column 'hv_label' has label '7', expected 0 or 1"),
    ("ground truth huge label", _ground_truth(_set_line(4, "x," + "9" * 4000 + "\n")), 2,
     "dataset_d1v7_train.csv:4: column 'hv_label' has label '99999999999999999999999999999999'… (4000 chars)"),
    ("ground truth unterminated quote", _ground_truth(_set_line(5, '"abc,1\n')), 2,
     "dataset_d1v7_train.csv:5: ground truth: a quote opened in this record never closes"),
    ("ground truth long line", _ground_truth(_set_line(6, "y" * 70000 + ",1\n")), 2,
     "dataset_d1v7_train.csv:6: ground truth: line is longer than 65536 characters"),
    ("ground truth field count", _ground_truth(_set_line(7, "a,1,2\n")), 2,
     "dataset_d1v7_train.csv:7: ground truth: 3 field(s) where the header has 2"),
]


def test_no_bad_input_prints_a_traceback(demo_template, tmp_path, capfd, caplog):
    """Every bad input above, through the CLI: its exit code, one error line holding the expected text."""
    failures = []
    for k, (name, setup, code, text) in enumerate(BAD_INPUTS):
        argv = setup(_copy(demo_template, tmp_path / f"case{k}"))
        if code == 1:  # an invalid submission: exit 1 only in strict mode (exit 0 once results are written)
            argv = [*argv, "--strict"]
        caplog.clear()
        rc = cli.main(argv)
        out, err = capfd.readouterr()
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        problems = []
        if rc != code:
            problems.append(f"exit {rc}, expected {code}")
        if "Traceback" in out + err + caplog.text:
            problems.append("traceback")
        if len(errors) != 1 or "\n" in errors[0] or text not in errors[0]:
            problems.append(f"errors {errors!r}")
        results = Path(next(a for a in argv if a.startswith("--output_path=")).split("=", 1)[1]) / "results.yaml"
        if results.is_file() and SECRET.split(":")[-1] in results.read_text():
            problems.append("the linked file's content leaked into results.yaml")
        if problems:
            failures.append(f"{name}: {'; '.join(problems)}")
    assert not failures, "\n".join(failures)


# --------------------------------------------------------------------------- strict YAML, closer
def test_keys_stay_the_strings_written(tmp_path):
    path = tmp_path / "parameters.yaml"
    path.write_text("selection:\n  tasks:\n    No: {test_set: a.parquet}\n    0123: {test_set: b.parquet}\n"
                    "debugging:\n  data_ids:\n    0123: {train: a, test: b, ground_truth: c}\n"
                    "    yes: {train: a, test: b, ground_truth: c}\n")
    params = load_parameters(path)
    assert sorted(params.selection.tasks) == ["0123", "No"]
    assert sorted(params.debugging.data_ids) == ["0123", "yes"]


def test_values_keep_their_types_and_anchors_still_work(tmp_path):
    path = tmp_path / "parameters.yaml"
    path.write_text("selection:\n  classifier: &c {C: 0.5, max_iter: 200}\n"
                    "debugging:\n  classifier: *c\nexecution: {n_jobs: 1, scheduler: null}\n")
    params = load_parameters(path)
    assert params.selection.classifier == {"C": 0.5, "max_iter": 200} == params.debugging.classifier
    assert params.execution.scheduler is None


@pytest.mark.parametrize("settings", [{"solver": "saga", "penalty": "elasticnet", "l1_ratio": 0.5},
                                      {"solver": "liblinear", "penalty": "l1"}, {"C": 0.1}])
def test_valid_classifier_combinations_pass(settings):
    from benchmark.scoring.classifier import check_classifier_settings

    assert check_classifier_settings(settings) is None


def test_excerpt_is_short_and_printable():
    assert excerpt("abc") == "'abc'"
    assert excerpt("a\x1b[2Jb") == "'a\\u001b[2Jb'"  # escaped one-to-one (issue 30), no longer '?'
    assert excerpt("z" * 100) == "'" + "z" * 32 + "'… (100 chars)"
    assert excerpt(10 ** 5000) == "a number too long to show"
    assert excerpt(np.int64(2)) == "2"


# --------------------------------------------------------------------------- resources, closer
def test_pool_part_problems_name_the_part_and_image_id(tmp_path):
    from benchmark.errors import ResourceError
    from benchmark.formats.resources import CandidatePool

    data = SelectionData(tmp_path)
    pool = tmp_path / "data" / "selection" / "embeddings" / "pool.parquet"
    part = pool / "part-00002.parquet"
    table = pq.read_table(part)
    X = np.array(table["embedding"].to_pylist(), dtype=np.float32)
    X[4, 1] = np.inf
    ids = table["ImageID"].to_pylist()
    layout.write_table(part, layout.selection_table(ids, X))
    with pytest.raises(ResourceError) as info:
        CandidatePool(pool).lookup(list(data.ids[:10]) + [ids[4]])
    assert info.value.message == (f"{pool}: column 'embedding': ImageID '{ids[4]}' (in part-00002.parquet) "
                                  "has NaN or infinite values")
    layout.write_table(part, layout.selection_table(ids[:3] + [ids[0]], X[:4]))
    with pytest.raises(ResourceError, match=f"ImageID '{ids[0]}' more than once \\(in part-00002.parquet\\)"):
        CandidatePool(pool).lookup([ids[0]])


def test_ground_truth_duplicate_names_both_lines(tmp_path):
    from benchmark.errors import ResourceError
    from benchmark.formats.resources import read_ground_truth

    path = tmp_path / "gt.csv"
    path.write_text("ImageID,hv_label\n\na,1\nb,0\n\"a\",0\n")
    with pytest.raises(ResourceError) as info:
        read_ground_truth(path, np.array(["a", "b"], dtype=object))
    assert info.value.message == f"{path}:5: ground truth lists ImageID 'a' again (first on line 3)"


# --------------------------------------------------------------------------- files others can read
def test_download_writes_files_others_can_read(tmp_path):
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copy(ROOT / "workspace" / "parameters.yaml", ws)
    old = os.umask(0o022)
    try:
        assert run_cli("download", f"--parameters_file={ws}/parameters.yaml", f"--output_path={ws}/data",
                       f"--submission_path={ws}/submissions") == 0
    finally:
        os.umask(old)
    modes = {p.relative_to(ws).as_posix(): stat.S_IMODE(p.stat().st_mode)
             for p in [*(ws / "data").rglob("*"), *(ws / "submissions").rglob("*")]}
    assert any(name.endswith(".parquet") for name in modes)
    wrong = {name: oct(mode) for name, mode in modes.items()
             if mode != (0o755 if (ws / name).is_dir() else 0o644)}
    assert not wrong


# --------------------------------------------------------------------------- the last resort
def test_an_unexpected_exception_is_one_line_and_a_log_file(monkeypatch, tmp_path, caplog, capfd):
    from benchmark import tasks

    def broken(**kwargs) -> int:
        return {}["a bug"]

    task = tasks.TASKS["plot"]
    monkeypatch.setitem(tasks.TASKS, "plot", tasks.Task(task.name, task.help, task.params, broken))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    rc = cli.main(["plot", f"--results_path={tmp_path}"])
    assert rc == cli.EXIT_INTERNAL_ERROR == 3
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert line.startswith("plot: unexpected internal error KeyError: 'a bug' (full traceback in ")
    (log_file,) = tmp_path.glob("benchmark-plot-*.log")
    assert str(log_file) in line
    text = log_file.read_text()
    assert text.startswith("Traceback (most recent call last):") and "KeyError: 'a bug'" in text
    assert "Traceback" not in capfd.readouterr().err


# --------------------------------------------------------------------------- worker processes
def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.add(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_workers_stop_with_the_run(demo_template, tmp_path, signum):
    """With n_jobs: 2, stopping the run (SIGTERM) or killing it (SIGKILL) leaves no worker behind."""
    ws = _copy(demo_template, tmp_path)
    _edit_parameters(ws, lambda r: (r["execution"].update(n_jobs=2),
                                    r["debugging"]["classifier"].update(solver="saga")))
    for i in range(6):  # enough work to still be running when the signal comes
        order = np.random.default_rng(i).permutation(200)
        for data_id in ("d1v7", "d3v8", "d4v9"):
            (ws / "submissions" / "debugging" / f"{data_id}_r{i}.txt").write_text("\n".join(map(str, order)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([PYTHON, "-m", "benchmark", *_args(ws, "evaluate_debugging")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        workers: set[int] = set()
        deadline = time.monotonic() + 120
        while len(workers) < 3 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            workers = _children(proc.pid)
        assert len(workers) >= 3, "the workers never started"  # 2 workers and a resource tracker
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == -signum if signum == signal.SIGKILL else proc.returncode == 128 + signum
        deadline = time.monotonic() + 10
        while _alive(workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(workers)
        if signum == signal.SIGTERM:
            assert "Traceback" not in err and "ERROR stopped by SIGTERM" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# --------------------------------------------------------------------------- other users
def _as_other_user() -> list[str] | None:
    """A command prefix running as an unprivileged throwaway uid, or None when impossible."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        return None
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def shared_dir():
    """A folder every user can traverse (pytest's own tmp_path is private to its user)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="hostile-"))
    base.chmod(0o755)
    yield base
    shutil.rmtree(base, ignore_errors=True)


def _workspace_for_another_user(demo_template: Path, base: Path) -> tuple[list[str], Path]:
    """(command prefix running as a throwaway uid, a copy of the demo workspace that uid can read)."""
    prefix = _as_other_user()
    if prefix is None:
        pytest.skip("running as root without setpriv: cannot drop to another uid")
    ws = _copy(demo_template, base)
    for path in [ws, *ws.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return prefix, ws


def test_unreadable_parameters_file_as_another_user(demo_template, shared_dir):
    base = shared_dir
    prefix, ws = _workspace_for_another_user(demo_template, base)
    (ws / "parameters.yaml").chmod(0o000)
    (ws / "results" / "selection").mkdir(parents=True, mode=0o777)  # writable: the parameters file is the problem
    (ws / "results" / "selection").chmod(0o777)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(base)}
    done = subprocess.run([*prefix, PYTHON, "-m", "benchmark", *_args(ws, "evaluate_selection")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines == [f"ERROR {ws}/parameters.yaml: cannot read the parameters file (Permission denied)"]


def test_unreadable_inputs_and_unwritable_output_as_another_user(demo_template, shared_dir):
    """PermissionError anywhere is one line: a submission file (that submission invalid), an output folder (exit 2)."""
    base = shared_dir
    prefix, ws = _workspace_for_another_user(demo_template, base)
    (ws / "results").mkdir(mode=0o777)
    (ws / "results").chmod(0o777)
    five = ws / "submissions" / FIVE
    five.chmod(0o000)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HOME": str(base)}
    done = subprocess.run([*prefix, PYTHON, "-m", "benchmark", *_args(ws, "evaluate_selection"), "--strict"],
                          capture_output=True, text=True, env=env, timeout=300)
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR")]
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    # relative to submission_path
    assert errors == [f"ERROR {five.relative_to(ws / 'submissions' / 'selection')}: training set file cannot be read "
                      "(Permission denied)"]
    shutil.rmtree(ws / "results" / "selection")
    (ws / "results").chmod(0o755)  # owned by root: the other user cannot write there
    done = subprocess.run([*prefix, PYTHON, "-m", "benchmark", *_args(ws, "evaluate_selection")],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"ERROR {ws}/results/selection: output_path: cannot create the output folder: its parent "
                           f"{ws}/results is not writable by uid:gid 65534:65534 (owner 0:0, mode 0755)"), line


def test_result_files_change_together(demo_template, tmp_path):
    """results.yaml and curves.csv are links through one switch: a set is replaced as a unit."""
    ws = _copy(demo_template, tmp_path)
    out = ws / "results" / "debugging"
    assert cli.main(_args(ws, "evaluate_debugging")) == 0
    first = {name: (out / name).read_bytes() for name in ("results.yaml", "curves.csv")}
    assert os.readlink(out / "results.yaml") == ".current/results.yaml"
    assert os.readlink(out / "curves.csv") == ".current/curves.csv"
    first_set = os.readlink(out / ".current")
    (ws / "submissions" / "debugging" / "d1v7_random.txt").write_text("0\n1\n2\n")
    assert cli.main(_args(ws, "evaluate_debugging")) == 0
    second_set = os.readlink(out / ".current")
    assert second_set != first_set and not (out / first_set).exists()  # the old set is removed
    assert sorted(p.name for p in (out / second_set).iterdir()) == ["curves.csv", "results.yaml"]
    assert all((out / name).read_bytes() != first[name] for name in first)
    assert sorted(p.name for p in out.iterdir()) == sorted([".current", ".lock", second_set, "curves.csv",
                                                            "results.yaml"])
