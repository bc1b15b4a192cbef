"""evaluate_selection: exact scores, strict validation, bounded pool reads."""
from __future__ import annotations

import numpy as np
import pytest
import yaml
from conftest import SelectionData, run_cli
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, average_precision_score, f1_score, precision_score, recall_score

from benchmark.sources import layout


def direct_metrics(data: SelectionData, task: str, idx: np.ndarray) -> dict:
    """What a straightforward scikit-learn computation gives on the same joined rows."""
    ids = data.ids[idx]
    order = np.argsort(ids)
    X = data.X[idx][order].astype(np.float64)
    y = data.labels[task][idx][order]
    model = LogisticRegression(random_state=0).fit(X, y)
    _, tX, ty = data.test[task]
    pred = model.predict(tX)
    return {
        "accuracy": accuracy_score(ty, pred),
        "precision": precision_score(ty, pred, zero_division=0),
        "recall": recall_score(ty, pred, zero_division=0),
        "f1": f1_score(ty, pred, zero_division=0),
        "average_precision": average_precision_score(ty, model.predict_proba(tX)[:, 1]),
        "train_size": len(idx),
        "train_positives": int(y.sum()),
    }


def results(data: SelectionData) -> dict:
    return yaml.safe_load((data.root / "results" / "results.yaml").read_text())


def test_scores_equal_direct_sklearn_exactly(selection_data: SelectionData):
    chosen = {name: selection_data.submit_random(name, 80, seed) for seed, name in enumerate(["one", "two"])}
    assert selection_data.evaluate() == 0
    res = results(selection_data)
    for name, per_task in chosen.items():
        sub = res["submissions"][name]
        assert sub["valid"] and sub["errors"] == []
        for task, idx in per_task.items():
            metrics = {k: v for k, v in sub["tasks"][task].items() if not k.endswith("_ci95")}  # test_intervals.py
            assert metrics == direct_metrics(selection_data, task, idx)  # same floats
        assert sub["mean_f1"] == np.mean([sub["tasks"][t]["f1"] for t in sorted(per_task)])


def test_row_order_and_pool_layout_do_not_matter(tmp_path):
    a = SelectionData(tmp_path / "a", parts=1)
    b = SelectionData(tmp_path / "b", parts=5)  # same rows, different part files and order
    for data in (a, b):
        rng = np.random.default_rng(3)
        idx = rng.choice(len(data.ids), 50, replace=False)
        rows = [(data.ids[i], int(data.labels[t][i])) for i in idx for t in data.tasks[:1]]
        if data is b:
            rows = rows[::-1]
        data.submit("s", "Alpha", rows)
        data.submit("s", "Beta", [(data.ids[i], int(data.labels["Beta"][i])) for i in idx])
        assert data.evaluate() == 0
    assert results(a)["submissions"] == results(b)["submissions"]


def test_reruns_are_byte_identical(selection_data: SelectionData, tmp_path):
    selection_data.submit_random("s", 60, 1)
    assert selection_data.evaluate(tmp_path / "r1") == 0
    assert selection_data.evaluate(tmp_path / "r2") == 0
    assert (tmp_path / "r1" / "results.yaml").read_bytes() == (tmp_path / "r2" / "results.yaml").read_bytes()


def _good_rows(data: SelectionData, task: str, n: int = 30, start: int = 0) -> list[tuple[str, int]]:
    return [(data.ids[i], int(data.labels[task][i])) for i in range(start, start + n)]


