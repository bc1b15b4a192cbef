"""References (submissions named reference_*, which use the ground truth): recorded, shown apart, never ranked."""
from __future__ import annotations

import pytest
import yaml

from benchmark.errors import InputError
from benchmark.formats.results import (SELECTION_FORMAT, Results, ranked, read_results, references, submission_result,
                                       write_results)
from benchmark.tasks.demo import summary_table
from benchmark.workspace.layout import is_reference


def _part(f1: float) -> dict:
    return {"accuracy": 0.5, "precision": 0.25, "recall": 1.0, "f1": f1, "average_precision": 0.75,
            "train_size": 10, "train_positives": 4}


def _write(root, names_f1):
    metric = SELECTION_FORMAT.metric()
    subs = {n: submission_result(n, {"T": _part(f1)}, metric) for n, f1 in names_f1.items()}
    write_results(root / "selection", Results(SELECTION_FORMAT, {}, subs))
    return root / "selection" / "results.yaml"


def test_a_reference_is_marked_in_results_yaml_and_left_out_of_the_ranking(tmp_path):
    path = _write(tmp_path, {"reference_true_labels_500": 0.9, "random_500": 0.2, "mine": 0.6})
    document = yaml.safe_load(path.read_text())["submissions"]
    assert document["reference_true_labels_500"]["reference"] is True
    assert document["mine"]["reference"] is False and document["random_500"]["reference"] is False
    back = read_results(path, "selection")
    assert [(rank, s.name) for rank, s in ranked(back)] == [(1, "mine"), (2, "random_500")]
    assert [s.name for s in references(back)] == ["reference_true_labels_500"]
    assert is_reference("reference_x") and not is_reference("my_reference")


def test_the_demo_table_shows_references_apart(tmp_path):
    _write(tmp_path, {"reference_true_labels_500": 0.9, "random_500": 0.2, "mine": 0.6})
    lines = summary_table(tmp_path).splitlines()
    apart = next(i for i, line in enumerate(lines) if line.startswith("references"))
    assert lines[apart - 2].split()[:2] == ["1", "mine"] and lines[apart - 1].split()[:2] == ["2", "random_500"]
    assert lines[apart + 1].split()[:2] == ["ref", "reference_true_labels_500"]


def test_reference_flag_reading(tmp_path):
    path = _write(tmp_path, {"mine": 0.6})
    text = path.read_text()
    (tmp_path / "old.yaml").write_text(text.replace("    reference: false\n", ""))  # files from before the flag
    assert read_results(tmp_path / "old.yaml", "selection").submissions["mine"].reference is False
    (tmp_path / "bad.yaml").write_text(text.replace("reference: false", "reference: maybe"))
    with pytest.raises(InputError, match="submissions.mine.reference: expected true or false"):
        read_results(tmp_path / "bad.yaml", "selection")
