"""benchmark.formats.results: what the evaluations write is exactly what the readers return."""
from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tarfile

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.formats.results import (DEBUGGING_FORMAT, SELECTION_FORMAT, Results, curves_csv, ranked, read_curves,
                                       read_results, submission_result, write_results)


def _selection_part(f1: float) -> dict:
    return {"accuracy": 0.5, "precision": 0.25, "recall": 1.0, "f1": f1, "average_precision": 0.75,
            "train_size": 10, "train_positives": 4}


def test_selection_results_round_trip_and_leaderboard_order(tmp_path):
    metric = SELECTION_FORMAT.metric()
    subs = {
        "b": submission_result("b", {"T2": _selection_part(0.5), "T1": _selection_part(0.7)}, metric),
        "a": submission_result("a", {"T1": _selection_part(0.6), "T2": _selection_part(0.6)}, metric),
        "bad": submission_result("bad", {"T1": {"error": "x.csv:3: Confidence '2' is not 0 or 1"},
                                         "T2": _selection_part(0.9)}, metric),
    }
    assert subs["b"].metric == subs["a"].metric == pytest.approx(0.6)
    assert subs["bad"].valid is False and subs["bad"].metric is None  # invalid means no leaderboard value
    written = write_results(tmp_path, Results(SELECTION_FORMAT, {"pool": "p"}, subs))
    assert [p.name for p in written] == ["results.yaml"]
    back = read_results(written[0], "selection")
    assert back.submissions == {name: subs[name] for name in sorted(subs)}
    assert back.settings == {"pool": "p"} and back.metric == "mean_f1"
    # equal means share a rank; invalid last
    assert [(rank, s.name) for rank, s in ranked(back)] == [(1, "a"), (1, "b"), (None, "bad")]


def test_debugging_results_and_curves_round_trip(tmp_path):
    metric = DEBUGGING_FORMAT.metric()
    part = {m: 0.5 for m in DEBUGGING_FORMAT.part_metrics} | {"fixes_to_target": None, "valuation_time_s": None}
    sub = submission_result("m", {"d-1": part}, metric)
    summary = {"n_train": 2, "n_mislabeled": 1, "n_test": 4, "before_acc": 0.5, "clean_acc": 1.0,
               "target_acc": 0.95, "fits": 2}
    curves = [("m", "d-1", np.array([0.5, 0.75, 1.0]))]
    write_results(tmp_path, Results(DEBUGGING_FORMAT, {}, {"m": sub}, data_ids={"d-1": summary}), curves)
    back = read_results(tmp_path / "results.yaml", "debugging")
    assert back.data_ids == {"d-1": summary} and back.submissions["m"] == sub
    read = read_curves(tmp_path / "curves.csv", back)
    assert read[("m", "d-1")].accuracy == (0.5, 0.75, 1.0) and read[("m", "d-1")].fixes == (0, 1, 2)
    assert curves_csv(curves).splitlines()[0] == "submission,data_id,fixes,accuracy"


def test_a_data_id_with_an_underscore_is_refused_by_the_reader(tmp_path):
    (tmp_path / "results.yaml").write_text("data_ids: {a_b: {}}\nsubmissions: {}\n")
    with pytest.raises(InputError, match="data_ids.a_b: a data_id is letters, digits and -"):
        read_results(tmp_path / "results.yaml", "debugging")


def _debugging_results(score: float) -> tuple[Results, list]:
    metric = DEBUGGING_FORMAT.metric()
    part = {m: score for m in DEBUGGING_FORMAT.part_metrics} | {"fixes_to_target": None, "valuation_time_s": None}
    summary = {"n_train": 2, "n_mislabeled": 1, "n_test": 4, "before_acc": 0.5, "clean_acc": 1.0,
               "target_acc": 0.95, "fits": 2}
    results = Results(DEBUGGING_FORMAT, {}, {"m": submission_result("m", {"d-1": part}, metric)},
                      data_ids={"d-1": summary}, ignored={"notes/README.md": "not an ordering file"})
    return results, [("m", "d-1", np.array([0.5, score, 1.0]))]


