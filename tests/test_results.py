"""benchmark.results: what the evaluations write is exactly what the readers return."""
from __future__ import annotations

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.results import (DEBUGGING_FORMAT, SELECTION_FORMAT, Results, curves_csv, ranked, read_curves,
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