BAD_CASES = {
    "missing_file": (None, "Alpha.csv: training set file not found"),
    "empty": ("", "Alpha.csv: file is empty"),
    "bad_header": ("Image,Label\nx,1\n", "Alpha.csv:1: header must be ImageID,Confidence"),
    "binary": (b"\x00\x01\x02PK\x03\x04", "Alpha.csv: file is binary"),
    "not_utf8": (b"ImageID,Confidence\n\xff\xfe,1\n", "Alpha.csv:2: file is not UTF-8 text"),
    "missing_field": ("ImageID,Confidence\n{id0},1\n{id1}\n", "Alpha.csv:3: row has 1 field(s)"),
    "bad_confidence": ("ImageID,Confidence\n{id0},1\n{id1},2\n", "Alpha.csv:3: Confidence '2' is not 0 or 1"),
    "duplicate_same": ("ImageID,Confidence\n{id0},1\n{id1},0\n{id0},1\n", "Alpha.csv:4: ImageID '{id0}' repeats line 2"),
    "duplicate_conflict": ("ImageID,Confidence\n{id0},1\n{id0},0\n", "Alpha.csv:3: ImageID '{id0}' repeats line 2"),
    "not_in_pool": ("ImageID,Confidence\n{id0},1\nnope1,0\n{id1},0\nnope2,1\n",
                    "Alpha.csv: 2 ImageID(s) not in the candidate pool: 'nope1' (line 3), 'nope2' (line 5)"),
    "test_id": ("ImageID,Confidence\n{id0},1\n{test0},0\n", "Alpha.csv:3: ImageID '{test0}' belongs to the test set of Alpha"),
    "one_class": ("ImageID,Confidence\n{id0},1\n{id1},1\n", "Alpha.csv: every row has Confidence 1"),
    "too_many": ("ImageID,Confidence\n" + "".join(f"{{id{i}}},{i % 2}\n" for i in range(6)),
                 "Alpha.csv:7: more than 5 rows"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_submission_is_reported_and_others_still_scored(tmp_path, case):
    data = SelectionData(tmp_path)
    data.params["selection"]["max_train_size"] = 5 if case == "too_many" else 1000
    data.params_file.write_text(yaml.safe_dump(data.params))
    good = {t: _good_rows(data, t, 5 if case == "too_many" else 30) for t in data.tasks}
    for t in data.tasks:
        data.submit("good", t, good[t])
    content, expected = BAD_CASES[case]
    fill = {f"id{i}": data.ids[i] for i in range(10)} | {"test0": data.test["Alpha"][0][0]}
    data.submit("bad", "Beta", good["Beta"])
    if content is not None:
        path = data.submissions / "bad" / "Alpha.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content.format(**fill))
    assert data.evaluate() == 0  # results written: the pipeline goes on
    res = results(data)
    assert res["submissions"]["good"]["valid"] is True
    assert res["submissions"]["good"]["mean_f1"] is not None
    bad = res["submissions"]["bad"]
    assert bad["valid"] is False and bad["mean_f1"] is None
    assert len(bad["errors"]) == 1 and "\n" not in bad["errors"][0]
    # relative to submission_path, as a container (mounted elsewhere) writes it too
    assert bad["errors"][0].startswith("bad/" + expected.format(**fill)), bad["errors"][0]
    assert bad["tasks"]["Alpha"] == {"error": bad["errors"][0]}
    assert bad["tasks"]["Beta"]["f1"] == res["submissions"]["good"]["tasks"]["Beta"]["f1"]  # kept


def _break(data: SelectionData, how: str):
    sel = data.root / "data" / "selection"
    if how == "pool_missing":
        import shutil

        shutil.rmtree(sel / "embeddings")
        return "candidate pool not found"
    if how == "test_missing":
        (sel / "test_sets" / "Beta.parquet").unlink()
        return "Beta.parquet: test set of Beta not found"
    if how == "test_columns":
        tids, tX, ty = data.test["Beta"]
        import pyarrow as pa

        layout.write_table(sel / "test_sets" / "Beta.parquet",
                           pa.table({"ImageID": list(tids), "Label": ty}))
        return "Beta.parquet: test set lacks column(s) Confidence, embedding"
    if how == "test_nan":
        tids, tX, ty = data.test["Beta"]
        tX = tX.copy()
        tX[4, 2] = np.nan
        layout.write_table(sel / "test_sets" / "Beta.parquet", layout.selection_table(tids, tX, ty))
        return "Beta.parquet: column 'embedding': row 4 has NaN or infinite values"
    if how == "test_dim":
        tids, tX, ty = data.test["Beta"]
        layout.write_table(sel / "test_sets" / "Beta.parquet", layout.selection_table(tids, tX[:, :4], ty))
        return "Beta.parquet: embeddings have dimension 4, but 6 in the test set of Alpha"
    if how == "pool_dim":
        pool = sel / "embeddings" / "pool.parquet"
        layout.write_table(pool / "part-00009.parquet",
                           layout.selection_table(["odd"], np.ones((1, 3), dtype=np.float32)))
        data.submit("s", "Alpha", "ImageID,Confidence\nodd,1\n")
        return "pool.parquet: column 'embedding': inconsistent embedding dimension"
    if how == "pool_columns":
        import pyarrow as pa

        pool = sel / "embeddings" / "pool.parquet"
        for part in pool.glob("*.parquet"):
            part.unlink()
        layout.write_table(pool / "part-00001.parquet", pa.table({"ImageID": ["a"], "vector": [[1.0]]}))
        return "part-00001.parquet: candidate pool part lacks column(s) embedding"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["pool_missing", "test_missing", "test_columns", "test_nan", "test_dim",
                                 "pool_dim", "pool_columns"])
def test_bad_resources_stop_before_any_result(tmp_path, how, caplog):
    data = SelectionData(tmp_path)
    data.submit_random("s", 40, 0)
    expected = _break(data, how)
    assert data.evaluate() == 2
    assert not (data.root / "results").exists()
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and expected in errors[0] and "\n" not in errors[0]


def test_pool_scan_reads_only_submitted_ids(selection_data: SelectionData):
    from benchmark.formats.resources import CandidatePool

    pool = CandidatePool(selection_data.root / "data" / "selection" / "embeddings" / "pool.parquet")
    wanted = list(selection_data.ids[[5, 17, 200]]) + ["absent"]
    ids, X = pool.lookup(wanted)
    assert list(ids) == sorted(selection_data.ids[[5, 17, 200]])
    for image_id, row in zip(ids, X):
        np.testing.assert_array_equal(row, selection_data.X[list(selection_data.ids).index(image_id)])
    assert X.dtype == np.float64


def test_no_submissions_is_a_clear_error(selection_data: SelectionData, caplog):
    assert selection_data.evaluate() == 2
    assert "no submission folders" in caplog.text


def test_stray_files_are_reported_and_never_scored(selection_data: SelectionData, caplog):
    selection_data.submit_random("good", 100, seed=1)
    (selection_data.submissions / "notes.txt").write_text("not a submission\n")
    (selection_data.submissions / "good" / "README.md").write_text("about my method\n")
    assert selection_data.evaluate() == 0
    results = yaml.safe_load((selection_data.root / "results" / "results.yaml").read_text())
    assert sorted(results["submissions"]) == ["good"]
    # listed once in results.yaml too, relative to the submission folder (the same wherever it is mounted)
    assert results["ignored"] == {"good/README.md": "not the training set of a task (Alpha, Beta)",
                                  "notes.txt": "not a submission folder (expected <submission_name>/<Task>.csv)"}
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert warnings == [
        "ignored good/README.md: not the training set of a task (Alpha, Beta)",  # relative to submission_path
        "ignored notes.txt: not a submission folder (expected <submission_name>/<Task>.csv)",
    ]


def test_invalid_submission_exits_0_with_a_summary_and_1_in_strict_mode(selection_data: SelectionData, caplog,
                                                                       monkeypatch):
    """Results written: exit 0 and one summary line; --strict or DATAPERF_STRICT=1: exit 1, same results."""
    data = selection_data
    data.submit_random("good", 100, seed=1)
    data.submit_random("worse", 100, seed=2)
    data.submit("bad", "Alpha", f"ImageID,Confidence\n{data.ids[0]},1\n{data.ids[1]},2\n")
    data.submit("bad", "Beta", f"ImageID,Confidence\n{data.ids[0]},1\n{data.ids[1]},0\n")
    monkeypatch.delenv("DATAPERF_STRICT", raising=False)
    out = data.root / "results" / "results.yaml"
    assert data.evaluate() == 0
    summary = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert summary == ["1 of 3 submission(s) invalid: bad (their errors are in results.yaml); "
                       "exit 0 (--strict or DATAPERF_STRICT=1 makes this exit 1)"]
    written = out.read_bytes()
    args = (f"--data_path={data.root / 'data'}", f"--submission_path={data.submissions}",
            f"--parameters_file={data.params_file}", f"--output_path={data.root / 'results'}")
    caplog.clear()
    assert run_cli("evaluate_selection", *args, "--strict") == 1
    assert [r.getMessage() for r in caplog.records if r.levelname == "WARNING"][0].endswith("exit 1 (strict mode)")
    assert out.read_bytes() == written
    for value, code in (("1", 1), ("true", 1), ("0", 0), ("", 0)):
        monkeypatch.setenv("DATAPERF_STRICT", value)
        assert data.evaluate() == code, value
        assert out.read_bytes() == written
    monkeypatch.setenv("DATAPERF_STRICT", "maybe")
    caplog.clear()
    assert data.evaluate() == 2
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        "environment variable DATAPERF_STRICT='maybe': expected 1 (strict) or 0"]
