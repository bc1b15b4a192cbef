"""The plot task: figures and report.html from generated results files.

The fixtures write results the way the evaluation tasks do (same keys, same
curves.csv layout), with ten submissions, invalid ones, a method without time
files and results holding only invalid submissions, so every figure and every
report table is exercised without running an evaluation.
"""
from __future__ import annotations

import base64
import logging
import math
import re
import struct
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml

from benchmark.cli import main
from benchmark.formats.results import read_results
from benchmark.plotting import figures, inputs, style

ROOT = Path(__file__).resolve().parents[1]
TASKS = ("Cupcake", "Hawk", "Sushi")
DATA_IDS = ("d1v7", "d3v8", "d4v9")
TEN = ("aum", "cleanlab_confident_learning", "datamodels", "influence-functions", "knn_shapley",
       "loss", "margin", "random", "self_confidence", "tracin")
INVALID = "tracin"  # one task / one data_id with an error
NO_TIME = "aum"  # scored, but wrote no time files
XSS = "<script>alert('x')</script> & more"


# --------------------------------------------------------------------------- fixtures
def selection_results(names=TEN, invalid=(INVALID,), only_invalid=False) -> dict:
    rng = np.random.default_rng(1)
    subs = {}
    for name in sorted(names):
        tasks, errors = {}, []
        for t in TASKS:
            if only_invalid or (name in invalid and t == "Hawk"):
                message = f"submissions/selection/{name}/{t}.csv:3: ImageID {XSS!r} not in the pool"
                tasks[t] = {"error": message}
                errors.append(message)
                continue
            p, r = rng.uniform(0.4, 1.0, 2)
            tasks[t] = {"accuracy": float(rng.uniform(0.8, 1)), "precision": float(p), "recall": float(r),
                        "f1": float(2 * p * r / (p + r)), "average_precision": float(rng.uniform(0.5, 1)),
                        "train_size": int(rng.integers(50, 1000)), "train_positives": int(rng.integers(5, 50))}
        valid = not errors
        subs[name] = {"valid": valid,
                      "mean_f1": float(np.mean([tasks[t]["f1"] for t in TASKS])) if valid else None,
                      "errors": errors, "tasks": tasks}
    return {"benchmark": "dataperf-vision-selection", "leaderboard_metric": "mean_f1",
            "settings": {"pool": "embeddings/train_emb_256_dataperf.parquet", "max_train_size": 1000,
                         "classifier": {"name": "LogisticRegression", "random_state": 0},
                         "tasks": {t: {"test_set": f"test_sets/{t}.parquet", "test_size": 500,
                                       "test_positives": 40} for t in TASKS}},
            "submissions": subs}


