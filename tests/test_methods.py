"""The method API, the registry and the select/debug tasks, on the demo workspace.

The built-ins through the harness write exactly the bytes their algorithms give (computed here
from the pure functions, as the baselines wrote them before the API); methods from files, modules
and entry points run; a raising, a slow, a crashing and an invalid method each get one line and
no submission while the others are written.
"""
from __future__ import annotations

import shutil
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import ROOT, download_demo, run_cli

from benchmark.formats.parameters import load_parameters
from benchmark.formats.resources import CandidatePool
from benchmark.methods import (confident_learning, data_oob, influence, knn_shapley, label_noise, registry, semivalues,
                               tmc_shapley)
from benchmark.methods import debugging as dbg
from benchmark.methods import selection as sel


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return download_demo(tmp_path_factory.mktemp("methods") / "workspace")


def workspace_with(demo: Path, tmp_path: Path, selection: list[str] | None = None,
                   debugging: list[str] | None = None, timeout: float | None = None,
                   max_train_size: int | None = None) -> Path:
    """A workspace sharing the demo's data, with these methods named in its parameters.yaml."""
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "data").symlink_to(demo / "data")
    raw = yaml.safe_load((demo / "parameters.yaml").read_text())
    for section, methods in (("selection", selection), ("debugging", debugging)):
        if methods is not None:
            raw[section]["methods"] = methods
        if timeout is not None:
            raw[section]["method_timeout_s"] = timeout
    if max_train_size is not None:
        raw["selection"]["max_train_size"] = max_train_size
    (ws / "parameters.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    (ws / "methods").mkdir()
    return ws


def cli(ws: Path, task: str, *extra: str) -> int:
    return run_cli(f"--workspace={ws}", task, *extra)


def logged(caplog, level: str) -> list[str]:
    """The log lines of a level, as they appear on stderr."""
    return [f"{r.levelname} {r.getMessage()}" for r in caplog.records if r.levelname == level]


# --------------------------------------------------------------------------- the built-ins, byte for byte
def expected_training_sets(params, data_root: Path) -> dict[str, dict[str, str]]:
    """{baseline: {task: CSV text}} from the pure algorithms, written as the baselines wrote them."""
    examples = sel.read_task_examples(params, data_root)
    pool = CandidatePool(data_root / "selection" / params.selection.pool)
    rows, sample_ids, sample_X = sel.gather(pool, examples)
    out: dict[str, dict[str, str]] = {}
    for method, build in sel.builders(params, rows, sample_ids, sample_X, sel.raw_rows_of(pool)):
        for task, task_rows in rows.items():
            sub = sel.cap(build(task_rows, sample_ids, sample_X), params.selection.max_train_size)
            order = sorted(range(len(sub.ids)), key=lambda i: str(sub.ids[i]))
            out.setdefault(method, {})[task] = "ImageID,Confidence\n" + "".join(
                f"{sub.ids[i]},{int(sub.labels[i])}\n" for i in order)
    return out


def expected_orders(params, data_root: Path) -> dict[str, str]:
    """{file name: text} of every debugging baseline's order, from the pure algorithms."""
    out = {}
    budgets, classifier = params.debugging.baselines, params.debugging.classifier
    for data_id, part in dbg.load_participant_data(params, data_root).items():
        X, y, val = part.train.X, part.train.y, part.val
        seed = [0, zlib.crc32(data_id.encode())]
        probabilities = label_noise.cross_validated_probabilities(X, y, seed=seed[1] % 2**31, classifier=classifier,
                                                                  val_X=val.X, val_y=val.y)
        orders = {
            dbg.RANDOM: np.random.default_rng(seed).permutation(len(y)),
            dbg.KNN_SHAPLEY: knn_shapley.knn_shapley_order(X, y, val.X, val.y, knn_shapley.DEFAULT_K),
            dbg.CONFIDENT_LEARNING: confident_learning.confident_learning_order(y, probabilities),
            dbg.LOSS: label_noise.loss_order(y, probabilities),
            dbg.TMC_SHAPLEY: tmc_shapley.tmc_shapley_order(X, y, val.X, val.y, budgets.tmc_permutations,
                                                           budgets.tmc_tolerance, seed, classifier),
            dbg.DATA_OOB: data_oob.data_oob_order(X, y, budgets.oob_bags, seed, classifier),
            dbg.DATA_BANZHAF: semivalues.data_banzhaf_order(X, y, val.X, val.y, np.random.default_rng(seed),
                                                            budgets.banzhaf_samples, classifier),
            dbg.BETA_SHAPLEY: semivalues.beta_shapley_order(X, y, val.X, val.y, np.random.default_rng(seed),
                                                            budgets.beta_permutations, budgets.beta_alpha,
                                                            budgets.beta_beta, budgets.beta_tail, classifier),
            dbg.INFLUENCE: influence.influence_order(X, y, val.X, val.y, classifier),
        }
        for method, order in orders.items():
            out[f"{data_id}_{method}.txt"] = "".join(f"{i}\n" for i in order)
    return out


def test_built_in_methods_through_the_api_write_what_their_algorithms_give(demo, tmp_path, monkeypatch):
    """select_baselines / debug_baselines (and select / debug with the default list) run the built-ins
    through the harness; every file holds exactly the bytes of the algorithm's own result."""
    monkeypatch.setenv("BENCHMARK_PIN_SECONDS", "0.5")
    ws = workspace_with(demo, tmp_path)
    params = load_parameters(ws / "parameters.yaml")
    assert cli(ws, "select_baselines", "--submission_path=" + str(ws / "a")) == 0
    assert cli(ws, "select", "--submission_path=" + str(ws / "b")) == 0  # selection.methods unset: the built-ins
    for method, tasks in expected_training_sets(params, ws / "data").items():
        for folder in ("a", "b"):
            assert sorted(p.name for p in (ws / folder / method).iterdir()) == sorted(f"{t}.csv" for t in tasks)
            for task, text in tasks.items():
                assert (ws / folder / method / f"{task}.csv").read_text() == text, (folder, method, task)
    assert cli(ws, "debug_baselines", "--submission_path=" + str(ws / "d")) == 0
    expected = expected_orders(params, ws / "data")
    written = {p.name: p.read_text() for p in (ws / "d").iterdir()}
    assert {name: text for name, text in written.items() if not name.startswith("time_")} == expected
    assert {name for name in written if name.startswith("time_")} == {f"time_{name}" for name in expected}
    assert all(text == "0.5\n" for name, text in written.items() if name.startswith("time_"))


def test_time_files_hold_the_measured_call(demo, tmp_path):
    """Without the pin, a method that sleeps 0.3 s has a time file of at least 0.3 s (and the others' are
    their own calls)."""
    ws = workspace_with(demo, tmp_path, debugging=["sleepy.py:sleepy", "baseline_random"])
    (ws / "methods" / "sleepy.py").write_text(textwrap.dedent("""
        import time
        def sleepy(problem):
            time.sleep(0.3)
            return list(range(len(problem.train.y)))[::-1]
    """))
    assert cli(ws, "debug") == 0
    for data_id in ("d1v7", "d3v8", "d4v9"):
        seconds = float((ws / "submissions" / "debugging" / f"time_{data_id}_sleepy.txt").read_text())
        assert 0.3 <= seconds < 30
        order = (ws / "submissions" / "debugging" / f"{data_id}_sleepy.txt").read_text().split()
        assert order == [str(i) for i in range(199, -1, -1)]


# --------------------------------------------------------------------------- where methods come from
FILE_METHODS = textwrap.dedent("""
    import numpy as np
    from helper import first_rows   # a module next to the file

    def pick(problem):
        ids, _ = next(problem.pool.batches(64))
        labels = {i: 0 for i in ids[:20]}
        labels.update({i: 1 for i in problem.examples})
        return labels

    def reverse(problem):
        return first_rows(len(problem.train.y))[::-1]
""")


def write_entry_point_package(folder: Path, name: str = "ep-methods") -> None:
    """A tiny installed distribution: a module and a .dist-info naming it in both entry-point groups."""
    (folder / "ep_methods.py").write_text(textwrap.dedent("""
        import numpy as np

        def select(problem):
            ids, _ = next(problem.pool.batches(64))
            return {**{i: 0 for i in ids[-30:]}, **{i: 1 for i in problem.examples}}

        def debug(problem):
            return problem.rng.permutation(len(problem.train.y))
    """))
    info = folder / f"{name.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""
        [dataperf_vision.selection_methods]
        ep_select = ep_methods:select

        [dataperf_vision.debugging_methods]
        ep_debug = ep_methods:debug
    """))


@pytest.mark.parametrize("where", ["methods_folder", "sys_path"])
def test_file_module_and_entry_point_methods_run_through_select_and_debug(demo, tmp_path, monkeypatch, where,
                                                                           capsys, caplog):
    ws = workspace_with(demo, tmp_path, selection=["mine.py:pick", "ep_select", "baseline_random"],
                        debugging=["mine.py:reverse", "helper:first_rows_order", "ep_debug"])
    (ws / "methods" / "mine.py").write_text(FILE_METHODS)
    (ws / "methods" / "helper.py").write_text(
        "import numpy as np\n\ndef first_rows(n):\n    return np.arange(n)\n\n"
        "def first_rows_order(problem):\n    return first_rows(len(problem.train.y))\n")
    if where == "methods_folder":  # as `pip install --target methods/ ...` leaves it
        write_entry_point_package(ws / "methods")
    else:  # an installed package: a .dist-info on sys.path
        site = tmp_path / "site"
        site.mkdir()
        write_entry_point_package(site)
        monkeypatch.syspath_prepend(str(site))
    assert cli(ws, "methods") == 0
    listing = capsys.readouterr().out
    assert "ep_select: entry point of ep-methods 0.1, ep_methods:select" in listing
    assert "ep_debug: entry point of ep-methods 0.1, ep_methods:debug" in listing
    assert "mine.py:pick: pick (file mine.py:pick)" in listing
    assert "helper:first_rows_order: first_rows_order (module helper:first_rows_order)" in listing

    assert cli(ws, "select") == 0
    assert cli(ws, "debug") == 0
    assert logged(caplog, "ERROR") == []
    out = ws / "submissions"
    data_root = ws / "data"
    params = load_parameters(ws / "parameters.yaml")
    examples = sel.read_task_examples(params, data_root)
    first_ids = next(sel.streaming.scan_pool(CandidatePool(data_root / "selection" / params.selection.pool), 64))[0]
    for task, ids in examples.items():
        pick = (out / "selection" / "pick" / f"{task}.csv").read_text().splitlines()
        expected = {**{i: 0 for i in first_ids[:20]}, **{i: 1 for i in ids}}
        assert pick == ["ImageID,Confidence"] + [f"{i},{expected[i]}" for i in sorted(expected)]
        assert (out / "selection" / "ep_select" / f"{task}.csv").is_file()
    for data_id in ("d1v7", "d3v8", "d4v9"):
        n = 200
        assert (out / "debugging" / f"{data_id}_reverse.txt").read_text() == "".join(
            f"{i}\n" for i in range(n - 1, -1, -1))
        assert (out / "debugging" / f"{data_id}_first_rows_order.txt").read_text() == "".join(
            f"{i}\n" for i in range(n))
        rng = np.random.default_rng([0, zlib.crc32(data_id.encode())])
        assert (out / "debugging" / f"{data_id}_ep_debug.txt").read_text() == "".join(
            f"{i}\n" for i in rng.permutation(n))
    assert cli(ws, "evaluate_selection") == 0 and cli(ws, "evaluate_debugging") == 0
    results = yaml.safe_load((ws / "results" / "selection" / "results.yaml").read_text())["submissions"]
    assert results["pick"]["valid"] and results["ep_select"]["valid"] and results["baseline_random"]["valid"]


# --------------------------------------------------------------------------- methods that fail
BAD_SELECTION = textwrap.dedent("""
    import os, time

    def good(problem):
        ids, _ = next(problem.pool.batches(64))
        return {**{i: 0 for i in ids[:10]}, **{i: 1 for i in problem.examples}}

    def raises(problem):
        raise ValueError("no idea what to pick")

    def slow(problem):
        time.sleep(60)

    def crashes(problem):
        os._exit(7)

    def over_budget(problem):
        ids, _ = next(problem.pool.batches(64))
        return {i: int(k % 2) for k, i in enumerate(ids[:problem.max_train_size + 1])}

    def unknown_ids(problem):
        return {"not-an-image": 0, **{i: 1 for i in problem.examples}}

    def bad_label(problem):
        return {i: 2 for i in problem.examples}

    def not_a_mapping(problem):
        return list(problem.examples)
""")

BAD_DEBUGGING = textwrap.dedent("""
    import time
    import numpy as np

    def good(problem):
        return np.arange(len(problem.train.y))

    def raises(problem):
        return 1 / 0

    def slow(problem):
        while True:
            pass

    def not_a_permutation(problem):
        return np.zeros(len(problem.train.y), dtype=int)

    def floats(problem):
        return np.arange(len(problem.train.y)) * 1.0

    def too_short(problem):
        return np.arange(len(problem.train.y) - 1)
""")


def test_failing_selection_methods_get_one_line_each_and_the_others_are_written(demo, tmp_path, caplog):
    names = ["good", "raises", "slow", "crashes", "over_budget", "unknown_ids", "bad_label", "not_a_mapping"]
    ws = workspace_with(demo, tmp_path, selection=[f"bad.py:{n}" for n in names] + ["baseline_nearest"],
                        timeout=2, max_train_size=50)
    (ws / "methods" / "bad.py").write_text(BAD_SELECTION)
    stale = ws / "submissions" / "selection" / "raises"
    stale.mkdir(parents=True)
    (stale / "Three.csv").write_text("ImageID,Confidence\nold,1\n")  # an earlier run's: not to be scored now
    assert cli(ws, "select") == 0
    errors = logged(caplog, "ERROR")
    assert len(errors) == len(names) - 1, errors
    origin = "(file bad.py:{0})"
    expected = {
        "raises": "raised ValueError: no idea what to pick (at bad.py:9) on task Eight; no submission",
        "slow": "timed out after 2 s (method_timeout_s); stopped on task Eight; no submission",
        "crashes": "its process ended without a result (exit code 7) on task Eight; no submission",
        "over_budget": "returned an invalid training set (51 rows, more than selection.max_train_size (50)) for "
                       "task Eight; no submission",
        "unknown_ids": "returned an invalid training set (1 ImageID(s) not in the candidate pool: 'not-an-image') "
                       "for task Eight; no submission",
        "bad_label": "returned an invalid result: label 2 of ImageID",
        "not_a_mapping": "returned an invalid result: expected a mapping ImageID -> label, got list on task Eight; "
                         "no submission",
    }
    for name, tail in expected.items():
        line = [e for e in errors if e.startswith(f"ERROR select: method {name} {origin.format(name)} ")]
        assert len(line) == 1, (name, errors)
        assert tail in line[0], line[0]
    assert "WARNING select: 7 of 9 method(s) failed (above); exit 0 (--strict or DATAPERF_STRICT=1 makes this " \
           "exit 1)" in logged(caplog, "WARNING")
    assert "WARNING removed raises/Three.csv (written by an earlier run)" in logged(caplog, "WARNING")
    written = sorted(p.name for p in (ws / "submissions" / "selection").iterdir())
    assert written == ["baseline_nearest", "good"]  # the stale folder was removed
    assert sorted(p.name for p in (ws / "submissions" / "selection" / "good").iterdir()) == [
        "Eight.csv", "Five.csv", "Three.csv"]
    assert cli(ws, "select", "--strict") == 1


def test_failing_debugging_methods_get_one_line_each_and_the_others_are_written(demo, tmp_path, caplog):
    names = ["good", "raises", "slow", "not_a_permutation", "floats", "too_short"]
    ws = workspace_with(demo, tmp_path, debugging=[f"bad.py:{n}" for n in names] + ["baseline_random"], timeout=2)
    (ws / "methods" / "bad.py").write_text(BAD_DEBUGGING)
    out = ws / "submissions" / "debugging"
    out.mkdir(parents=True)
    (out / "d1v7_raises.txt").write_text("0\n")
    assert cli(ws, "debug") == 0
    errors = logged(caplog, "ERROR")
    assert len(errors) == len(names) - 1, errors
    expected = {
        "raises": "raised ZeroDivisionError: division by zero (at bad.py:9) on data_id d1v7",
        "slow": "timed out after 2 s (method_timeout_s); stopped on data_id d1v7",
        "not_a_permutation": "returned an invalid order (200 indices, not a permutation of the 200 training rows "
                             "(199 row(s) missing)) on data_id d1v7",
        "floats": "returned an invalid result: expected a sequence of integer row indices, got ndarray of float64",
        "too_short": "returned an invalid order (199 indices, not a permutation of the 200 training rows (1 row(s) "
                     "missing)) on data_id d1v7",
    }
    for name, tail in expected.items():
        line = [e for e in errors if e.startswith(f"ERROR debug: method {name} (file bad.py:{name}) ")]
        assert len(line) == 1 and tail in line[0], (name, errors)
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith("time_")) == sorted(
        f"{d}_{m}.txt" for d in ("d1v7", "d3v8", "d4v9") for m in ("good", "baseline_random"))


def test_methods_that_cannot_be_loaded_are_one_line_each(demo, tmp_path, caplog):
    ws = workspace_with(demo, tmp_path, debugging=[
        "baseline_random", "no_such_method", "missing.py:f", "broken.py:f", "ok.py:absent", "ok.py:f", "ok.py:f",
        "ok.py:reference_cheat", "not_a_module_xyz:f", "ok.py:NOT_CALLABLE"])
    (ws / "methods" / "broken.py").write_text("def f(problem)\n    return []\n")
    (ws / "methods" / "ok.py").write_text("import numpy as np\nNOT_CALLABLE = 3\n"
                                          "def f(p):\n    return np.arange(len(p.train.y))\n"
                                          "reference_cheat = f\n")
    assert cli(ws, "debug") == 0
    errors = [e.replace(f"{ws}/", "") for e in logged(caplog, "ERROR")]
    p = "ERROR debug: parameters.yaml: debugging.methods"
    assert errors[0].startswith(f"{p}[1]: no debugging method named 'no_such_method' (known: baseline_random, ")
    assert errors[1] == f"{p}[2]: method file missing.py not found in the methods folder methods_path (methods); " \
                        "no submission"
    assert errors[2].startswith(f"{p}[3]: broken.py:1 cannot be loaded: SyntaxError: ")
    assert errors[3] == f"{p}[4]: ok.py has no function absent; no submission"
    assert errors[4] == f"{p}[6]: a second method named 'f' (debugging.methods[5] is the first); no submission"
    assert errors[5].startswith(f"{p}[7]: 'reference_cheat': names starting with reference_ mark references")
    assert errors[6].startswith(f"{p}[8]: module not_a_module_xyz cannot be imported: ModuleNotFoundError")
    assert errors[7] == f"{p}[9]: file ok.py:NOT_CALLABLE is not a function; no submission"
    assert len(errors) == 8
    written = sorted({p.name.split("_", 1)[1] for p in (ws / "submissions" / "debugging").iterdir()
                      if not p.name.startswith("time_")})
    assert written == ["baseline_random.txt", "f.txt"]


def test_the_registry_names_every_built_in_once():
    assert list(registry.BUILT_IN["selection"]) == list(sel.METHODS)
    assert list(registry.BUILT_IN["debugging"]) == list(dbg.METHODS)
    for kind, table in registry.BUILT_IN.items():
        for name in table:
            assert registry.load(kind, name, None, "x").name == name


def test_the_example_parameters_are_the_demo_parameters_plus_methods():
    """examples/my_method/parameters.yaml may differ from the shipped one only in the method keys."""
    shipped = yaml.safe_load((ROOT / "workspace" / "parameters.yaml").read_text())
    example = yaml.safe_load((ROOT / "examples" / "my_method" / "parameters.yaml").read_text())
    for section in ("selection", "debugging"):
        for key in ("methods", "method_timeout_s"):
            example[section].pop(key)
    assert example == shipped
    assert shutil.which("bash")


def test_a_file_method_without_the_methods_folder_is_one_line(demo, tmp_path, caplog):
    ws = workspace_with(demo, tmp_path, debugging=["mine.py:f", "baseline_random"])
    assert cli(ws, "debug", f"--methods_path={tmp_path / 'absent'}") == 0
    errors = [e.replace(f"{ws}/", "") for e in logged(caplog, "ERROR")]
    assert errors == [f"ERROR debug: parameters.yaml: debugging.methods[0]: mine.py is relative to the methods "
                      f"folder, but methods_path ({tmp_path / 'absent'}) is not a folder; no submission"], errors
    assert (ws / "submissions" / "debugging" / "d1v7_baseline_random.txt").is_file()
