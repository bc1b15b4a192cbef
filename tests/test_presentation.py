"""What a person sees: figures, report tables, terminal and log output, CLI hints (issue 29).

Every check reads what the real code drew or printed: matplotlib's own extents of the
labels and whiskers, the report's HTML, the bytes a terminal (a pty) and a log file got.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from conftest import ROOT, run_cli
from matplotlib.collections import LineCollection
from matplotlib.transforms import Bbox
from test_plot import DATA_IDS, Tables, debugging_results

from benchmark.formats.results import read_results
from benchmark.plotting import figures, report, style
from benchmark.tasks.demo import DEMO_TASKS

LEVELS = ("INFO ", "WARNING ", "ERROR ", "DEBUG ")


# --------------------------------------------------------------------------- figures
def _whisker_boxes(fig, ax) -> list[Bbox]:
    """Display-space boxes of every interval line and cap, half a line width around each."""
    renderer = fig.canvas.get_renderer()
    boxes = []
    for collection in ax.collections:
        if isinstance(collection, LineCollection):
            half = max(collection.get_linewidths()) * fig.dpi / 72 / 2
            for segment in collection.get_segments():
                points = ax.transData.transform(segment)
                boxes.append(Bbox([points.min(axis=0) - half, points.max(axis=0) + half]))
    for line in ax.lines:
        if line.get_marker() in ("_", "|"):  # the caps
            boxes.append(line.get_window_extent(renderer))
    return boxes


def _label_boxes(fig, ax) -> list[tuple[str, Bbox, float]]:
    """(text, box including its background patch, y in data units) of the vertical value labels."""
    renderer = fig.canvas.get_renderer()
    out = []
    for text in ax.texts:
        if text.get_rotation() == 90:
            box = text.get_window_extent(renderer)
            patch = text.get_bbox_patch()
            if patch is not None and patch.get_facecolor()[3] > 0:
                box = Bbox.union([box, patch.get_window_extent(renderer)])
            out.append((text.get_text(), box, text.get_position()[1]))
    return out


def _selection_with_extremes(demo_run, tmp_path) -> Path:
    """The demo's selection results, with one mean pushed to the bottom and one to the top, whiskers wide:
    labels must go inside some bars and above the cap of others."""
    data = yaml.safe_load((demo_run["workspace"] / "results" / "selection" / "results.yaml").read_text())
    subs = data["submissions"]
    subs["baseline_nearest"]["mean_f1"], subs["baseline_nearest"]["mean_f1_ci95"] = 0.97, [0.93, 1.0]
    subs["random_500"]["mean_f1"], subs["random_500"]["mean_f1_ci95"] = 0.08, [0.03, 0.15]
    path = tmp_path / "results.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("variant", ["demo", "extremes"])
def test_no_bar_label_touches_an_interval_line(demo_run, tmp_path, variant):
    path = (demo_run["workspace"] / "results" / "selection" / "results.yaml" if variant == "demo"
            else _selection_with_extremes(demo_run, tmp_path))
    selection = read_results(path, "selection")
    with style.pinned_style():
        fig = figures.selection_figure(selection, style.colour_map(selection.submissions))
        fig.draw_without_rendering()
        ax = fig.axes[0]
        labels, whiskers = _label_boxes(fig, ax), _whisker_boxes(fig, ax)
        top = ax.get_window_extent(fig.canvas.get_renderer())
    ranked = [s for s in selection.submissions.values() if not s.reference and s.metric is not None]
    assert sorted(text for text, _, _ in labels) == sorted(f"{s.metric:.3f}" for s in ranked)
    assert len(whiskers) >= 3 * len(ranked)  # a line and two caps per interval drawn
    for text, box, _ in labels:
        crossing = [w for w in whiskers if box.overlaps(w)]
        assert not crossing, f"label {text} crosses an interval line"
        assert box.y1 <= top.y1 + 1, f"label {text} leaves the axes"
    if variant == "extremes":  # both placements are exercised
        ys = {text: y for text, _, y in labels}
        assert ys["0.080"] > 0.15 and ys["0.970"] < 0.1


def _many(n: int) -> tuple[dict, list]:
    names = tuple(f"method-{i:02d}" for i in range(n - 2)) + ("random", "baseline_random")
    return debugging_results(names=names, invalid=(), no_time=())


def test_thirty_methods_get_one_panel_each_and_ties_are_named(tmp_path):
    data, rows, _ = _many(30)
    first, second = "method-03", "method-07"  # make two methods tie on d1v7, curves and all
    data["submissions"][second]["data_ids"]["d1v7"] = dict(data["submissions"][first]["data_ids"]["d1v7"])
    rows = [r for r in rows if (r[0], r[1]) != (second, "d1v7")] + \
        [(second, d, j, a) for m, d, j, a in rows if (m, d) == (first, "d1v7")]
    (tmp_path / "results.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    (tmp_path / "curves.csv").write_text("submission,data_id,fixes,accuracy\n"
                                         + "".join(f"{m},{d},{j},{a!r}\n" for m, d, j, a in rows))
    debugging = read_results(tmp_path / "results.yaml", "debugging")
    from benchmark.formats.results import read_curves

    curves = read_curves(tmp_path / "curves.csv", debugging)
    colours = style.colour_map(debugging.submissions)
    with style.pinned_style():
        fig = figures.curves_figure(debugging, "d1v7", curves, colours)
        panels = [ax for ax in fig.axes if ax.axison]
        target = debugging.data_ids["d1v7"]["target_acc"]
        titles = {ax.get_title(loc="left").split("\n")[0]: ax for ax in panels}
        assert len(panels) == 30 and set(titles) == set(debugging.submissions) - {"stray"}  # stray: no curve
        for name, ax in titles.items():
            own = [line for line in ax.lines if line.get_color() == colours[name] and line.get_linewidth() > 1]
            grey = [line for line in ax.lines if line.get_color() == figures.OTHERS_GREY]
            assert len(own) >= 1 and len(grey) == 29, name  # its curve over the 29 others
            assert own[0].get_linestyle() == ("--" if "random" in name else "-")
            dots = [line for line in ax.lines if line.get_marker() == "o"]
            if debugging.submissions[name].parts["d1v7"]["fixes_to_target"] is not None:
                assert len(dots) == 1 and list(dots[0].get_ydata()) == [target]  # on the target line
        assert f"tied with {second}" in titles[first].get_title(loc="left")
        assert f"tied with {first}" in titles[second].get_title(loc="left")
        import matplotlib.pyplot as plt

        plt.close(fig)


def test_colours_follow_the_name_not_the_set():
    alone = style.colour_map(["random_500"])
    crowd = style.colour_map(["random_500", "baseline_random", "aum", "zeta", "reference_true_labels_500"])
    other = style.colour_map(["random_500", "mine", "theirs"])
    assert alone["random_500"] == crowd["random_500"] == other["random_500"] in style.RANDOM_GREYS
    assert crowd["baseline_random"] in style.RANDOM_GREYS and crowd["baseline_random"] != crowd["random_500"]
    assert crowd["reference_true_labels_500"] == style.REFERENCE_COLOUR
    assert crowd["aum"] == style.colour_of("aum") == style.colour_map(["aum", "mine"])["aum"]
    greys = set(style.RANDOM_GREYS) | {style.REFERENCE_COLOUR}
    entries = [f"team-{i}" for i in range(18)]
    many = style.colour_map(entries)
    assert len(set(many.values())) == 18 and not set(many.values()) & greys  # 18 entries, 18 colours, no grey
    for benchmark_names in (["baseline_propagation", "baseline_nearest", "baseline_selftrain_fps"],
                            ["baseline_tmc_shapley", "baseline_knn_shapley", "baseline_confident_learning",
                             "baseline_loss", "baseline_data_oob"]):
        shipped = style.colour_map(benchmark_names)
        assert len(set(shipped.values())) == len(benchmark_names)


# --------------------------------------------------------------------------- report tables
def _own_cells(table: list[list[tuple[str, dict]]]) -> dict[int, list[str]]:
    """Column -> texts of the body cells that are that column alone (cells spanning several left out)."""
    columns: dict[int, list[str]] = {}
    for row in table[1:]:
        at = 0
        for text, attrs in row:
            span = int(attrs.get("colspan", 1))
            if span == 1:
                columns.setdefault(at, []).append(text)
            at += span
    return columns


def test_demo_report_has_no_empty_column_and_agrees_with_its_rule(demo_run):
    text = (demo_run["workspace"] / "plots" / "report.html").read_text(encoding="utf-8")
    page = Tables(text)
    for table_id, table in page.tables.items():
        for column, cells in _own_cells(table).items():
            assert any(c != "—" for c in cells), f"{table_id}: column {page.header(table_id)[column]!r} is empty"
    assert "Average precision 95% CI" not in page.header("selection-metrics")
    for table_id in ("selection-leaderboard", "debugging-leaderboard"):
        column = page.header(table_id).index("Beats next")
        for row in page.rows(table_id):
            value = row[column]
            if value != "—":
                shown = float(value.rstrip(" ≈"))
                assert value.endswith("≈") == (0.025 < shown < 0.975), (table_id, value)
    assert "Two random entries, both ranked" in text and "download&#x27;s example submission" in text


def test_shares_are_shown_with_the_digits_the_rule_needs():
    assert report.share_text(0.9745) == "0.9745"
    assert report.share_text(0.975) == "0.975" and report.share_text(0.995) == "0.995"
    assert report.share_text(0.97499) == "0.97499"
    assert report.share_text(0.0255) == "0.0255" and report.share_text(0.5) == "0.500"


def test_an_all_missing_column_is_dropped_and_error_cells_shrink():
    rows = [report.Row(['<td class="text">a</td>', report.number_cell(0.5), report.NA_CELL,
                        report.number_cell(1.0)]),
            report.Row(['<td class="text">b</td>', '<td class="error" colspan="3">bad</td>'])]
    html = report.table("t", "c", [("Name", True), ("X", False), ("Y", False, True), ("Z", False, True)], rows)
    page = Tables(html)
    assert page.header("t") == ["Name", "X", "Z"]
    assert page.rows("t") == [["a", "0.5000", "1.0000"], ["b", "bad"]]
    assert 'colspan="2"' in html and 'class="minor"' in html and "<th" in html
    assert html.count("minor") == 2  # Z's header and its one own cell


# --------------------------------------------------------------------------- terminal and log file
def test_demo_ends_with_the_report_path_and_each_task_says_what_it_wrote(demo_run):
    lines = demo_run["stdout"].rstrip("\n").splitlines()
    report_path = demo_run["workspace"] / "plots" / "report.html"
    assert lines[-1] == f"Report (figures and every table): {report_path}" and report_path.is_file()
    assert "2 random entries, each ranked like any submission:" in demo_run["stdout"]
    assert "  random: download's example submission" in demo_run["stdout"]
    err = demo_run["stderr"].splitlines()
    figures_written = len(list(report_path.parent.glob("*.png")))
    heads = {"download": "INFO download (demo): wrote ",
             "plot": f"INFO plot: wrote {figures_written} figure(s) and report.html"}
    where = [next(i for i, line in enumerate(err) if line.startswith(heads.get(t, f"INFO {t}: wrote ")))
             for t in DEMO_TASKS]
    assert where == sorted(where)
    assert err[-1].endswith(f"; open {report_path}")
    assert "results.yaml, curves.csv under output_path" in err[where[DEMO_TASKS.index("evaluate_debugging")]]


def test_a_saved_log_is_clean(demo_run):
    """stderr to a file: no progress-bar frames, every line a log record of its own."""
    text = demo_run["stderr"]
    assert "\r" not in text and "\x1b" not in text and "%|" not in text
    assert all(line.startswith(LEVELS) for line in text.splitlines()), text[:2000]


def _on_a_terminal(args: list[str]) -> str:
    """Run the CLI with stderr (and stdout) on a pty; everything the terminal received."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))  # a 100 x 30 terminal
    proc = subprocess.Popen([sys.executable, "-m", "benchmark", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                            stdout=follower, stderr=follower, env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(follower)
    received = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            proc.kill()
            raise TimeoutError("no output for 120 s")
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        received += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0, received.decode(errors="replace")[-2000:]
    return received.decode("utf-8", errors="replace")


def test_on_a_terminal_bars_are_drawn_and_cleared_before_each_log_line(demo_workspace):
    ws = demo_workspace
    seen = _on_a_terminal(["evaluate_selection", f"--data_path={ws}/data", f"--submission_path={ws}/submissions/selection",
                           f"--parameters_file={ws}/parameters.yaml", f"--output_path={ws}/results/selection"])
    assert "fits:" in seen and "%|" in seen  # the bar was drawn
    for line in seen.replace("\r\n", "\n").split("\n"):
        shown = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", line).split("\r")[-1]  # what stays on the screen
        if any(level in line for level in LEVELS):
            assert shown.startswith(LEVELS), repr(line)


# --------------------------------------------------------------------------- CLI hints and names
@pytest.mark.parametrize("args, hint", [
    (["demo", "output_path=/tmp/x"], "hint: output_path=/tmp/x: did you mean --output_path=/tmp/x?"),
    (["plot", "data_path=/tmp/x"], "did you mean --data_path=/tmp/x? (plot takes --results_path, "
                                   "--submission_path, --parameters_file, --output_path)"),
    (["data_path=/tmp/x", "plot"], "hint: data_path=/tmp/x: did you mean --data_path=/tmp/x?"),
    (["demo", "--workspace", "/tmp/w"], "hint: --workspace: --workspace is a global option and goes before the "
                                        "task: python -m benchmark --workspace /tmp/w demo ..."),
    (["plot", "--workspace=/tmp/w"], "python -m benchmark --workspace=/tmp/w plot ..."),
    (["plot", "-v"], "-v is a global option and goes before the task: python -m benchmark -v plot ..."),
])
def test_misplaced_arguments_get_a_hint(capsys, args, hint):
    with pytest.raises(SystemExit) as stop:
        run_cli(*args)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert hint in err and "Traceback" not in err


def test_an_unknown_option_gets_no_made_up_hint(capsys):
    with pytest.raises(SystemExit):
        run_cli("plot", "--colour=red")
    assert "hint" not in capsys.readouterr().err


def test_demo_file_names_state_their_true_row_counts(demo_run):
    """``<data_id>_test_111.parquet`` holds 111 rows: every count in a default debugging file name is true."""
    params = yaml.safe_load((ROOT / "workspace" / "parameters.yaml").read_text())
    root = demo_run["workspace"] / "data" / "debugging"
    checked = 0
    for data_id, files in params["debugging"]["data_ids"].items():
        for role in ("train", "val", "test"):
            stated = int(re.search(r"_(\d+)\.parquet$", files[role]).group(1))
            assert pq.read_metadata(root / files[role]).num_rows == stated, (data_id, role, files[role])
            checked += 1
    assert checked == 3 * len(DATA_IDS)