def debugging_results(names=TEN, invalid=(INVALID,), no_time=(NO_TIME,), only_invalid=False, n=120):
    """(results, curves rows, {time file name: text}) consistent with score_curve's definitions."""
    rng = np.random.default_rng(2)
    summaries = {}
    for i, d in enumerate(DATA_IDS):
        clean = 0.97 - 0.01 * i
        summaries[d] = {"n_train": n, "n_mislabeled": 36, "n_test": 200, "before_acc": 0.80 + 0.02 * i,
                        "clean_acc": clean, "target_acc": 0.95 * clean, "fits": 61}
    subs, rows, times = {}, [], {}
    for k, name in enumerate(sorted(names)):
        per_id, errors = {}, []
        for d in DATA_IDS:
            if only_invalid or (name in invalid and d == "d3v8"):
                message = f"submissions/debugging/{d}_{name}.txt:7: index 999 is out of range 0..{n - 1}"
                per_id[d] = {"error": message}
                errors.append(message)
                continue
            s = summaries[d]
            listed = n if k % 4 else n * 2 // 3  # some orders list only part of the training set
            tau = 8 + 9 * k
            steps = np.arange(listed + 1)
            curve = s["before_acc"] + (s["clean_acc"] - s["before_acc"]) * (1 - np.exp(-steps / tau))
            curve = np.round(np.clip(curve + rng.normal(0, 0.004, listed + 1), 0, 1) * 200) / 200
            curve[0] = s["before_acc"]
            reached = np.flatnonzero(curve >= s["target_acc"])
            fixes = int(reached[0]) if reached.size else None
            seconds = None if name in no_time else float(10 ** rng.uniform(-3, 3)) if k else 0.0
            if seconds is not None:
                times[f"time_{d}_{name}.txt"] = f"{seconds!r}\n"
            per_id[d] = {"score": 1.0 if fixes is None else fixes / n, "fixes_to_target": fixes,
                         "before_acc": s["before_acc"], "clean_acc": s["clean_acc"], "target_acc": s["target_acc"],
                         "auc": float(np.mean(curve)), "precision_at_m": 0.5, "mislabeled_in_first_m": 18,
                         "n_mislabeled": 36, "n_train": n, "n_listed": listed, "valuation_time_s": seconds}
            rows += [(name, d, j, float(a)) for j, a in enumerate(curve)]
        valid = not errors
        subs[name] = {"valid": valid,
                      "mean_score": float(np.mean([per_id[d]["score"] for d in DATA_IDS])) if valid else None,
                      "errors": errors, "data_ids": per_id}
    # A stray file the evaluation could not attribute: invalid, no data_ids at all.
    subs["stray"] = {"valid": False, "mean_score": None, "data_ids": {},
                     "errors": ["submissions/debugging/stray.txt: file name is not <data_id>_<method>.txt"]}
    results = {"benchmark": "dataperf-vision-debugging", "leaderboard_metric": "mean_score",
               "settings": {"target_ratio": 0.95, "classifier": {"name": "LogisticRegression", "tol": 1e-10}},
               "data_ids": summaries, "submissions": dict(sorted(subs.items()))}
    return results, rows, times


def write_workspace(root: Path, selection=True, debugging=True, **kw) -> dict[str, Path]:
    results, subs = root / "results", root / "submissions"
    sel_kw = {k: v for k, v in kw.items() if k in ("names", "invalid", "only_invalid")}
    if selection:
        (results / "selection").mkdir(parents=True)
        (results / "selection" / "results.yaml").write_text(yaml.safe_dump(selection_results(**sel_kw),
                                                                           sort_keys=False))
    if debugging:
        data, rows, times = debugging_results(**kw)
        (results / "debugging").mkdir(parents=True)
        (results / "debugging" / "results.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        lines = ["submission,data_id,fixes,accuracy"] + [f"{m},{d},{j},{a!r}" for m, d, j, a in rows]
        (results / "debugging" / "curves.csv").write_text("\n".join(lines) + "\n")
        (subs / "debugging").mkdir(parents=True)
        for name, text in times.items():
            (subs / "debugging" / name).write_text(text)
    params = root / "parameters.yaml"
    params.write_text("plot:\n  dpi: 60\n")  # small PNGs: fast tests
    return {"results": results, "submissions": subs, "params": params, "out": root / "plots"}


def run_plot(paths: dict[str, Path], out: Path | None = None) -> int:
    return main(["plot", f"--results_path={paths['results']}", f"--submission_path={paths['submissions']}",
                 f"--parameters_file={paths['params']}", f"--output_path={out or paths['out']}"])


@pytest.fixture
def errors():
    """Messages the CLI logs at ERROR (the benchmark logger does not propagate to caplog)."""
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record):
            if record.levelno >= logging.ERROR:
                records.append(record.getMessage())

    handler = Keep()
    logging.getLogger("benchmark").addHandler(handler)
    yield records
    logging.getLogger("benchmark").removeHandler(handler)