def _read_set(folder) -> tuple[float, tuple[float, ...]]:
    back = read_results(folder / "results.yaml", "debugging")
    return back.submissions["m"].metric, read_curves(folder / "curves.csv", back)[("m", "d-1")].accuracy


@pytest.mark.parametrize("copy", [
    ["cp", "-r"], ["cp", "-a"], ["cp", "-rL"], "copytree", "tar",
])
def test_a_result_set_survives_being_copied(tmp_path, copy):
    """Relative links: cp -r/-a (links kept), cp -rL and copytree (links followed) and tar all give readable sets."""
    out = tmp_path / "results" / "debugging"
    for score in (0.25, 0.75):  # the second set replaces the first
        write_results(out, *_debugging_results(score))
    assert _read_set(out) == (0.75, (0.5, 0.75, 1.0))
    assert read_results(out / "results.yaml", "debugging").ignored == {"notes/README.md": "not an ordering file"}
    target = tmp_path / "copy"
    if copy == "copytree":
        shutil.copytree(tmp_path / "results", target)
    elif copy == "tar":
        archive = tmp_path / "r.tar"
        with tarfile.open(archive, "w") as tar:
            tar.add(tmp_path / "results", arcname="results")
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        target = target / "results"
    else:
        subprocess.run([*copy, str(tmp_path / "results"), str(target)], check=True)
    assert _read_set(target / "debugging") == (0.75, (0.5, 0.75, 1.0))
    # the copy is a results folder like any other: the next run publishes into it
    write_results(target / "debugging", *_debugging_results(0.5))
    assert _read_set(target / "debugging") == (0.5, (0.5, 0.5, 1.0))


def test_without_symbolic_links_the_files_are_plain(tmp_path, monkeypatch, caplog):
    """A file system without links (some shares): plain files, results.yaml last, a warning; sets come back later."""
    out = tmp_path / "debugging"
    write_results(out, *_debugging_results(0.25))  # a set exists from an earlier run

    def no_links(*args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")
    with monkeypatch.context() as patched:
        patched.setattr(os, "symlink", no_links)
        write_results(out, *_debugging_results(0.75))
    assert "has no symbolic links" in caplog.text
    assert sorted(p.name for p in out.iterdir()) == [".lock", "curves.csv", "results.yaml"]
    assert not (out / "results.yaml").is_symlink() and _read_set(out) == (0.75, (0.5, 0.75, 1.0))
    write_results(out, *_debugging_results(0.5))
    assert os.readlink(out / "results.yaml") == ".current/results.yaml" and _read_set(out) == (0.5, (0.5, 0.5, 1.0))


def test_a_result_file_the_new_set_lacks_is_not_left_dangling(tmp_path):
    out = tmp_path / "out"
    write_results(out, *_debugging_results(0.25))
    selection = Results(SELECTION_FORMAT, {}, {"a": submission_result("a", {"T": _selection_part(0.5)},
                                                                      SELECTION_FORMAT.metric())})
    write_results(out, selection)
    assert not os.path.lexists(out / "curves.csv")
    assert read_results(out / "results.yaml", "selection").submissions["a"].metric == 0.5


def test_the_demo_table_shows_an_invalid_submission_without_a_score(tmp_path):
    """Invalid means invalid: no leaderboard value in the demo's table, though its valid parts are shown."""
    from benchmark.tasks.demo import summary_table
    metric = SELECTION_FORMAT.metric()
    subs = {"good": submission_result("good", {"T1": _selection_part(0.5)}, metric),
            "bad": submission_result("bad", {"T1": _selection_part(0.9), "T2": {"error": "x.csv: no rows"}}, metric)}
    write_results(tmp_path / "selection", Results(SELECTION_FORMAT, {}, subs))
    rows = {line.split()[1]: line.split()[2:] for line in summary_table(tmp_path).splitlines()[2:]}
    assert rows == {"bad": ["0.9000", "invalid", "invalid"], "good": ["0.5000", "-", "0.5000"]}
    ranks = {line.split()[1]: line.split()[0] for line in summary_table(tmp_path).splitlines()[2:]}
    assert ranks == {"good": "1", "bad": "-"}  # ranked first, invalid unranked and last