# --------------------------------------------------------------------------- HTML reading
class Tables(HTMLParser):
    """Tables by id as lists of rows of (text, attrs); images and <pre> blocks by id."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[tuple[str, dict]]]] = {}
        self.images: list[dict] = []
        self.pre: dict[str, str] = {}
        self.scripts = 0
        self._table = self._cell = self._pre = None
        self._in_head = False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id")
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = ["", attrs]
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "pre":
            self._pre = [attrs.get("id"), ""]
        elif tag == "script":
            self.scripts += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[self._table][-1].append((self._cell[0].strip(), self._cell[1]))
            self._cell = None
        elif tag == "pre" and self._pre:
            self.pre[self._pre[0]] = self._pre[1]
            self._pre = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data
        if self._pre is not None:
            self._pre[1] += data

    def rows(self, table_id: str) -> list[list[str]]:
        """Body rows (the header row dropped) as cell texts."""
        return [[text for text, _ in row] for row in self.tables[table_id][1:]]

    def header(self, table_id: str) -> list[str]:
        return [text for text, _ in self.tables[table_id][0]]


def f4(value) -> str:
    return "—" if value is None else f"{value:.4f}"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def expected_ranking(subs: dict, metric: str, higher: bool) -> list[str]:
    valid = sorted((n for n, s in subs.items() if s["valid"]),
                   key=lambda n: (-subs[n][metric] if higher else subs[n][metric], n))
    return valid + sorted(n for n, s in subs.items() if not s["valid"])


# --------------------------------------------------------------------------- rendering
@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, Path]:
    """Ten submissions (one invalid, one without time files, one stray file), rendered once for reading."""
    paths = write_workspace(tmp_path_factory.mktemp("ten"))
    assert run_plot(paths) == 0
    return paths


def test_ten_submissions_render_every_figure(rendered):
    paths = rendered
    names = sorted(p.name for p in paths["out"].iterdir())
    assert names == sorted(["report.html", "selection_f1.png", "debugging_overview.png",
                            *(f"debugging_{d}.png" for d in DATA_IDS)])
    for png in paths["out"].glob("*.png"):
        width, height = png_size(png.read_bytes())
        assert 400 < width < 2000 and 250 < height < 1000, (png.name, width, height)
        assert b"Software" not in png.read_bytes()[:4096]  # no matplotlib version stamp


def test_report_tables_match_results(rendered):
    paths = rendered
    page = Tables((paths["out"] / "report.html").read_text(encoding="utf-8"))
    sel = yaml.safe_load((paths["results"] / "selection" / "results.yaml").read_text())["submissions"]
    dbg_all = yaml.safe_load((paths["results"] / "debugging" / "results.yaml").read_text())
    dbg = dbg_all["submissions"]

    board = page.rows("selection-leaderboard")
    assert page.header("selection-leaderboard") == ["Rank", "Submission", "Mean F1",
                                                    *(f"{t} F1" for t in TASKS), "Status"]
    assert [row[1] for row in board] == expected_ranking(sel, "mean_f1", higher=True)
    assert board[0][0] == "1" and board[-1][0] == "—" and board[-1][1] == INVALID
    for row in board:
        s = sel[row[1]]
        assert row[2] == ("—" if s["mean_f1"] is None else f4(s["mean_f1"]))
        assert row[3:6] == [f4(s["tasks"][t].get("f1")) for t in TASKS]
        assert row[6] == ("valid" if s["valid"] else "invalid")

    metrics = page.rows("selection-metrics")
    assert len(metrics) == len(sel) * len(TASKS)
    for row in metrics:
        part = sel[row[0]]["tasks"][row[1]]
        if "error" in part:
            assert row[2] == part["error"]
        else:
            assert row[2:] == [f4(part[m]) for m in ("accuracy", "precision", "recall", "f1",
                                                     "average_precision")] + \
                [str(part["train_size"]), str(part["train_positives"])]

    board = page.rows("debugging-leaderboard")
    assert [row[1] for row in board] == expected_ranking(dbg, "mean_score", higher=False)
    for row in board:
        s = dbg[row[1]]
        assert row[2] == ("—" if s["mean_score"] is None else f4(s["mean_score"]))
        assert row[3:6] == [f4(s["data_ids"].get(d, {}).get("score")) for d in DATA_IDS]
    aum = next(row for row in board if row[1] == NO_TIME)
    assert aum[6] == "—"  # no time file: no total time

    details = page.rows("debugging-metrics")
    scored = [(n, d) for n, s in dbg.items() for d in s["data_ids"]]
    assert sorted((r[0], r[1]) for r in details) == sorted(scored)
    for row in details:
        part = dbg[row[0]]["data_ids"][row[1]]
        if "error" in part:
            assert row[2] == part["error"]
            continue
        assert row[2] == f4(part["score"])
        assert row[3] == ("—" if part["fixes_to_target"] is None else str(part["fixes_to_target"]))
        assert row[4] == str(part["n_listed"]) and row[5] == f4(part["precision_at_m"])
        assert row[6] == f4(part["auc"])
        if row[0] == NO_TIME:
            assert row[7] == "—" and row[8] == f"no time file time_{row[1]}_{NO_TIME}.txt"
        else:
            assert row[8] == "time file"

    data = page.rows("debugging-data")
    assert [r[0] for r in data] == list(DATA_IDS)
    for r in data:
        s = dbg_all["data_ids"][r[0]]
        assert r[1:] == [str(s["n_train"]), str(s["n_mislabeled"]), str(s["n_test"]), f4(s["before_acc"]),
                         f4(s["clean_acc"]), f4(s["target_acc"]), str(s["fits"])]

    expected_errors = sorted([("Selection", n, m) for n, s in sel.items() for m in s["errors"]]
                             + [("Debugging", n, m) for n, s in dbg.items() for m in s["errors"]])
    assert sorted(tuple(r) for r in page.rows("errors")) == expected_errors

    assert yaml.safe_load(page.pre["settings-selection"]) == \
        yaml.safe_load((paths["results"] / "selection" / "results.yaml").read_text())["settings"]
    assert yaml.safe_load(page.pre["settings-debugging"]) == dbg_all["settings"]


def test_report_is_self_contained_and_embeds_the_pngs(rendered):
    paths = rendered
    text = (paths["out"] / "report.html").read_text(encoding="utf-8")
    page = Tables(text)
    embedded = sorted(base64.b64decode(img["src"].split(",", 1)[1]) for img in page.images)
    assert all(img["src"].startswith("data:image/png;base64,") and img["alt"] for img in page.images)
    assert embedded == sorted(p.read_bytes() for p in paths["out"].glob("*.png"))
    assert page.scripts == 0  # the hostile error message is shown as text, not run
    assert "&lt;script&gt;" in text
    for needle in ("http://", "https://", "<link", "@import", "url("):
        assert needle not in text
    assert balanced(text) == []


def balanced(page: str) -> list:
    """Mismatched or unclosed tags (void elements aside): [] for a well-formed page."""
    problems, stack = [], []

    class Nesting(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag not in ("meta", "img", "br", "hr", "input", "link", "wbr"):
                stack.append(tag)

        def handle_endtag(self, tag):
            if stack and stack[-1] == tag:
                stack.pop()
            else:
                problems.append((tag, self.getpos()))

    Nesting().feed(page)
    return problems + stack


def test_reruns_are_byte_identical(rendered, tmp_path):
    paths = rendered
    first = {p.name: p.read_bytes() for p in paths["out"].iterdir()}
    assert run_plot(paths) == 0
    assert {p.name: p.read_bytes() for p in paths["out"].iterdir()} == first
    assert run_plot(paths, tmp_path / "elsewhere") == 0  # the output folder does not leak into files
    assert {p.name: p.read_bytes() for p in (tmp_path / "elsewhere").iterdir()} == first


def test_same_method_same_colour_everywhere(rendered):
    paths = rendered
    html_text = (paths["out"] / "report.html").read_text(encoding="utf-8")
    colour_of: dict[str, set[str]] = {}
    for colour, name in re.findall(r'<span class="swatch[a-z ]*" style="background-color:(#[0-9a-f]{6})"></span>'
                                   r'((?:[^<]|<wbr>)+)<', html_text):
        colour_of.setdefault(name.replace("<wbr>", ""), set()).add(colour)
    assert set(colour_of) >= set(TEN)
    assert all(len(c) == 1 for c in colour_of.values())
    assert len({next(iter(colour_of[n])) for n in TEN}) == 10  # ten submissions, ten colours
    # The figures take their colours from the same map.
    expected = style.colour_map([*TEN, "stray"])
    assert {n: next(iter(c)) for n, c in colour_of.items()} == {n: expected[n] for n in colour_of}


# --------------------------------------------------------------------------- partial inputs
def test_missing_time_files_are_left_out_with_a_note(tmp_path):
    paths = write_workspace(tmp_path)
    debugging = read_results(paths["results"] / "debugging" / "results.yaml", "debugging")
    timings = inputs.load_timings(debugging, paths["submissions"])
    fig = figures.debugging_overview(debugging, timings, style.colour_map(debugging.submissions), dpi=50)
    assert f"Left out, no time file: {NO_TIME} (all data_ids)" in fig.caption
    # No time file anywhere, and no times in results.yaml either: still a figure, never a crash.
    none = {key: inputs.Timing(None, "", "no time file") for key in timings}
    fig = figures.debugging_overview(debugging, none, style.colour_map(debugging.submissions), dpi=50)
    assert fig is not None and png_size(fig.png)[0] > 100


def test_zero_seconds_is_drawn_at_the_axis_floor_with_a_note(tmp_path):
    paths = write_workspace(tmp_path)
    (paths["submissions"] / "debugging" / "time_d1v7_loss.txt").write_text("0\n")
    debugging = read_results(paths["results"] / "debugging" / "results.yaml", "debugging")
    timings = inputs.load_timings(debugging, paths["submissions"])
    assert timings[("loss", "d1v7")].seconds == 0.0
    fig = figures.debugging_overview(debugging, timings, style.colour_map(debugging.submissions), dpi=50)
    assert png_size(fig.png)[0] > 100 and "Times under 100 µs drawn at 100 µs: loss." in fig.caption


def test_time_from_results_yaml_when_submissions_are_elsewhere(tmp_path):
    paths = write_workspace(tmp_path)
    paths["submissions"] = tmp_path / "not-here"
    assert run_plot(paths) == 0
    details = Tables((paths["out"] / "report.html").read_text(encoding="utf-8")).rows("debugging-metrics")
    sources = {r[8] for r in details if r[0] != NO_TIME and len(r) > 8}
    assert sources == {"results.yaml"}


def test_unreadable_time_file_is_a_note_not_a_crash(tmp_path):
    paths = write_workspace(tmp_path)
    (paths["submissions"] / "debugging" / "time_d1v7_random.txt").write_text("soon\n")
    assert run_plot(paths) == 0
    details = Tables((paths["out"] / "report.html").read_text(encoding="utf-8")).rows("debugging-metrics")
    row = next(r for r in details if r[:2] == ["random", "d1v7"])
    assert row[7] == "—" and row[8].startswith("unreadable time file:") and "time_d1v7_random.txt" in row[8]


def test_only_invalid_submissions_still_give_a_report(tmp_path):
    paths = write_workspace(tmp_path, only_invalid=True)
    assert run_plot(paths) == 0
    assert sorted(p.name for p in paths["out"].iterdir()) == ["report.html"]
    text = (paths["out"] / "report.html").read_text(encoding="utf-8")
    page = Tables(text)
    assert [r[-1] for r in page.rows("selection-leaderboard")] == ["invalid"] * len(TEN)
    assert len(page.rows("errors")) == len(TEN) * len(TASKS) + len(TEN) * len(DATA_IDS) + 1
    assert "No figures: no method was scored on any data_id." in text


@pytest.mark.parametrize("which", ["selection", "debugging"])
def test_only_one_benchmark_renders_what_exists(tmp_path, which):
    paths = write_workspace(tmp_path, selection=which == "selection", debugging=which == "debugging")
    assert run_plot(paths) == 0
    pngs = sorted(p.name for p in paths["out"].glob("*.png"))
    if which == "selection":
        assert pngs == ["selection_f1.png"]
    else:
        assert pngs == sorted(["debugging_overview.png", *(f"debugging_{d}.png" for d in DATA_IDS)])
    text = (paths["out"] / "report.html").read_text(encoding="utf-8")
    other = "debugging" if which == "selection" else "selection"
    assert f"No {other} results: <code>{other}/results.yaml</code> was not found." in text


def test_demo_sized_single_submission(tmp_path):
    paths = write_workspace(tmp_path, names=("random",), invalid=(), no_time=())
    assert run_plot(paths) == 0
    assert len(list(paths["out"].glob("*.png"))) == 5


# --------------------------------------------------------------------------- bad inputs
def _corrupt(paths, relative: str, text: str) -> Path:
    path = paths["results"] / relative
    path.write_text(text)
    return path


BAD_INPUTS = {
    "yaml syntax": ("selection/results.yaml", "submissions: {a: [\n", "invalid YAML"),
    "not a mapping": ("selection/results.yaml", "- 1\n- 2\n", "top level: expected a mapping"),
    "no submissions": ("debugging/results.yaml", "benchmark: x\ndata_ids: {}\n", "submissions: missing"),
    "metric not a number": (
        "selection/results.yaml",
        "submissions:\n  a:\n    valid: true\n    mean_f1: high\n    errors: []\n    tasks: {}\n",
        "submissions.a.mean_f1: expected a finite number or null"),
    "valid without metric": (
        "selection/results.yaml",
        "submissions:\n  a:\n    valid: true\n    mean_f1: null\n    errors: []\n    tasks: {}\n",
        "submissions.a.mean_f1: a valid submission needs a number"),
    "missing task metric": (
        "selection/results.yaml",
        "submissions:\n  a:\n    valid: true\n    mean_f1: 0.5\n    errors: []\n    tasks:\n      T: {f1: 0.5}\n",
        "submissions.a.tasks.T.accuracy: missing"),
    "curves header": ("debugging/curves.csv", "method,id,k,acc\n", "header must be submission,data_id,fixes,accuracy"),
    "curves number": ("debugging/curves.csv", "submission,data_id,fixes,accuracy\nrandom,d1v7,0,high\n",
                      ":2: fixes must be an integer and accuracy a number"),
    "curves gap": ("debugging/curves.csv", "submission,data_id,fixes,accuracy\nrandom,d1v7,0,0.5\nrandom,d1v7,2,0.5\n",
                   "does not run 0, 1, 2"),
    "curves unknown method": ("debugging/curves.csv", "submission,data_id,fixes,accuracy\nghost,d1v7,0,0.5\n",
                              "submission 'ghost' is not in debugging/results.yaml"),
    "curves missing a scored pair": ("debugging/curves.csv", "submission,data_id,fixes,accuracy\n",
                                     "no curve for aum on d1v7"),
    "data_id naming a path": ("debugging/results.yaml",
                              "submissions: {}\ndata_ids:\n  ../evil: {n_train: 1}\n",
                              "data_ids.../evil: a data_id is letters, digits and -"),
    "binary": ("debugging/results.yaml", "\udcff", "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_malformed_inputs_give_one_line_naming_the_file(tmp_path, errors, case):
    relative, text, expected = BAD_INPUTS[case]
    paths = write_workspace(tmp_path)
    path = paths["results"] / relative
    if text == "\udcff":
        path.write_bytes(b"\xff\xfe\x00bad")
    else:
        path.write_text(text)
    assert run_plot(paths) == 2
    assert len(errors) == 1 and "\n" not in errors[0]
    # relative to results_path, as in a container where the results are mounted elsewhere
    assert errors[0].startswith(f"{relative}") and expected in errors[0], errors[0]
    assert not paths["out"].exists()  # nothing written


def test_missing_inputs(tmp_path, errors):
    paths = write_workspace(tmp_path)
    (paths["results"] / "debugging" / "curves.csv").unlink()
    assert run_plot(paths) == 2
    assert errors[-1] == "debugging/curves.csv: curves file not found"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run_plot({**paths, "results": empty}) == 2
    assert errors[-1].startswith(f"results_path ({empty}): no selection/results.yaml or debugging/results.yaml")
    assert run_plot({**paths, "results": tmp_path / "absent"}) == 2
    assert errors[-1] == f"{tmp_path / 'absent'}: results_path: input folder not found"
    paths["params"].write_text("plot:\n  dpi: 5\n")
    assert run_plot(paths) == 2
    assert errors[-1] == f"{paths['params']}: plot.dpi must be between 50 and 600"
    paths["params"].write_text("plot:\n  colour: red\n")
    assert run_plot(paths) == 2
    assert "unknown key 'plot.colour'" in errors[-1]


def test_cli_prints_exactly_one_line(tmp_path):
    """Through a real process: stderr is one line, exit code 2, no traceback."""
    paths = write_workspace(tmp_path, debugging=False)
    (paths["results"] / "selection" / "results.yaml").write_text("submissions: [\n")
    done = subprocess.run([sys.executable, "-m", "benchmark", "plot", f"--results_path={paths['results']}",
                           f"--submission_path={paths['submissions']}", f"--parameters_file={paths['params']}",
                           f"--output_path={paths['out']}"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "results.yaml" in lines[0] and "invalid YAML" in lines[0], done.stderr


def test_ties_share_a_rank_and_invalid_come_last(tmp_path):
    from benchmark.formats.results import ranked

    data = {"leaderboard_metric": "mean_score", "data_ids": {}, "submissions": {
        name: {"valid": metric is not None, "mean_score": metric, "errors": [] if metric is not None else ["x"],
               "data_ids": {}}
        for name, metric in (("b", 0.2), ("a", 0.2), ("c", 0.1), ("z", None), ("d", 0.3))}}
    path = tmp_path / "results.yaml"
    path.write_text(yaml.safe_dump(data))
    order = [(rank, s.name) for rank, s in ranked(read_results(path, "debugging"))]
    assert order == [(1, "c"), (2, "a"), (2, "b"), (4, "d"), (None, "z")]


def test_overlapping_overview_points_are_set_side_by_side():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 5))
    ax.set_xscale("log")
    ax.set_xlim(1e-3, 10)
    ax.set_ylim(0, 1)
    xs = figures._dodged(ax, [1.0, 1.0, 1.0, 0.01], [0.5, 0.5, 0.5, 0.5])
    plt.close(fig)
    assert xs[0] == pytest.approx(1.0) and xs[3] == pytest.approx(0.01)  # first and lone points stay put
    assert xs[1] > 1.0 > xs[2]  # the others move right, then left


def test_decade_labels_and_durations():
    assert [figures._decade_label(10.0 ** k) for k in range(-4, 3)] == \
        ["100 µs", "1 ms", "10 ms", "100 ms", "1 s", "10 s", "100 s"]
    assert style.fmt_seconds(0.0005) == "500 µs" and style.fmt_seconds(90) == "90 s"
    assert style.fmt_seconds(600) == "10 min" and style.fmt_seconds(None) == "—"
    assert not math.isnan(figures.MIN_TIME_S)
