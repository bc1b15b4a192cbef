"""The dataperf_2022 protocol against a direct transcription of the original evaluator's protocol.

The transcription below follows the protocol as DataPerf's evaluator runs it (issue 18 lists the
facts): a fresh seeded classifier per budget, a DataLoader over a TensorDataset, one prediction per
candidate threshold, numpy's rounding, budgets 1..N. The fast evaluator must give the same values.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import numpy as np
import pytest

from benchmark.errors import InputError
from benchmark.scoring.debugging import dataperf2022 as dp

HAVE_TORCH = importlib.util.find_spec("torch") is not None
if not HAVE_TORCH and os.environ.get("CI", "").lower() == "true":
    raise RuntimeError("CI must install torch (scripts/test.sh installs requirements-dataperf2022.txt)")
needs_torch = pytest.mark.skipif(not HAVE_TORCH, reason="torch not installed: pip install -r "
                                 "requirements-dataperf2022.txt")


@pytest.fixture(autouse=True)
def one_torch_thread():
    """The transcription runs with one thread: the same values (the thread count only splits
    independent outputs; perf/ checks it with default threads) and no spinning on a busy machine."""
    if not HAVE_TORCH:
        yield
        return
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# ---------------------------------------------------------------- data: low-rank embeddings
def low_rank_problem(n_train: int, n_test: int, dim: int = 2048, seed: int = 0, noise_rate: float = 0.3):
    """Embeddings with a decaying spectrum plus isotropic noise (float32, like DataPerf's files)."""
    rng = np.random.default_rng(seed)
    rank = min(12, dim)
    basis = np.linalg.qr(rng.standard_normal((dim, rank)))[0].T
    spectrum = 4.0 * 0.6 ** np.arange(rank)
    w = rng.standard_normal(rank)

    def draw(m):
        latent = rng.standard_normal((m, rank)) * spectrum
        X = latent @ basis + 0.05 * rng.standard_normal((m, dim))
        y = (latent @ w + 0.3 * rng.standard_normal(m) > 0).astype(np.int64)
        return X.astype(np.float32), y

    X, clean = draw(n_train)
    test_X, test_y = draw(n_test)
    noisy = clean.copy()
    flipped = rng.choice(n_train, int(round(noise_rate * n_train)), replace=False)
    noisy[flipped] = 1 - noisy[flipped]
    return X, noisy, clean, test_X, test_y


# ---------------------------------------------------------------- the transcription
def transcribed_classifier(dim: int):
    """Seed 42 when the classifier is created, then Linear(dim, 128) and Linear(128, 1)."""
    import torch

    class TwoLinear(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.first = torch.nn.Linear(dim, 128)
            self.second = torch.nn.Linear(128, 1)

        def forward(self, x):
            return self.second(self.first(x))

    torch.manual_seed(42)
    return TwoLinear()


def transcribed_predict(model, features, threshold):
    import torch

    model.eval()
    if not isinstance(features, torch.Tensor):
        features = torch.tensor(features).float()
    with torch.no_grad():
        out = torch.sigmoid(model(features))
    out = np.where(out <= threshold, 0, out)
    out = np.where(out > threshold, 1, out)
    return out.ravel()


def transcribed_accuracy(model, features, labels, threshold):
    import torch

    labels = labels.ravel()
    if isinstance(labels, torch.Tensor):
        labels = labels.numpy()
    return round((transcribed_predict(model, features, threshold) == labels).mean(), 2)


def transcribed_fit(features: np.ndarray, labels: np.ndarray):
    """Train 20 epochs (AdamW 0.01 / 0.9, BCE with logits, batches of 64 in order), then pick the threshold."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    model = transcribed_classifier(features.shape[1])
    features, labels = torch.tensor(features), torch.tensor(labels)
    loader = DataLoader(TensorDataset(features, labels), batch_size=64, shuffle=False)
    loss_function = torch.nn.BCEWithLogitsLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.9)
    model.train(True)
    for _ in range(20):
        for x, y in loader:
            optimizer.zero_grad()
            out = model(x.float()).reshape(y.shape)
            loss = loss_function(out, y.float())
            loss.backward()
            optimizer.step()
    best_acc, best_threshold = 0, 0
    for threshold in list(np.arange(0.1, 1, 0.05)):
        acc = transcribed_accuracy(model, features, labels, threshold)
        if acc > best_acc:
            best_acc, best_threshold = acc, threshold
    return model, best_threshold


def transcribed_protocol(X, noisy, clean, test_X, test_y, orders):
    """before_acc, and per order the accuracies at budgets 1..N and fraction_fixes."""
    n = len(noisy)
    test_y = np.vstack(test_y)  # a column, as read from the parquet file
    model, threshold = transcribed_fit(X, np.vstack(noisy))  # int64 labels, as stored
    before_acc = transcribed_accuracy(model, test_X, test_y, threshold)
    results = []
    for order in orders:
        accuracies = []
        for budget in range(1, n + 1):
            labels = noisy.copy()
            for row in list(order)[:budget]:
                labels[row] = clean[row]
            model, threshold = transcribed_fit(X.astype(np.float32), np.vstack(labels).astype(np.float32))
            accuracies.append(transcribed_accuracy(model, test_X, test_y, threshold))
        y = np.array(accuracies)
        target = 0.95 * y[len(y) - 1]
        fraction = -1
        for j in range(len(y)):
            if y[j] >= target:
                fraction = j / len(y)
                break
        results.append((accuracies, fraction))
    return before_acc, results


# ---------------------------------------------------------------- end to end
@needs_torch
def test_curves_before_acc_and_fraction_fixes_equal_the_transcription():
    X, noisy, clean, test_X, test_y = low_rank_problem(10, 60, seed=3)
    rng = np.random.default_rng(1)
    wrong, right = np.flatnonzero(noisy != clean), np.flatnonzero(noisy == clean)
    orders = [
        rng.permutation(10),                                   # a full list
        np.array([*right[:3], *wrong[:2]]),                     # shorter than N, correct rows first
        np.array([*wrong, *right]),                             # every wrong label first
    ]
    before_acc, expected = transcribed_protocol(X, noisy, clean, test_X, test_y, orders)

    # The harness reads embeddings as float64; the protocol must not depend on that.
    evaluator = dp.Dataperf2022Evaluator(X.astype(np.float64), noisy, clean, test_X.astype(np.float64), test_y)
    curves = evaluator.curves(orders)
    assert evaluator.before_acc == before_acc
    for curve, (accuracies, fraction) in zip(curves, expected):
        assert len(curve) == 10
        assert [float(a) for a in curve] == [float(a) for a in accuracies]
        assert dp.fraction_fixes(curve) == fraction
    # one training per distinct label state: noisy, then one per wrong label fixed in each order
    states = {noisy.tobytes()}
    for order in orders:
        labels = noisy.copy()
        for row in order:
            labels[row] = clean[row]
            states.add(labels.tobytes())
    assert evaluator.fits == len(states)
    fits = evaluator.fits
    assert [list(c) for c in evaluator.curves(orders[:1])] == [list(curves[0])]
    assert evaluator.fits == fits  # shared: nothing trained again


@needs_torch
def test_training_over_several_batches_is_bitwise_the_transcription():
    """150 rows: batches of 64, 64 and 22; the trained weights and outputs are identical, not close."""
    X, noisy, _, test_X, test_y = low_rank_problem(150, 80, seed=5)
    model, threshold = transcribed_fit(X, np.vstack(noisy))
    classifier = dp.Dataperf2022Classifier(X.astype(np.float64), test_X, test_y)
    trained = classifier.train(noisy)
    for expected, got in zip(model.parameters(), trained.parameters()):
        assert np.array_equal(expected.detach().numpy(), got.detach().numpy())
    probabilities = classifier.probabilities(trained, classifier.X)
    assert dp.choose_threshold(probabilities, noisy) == threshold
    assert classifier.accuracy(noisy) == transcribed_accuracy(model, test_X, np.vstack(test_y), threshold)


@needs_torch
def test_width_follows_the_data():
    X, noisy, clean, test_X, test_y = low_rank_problem(10, 30, dim=40, seed=7)
    order = np.arange(10)
    before_acc, [(accuracies, fraction)] = transcribed_protocol(X, noisy, clean, test_X, test_y, [order])
    evaluator = dp.Dataperf2022Evaluator(X, noisy, clean, test_X, test_y)
    assert evaluator.before_acc == before_acc
    assert list(evaluator.curve(order)) == accuracies


@needs_torch
def test_the_callers_random_state_and_thread_count_are_left_alone():
    import torch

    X, noisy, clean, test_X, test_y = low_rank_problem(8, 20, dim=16, seed=2)
    torch.manual_seed(123)
    expected = torch.rand(3)
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    dp.Dataperf2022Evaluator(X, noisy, clean, test_X, test_y).curve(np.arange(8))
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


# ---------------------------------------------------------------- threshold rule and rounding
def scalar_threshold_search(probabilities: np.ndarray, labels: np.ndarray) -> float:
    """The rule one threshold at a time, as the original loops."""
    best_acc, best = 0, 0
    for t in list(np.arange(0.1, 1, 0.05)):
        predicted = np.where(probabilities <= t, 0, probabilities)
        predicted = np.where(predicted > t, 1, predicted)
        acc = round((predicted == labels).mean(), 2)
        if acc > best_acc:
            best_acc, best = acc, t
    return best


def test_threshold_ties_go_to_the_first_candidate():
    # every probability far from the candidates: all 18 thresholds give the same accuracy
    labels = np.array([1, 1, 0, 0, 1])
    probabilities = np.array([0.99, 0.995, 0.01, 0.02, 0.03], dtype=np.float32)
    assert dp.choose_threshold(probabilities, labels) == float(np.arange(0.1, 1, 0.05)[0])
    assert dp.choose_threshold(probabilities, labels) == scalar_threshold_search(probabilities, labels)


def test_threshold_ties_after_rounding_keep_the_earlier_candidate():
    # 1000 rows: 851 correct at t=0.1 and 854 at t=0.15 (3 negatives at 0.12): both round to 0.85
    labels = np.zeros(1000, dtype=np.int64)
    labels[:851] = 1
    probabilities = np.where(labels == 1, 0.99, 0.01).astype(np.float32)
    probabilities[851:854] = 0.12        # negatives predicted 1 at t=0.1, 0 from t=0.15 on
    probabilities[854:1000] = 0.99       # negatives predicted 1 everywhere
    accuracies = dp.rounded_accuracy(dp.correct_predictions(probabilities, labels, dp.THRESHOLDS))
    assert accuracies[0] == accuracies[1] == 0.85
    assert dp.choose_threshold(probabilities, labels) == dp.THRESHOLDS[0]
    assert scalar_threshold_search(probabilities, labels) == dp.THRESHOLDS[0]


def test_a_strictly_better_later_threshold_wins():
    labels = np.array([0, 0, 0, 1])
    probabilities = np.array([0.3, 0.31, 0.32, 0.9], dtype=np.float32)  # all right only from t=0.35
    expected = scalar_threshold_search(probabilities, labels)
    assert dp.choose_threshold(probabilities, labels) == expected == dp.THRESHOLDS[5]


def test_threshold_stays_zero_when_every_candidate_scores_zero():
    labels = np.array([0, 1])
    probabilities = np.array([0.99, 0.01], dtype=np.float32)
    assert dp.choose_threshold(probabilities, labels) == 0.0 == scalar_threshold_search(probabilities, labels)


def test_threshold_search_equals_the_scalar_loop_on_random_outputs():
    rng = np.random.default_rng(0)
    for n in (7, 50, 301):
        for _ in range(30):
            labels = rng.integers(0, 2, n)
            probabilities = rng.random(n).astype(np.float32)
            # outputs exactly on a candidate (as float32) exercise the <= / > boundary
            probabilities[: n // 5] = dp.THRESHOLDS[rng.integers(0, 18, n // 5)].astype(np.float32)
            assert dp.choose_threshold(probabilities, labels) == scalar_threshold_search(probabilities, labels)


def test_a_nan_output_is_never_correct():
    correct = dp.correct_predictions(np.array([np.nan, 0.9, 0.05], dtype=np.float32), np.array([0, 1, 0]),
                                     np.array([0.5]))
    assert correct.tolist() == [[False, True, True]]


def test_batched_rounding_equals_numpy_scalar_round_on_every_fraction():
    # includes halves such as 57/200 = 0.285, where numpy's rounding and Python's decimal rounding may part
    for n in (7, 40, 200, 300, 1000):
        counts = np.arange(n + 1)
        correct = np.arange(n)[None, :] < counts[:, None]
        batched = dp.rounded_accuracy(correct)
        scalar = [round(np.mean(row), 2) for row in correct]
        assert batched.tolist() == [float(s) for s in scalar]


# ---------------------------------------------------------------- the score
def test_fraction_fixes_is_the_first_budget_reaching_95_percent_of_the_last():
    curve = [0.7, 0.8, 0.85, 0.9, 0.88]          # target 0.836: first reached at j=2
    assert dp.fraction_fixes(curve) == 2 / 5
    assert dp.fraction_fixes([0.9, 0.5, 0.9]) == 0.0


def test_fraction_fixes_is_minus_one_when_nothing_reaches_the_target():
    # with accuracies >= 0 the last budget always reaches its own target; only a missing value cannot
    assert dp.fraction_fixes([0.5, 0.6, float("nan")]) == -1


@needs_torch
def test_budgets_past_a_short_list_stay_at_the_state_the_list_reached():
    X, noisy, clean, test_X, test_y = low_rank_problem(12, 40, seed=11)
    wrong = np.flatnonzero(noisy != clean)
    evaluator = dp.Dataperf2022Evaluator(X, noisy, clean, test_X, test_y)
    curve = evaluator.curve(wrong[:2])
    fixed = noisy.copy()
    fixed[wrong[:2]] = clean[wrong[:2]]
    assert len(curve) == 12
    assert set(curve[1:].tolist()) == {evaluator.classifier.accuracy(fixed)}
    one = noisy.copy()
    one[wrong[0]] = clean[wrong[0]]
    assert curve[0] == evaluator.classifier.accuracy(one)


# ---------------------------------------------------------------- without torch
def test_missing_torch_is_one_line_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` raise ImportError
    X, noisy, clean, test_X, test_y = low_rank_problem(6, 10, dim=8)
    with pytest.raises(InputError) as error:
        dp.Dataperf2022Evaluator(X, noisy, clean, test_X, test_y)
    assert "requirements-dataperf2022.txt" in error.value.message
    assert "\n" not in error.value.message


# ---------------------------------------------------------------- the task: evaluate_debugging with the option
DATA_ID = "01g317-flipped"


def write_original_layout(root, n=10, dim=2048, seed=4, protocol="dataperf_2022", n_jobs=1):
    """One hyphenated data_id in DataPerf's file names; returns the arrays and the parameters file."""
    import yaml

    from benchmark.sources import layout

    X, noisy, clean, test_X, test_y = low_rank_problem(n, 30, dim=dim, seed=seed)
    emb, gt = root / "data" / "debugging" / "embeddings", root / "data" / "debugging" / "ground_truth"
    ids = layout.image_ids(DATA_ID, n)
    layout.write_table(emb / f"{DATA_ID}_train_0.3_{n}.parquet", layout.debugging_table(ids, X, noisy))
    layout.write_table(emb / f"{DATA_ID}_test_30.parquet",
                       layout.debugging_table(layout.image_ids("test", 30), test_X, test_y))
    layout.write_ground_truth(gt / f"dataset_{DATA_ID}_train.csv", ids, clean)
    params = root / "parameters.yaml"
    params.write_text(yaml.safe_dump({
        "debugging": {"protocol": protocol, "data_ids": {DATA_ID: {
            "train": f"embeddings/{DATA_ID}_train_0.3_{n}.parquet", "test": f"embeddings/{DATA_ID}_test_30.parquet",
            "ground_truth": f"ground_truth/dataset_{DATA_ID}_train.csv"}}},
        "execution": {"n_jobs": n_jobs}}))
    (root / "submissions").mkdir()
    return (X, noisy, clean, test_X, test_y), params


def evaluate(root, params, out):
    from conftest import run_cli

    return run_cli("evaluate_debugging", f"--data_path={root / 'data'}", f"--submission_path={root / 'submissions'}",
                   f"--parameters_file={params}", f"--output_path={out}")


@needs_torch
def test_task_scores_like_the_original_and_says_which_protocol(tmp_path):
    import pandas as pd
    import yaml

    (X, noisy, clean, test_X, test_y), params = write_original_layout(tmp_path)
    orders = {"full": np.random.default_rng(2).permutation(10), "short": np.array([3, 1, 4])}
    for method, order in orders.items():
        (tmp_path / "submissions" / f"{DATA_ID}_{method}.txt").write_text("".join(f"{i}\n" for i in order))
    (tmp_path / "submissions" / f"time_{DATA_ID}_full.txt").write_text("2.5")
    (tmp_path / "submissions" / f"{DATA_ID}_bad.txt").write_text("3\nfour\n")
    assert evaluate(tmp_path, params, tmp_path / "out") == 0  # the bad one is reported, the others scored

    before_acc, expected = transcribed_protocol(X, noisy, clean, test_X, test_y, list(orders.values()))
    results = yaml.safe_load((tmp_path / "out" / "results.yaml").read_text())
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    assert results["settings"]["protocol"] == "dataperf_2022"
    assert results["settings"]["classifier"]["torch"].startswith("2.13.0")
    assert results["data_ids"][DATA_ID]["before_acc"] == before_acc
    for (method, order), (accuracies, fraction) in zip(orders.items(), expected):
        part = results["submissions"][method]["data_ids"][DATA_ID]
        assert part["score"] == fraction and part["before_acc"] == before_acc and part["auc"] == -1
        assert part["fixes_to_target"] == round(fraction * 10)
        assert part["target_acc"] == 0.95 * accuracies[-1]
        assert part["n_listed"] == len(order)
        rows = curves[(curves.submission == method) & (curves.data_id == DATA_ID)]
        assert rows.fixes.tolist() == list(range(1, 11))  # the original's budgets: no budget 0
        assert rows.accuracy.tolist() == accuracies
    assert results["submissions"]["full"]["data_ids"][DATA_ID]["valuation_time_s"] == 2.5
    assert results["submissions"]["bad"]["valid"] is False

    # parallel jobs (one torch thread each) give the same bytes
    parallel = tmp_path / "parallel.yaml"
    parallel.write_text(yaml.safe_dump({**yaml.safe_load(params.read_text()), "execution": {"n_jobs": 2}}))
    assert evaluate(tmp_path, parallel, tmp_path / "out2") == 0
    for name in ("results.yaml", "curves.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (tmp_path / "out2" / name).read_bytes()

    # the plot task reads curves starting at budget 1 and labels the protocol
    from benchmark.formats.results import read_curves, read_results

    read = read_results(tmp_path / "out" / "results.yaml", "debugging")
    assert read.protocol == "dataperf_2022"
    assert read_curves(tmp_path / "out" / "curves.csv", read)[("full", DATA_ID)].fixes == tuple(range(1, 11))


def test_the_option_without_torch_is_one_line_and_exit_2(tmp_path, monkeypatch, caplog):
    _, params = write_original_layout(tmp_path, n=6, dim=8)
    (tmp_path / "submissions" / f"{DATA_ID}_m.txt").write_text("0\n1\n")
    monkeypatch.setitem(sys.modules, "torch", None)
    assert evaluate(tmp_path, params, tmp_path / "out") == 2
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 1 and "\n" not in errors[0]
    assert "pip install -r requirements-dataperf2022.txt" in errors[0]
    assert not (tmp_path / "out").exists()


def test_unknown_protocol_is_rejected(tmp_path, caplog):
    _, params = write_original_layout(tmp_path, n=6, dim=8, protocol="dataperf2022")
    assert evaluate(tmp_path, params, tmp_path / "out") == 2
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"{params}: debugging.protocol: 'dataperf2022' is not one of corrected, dataperf_2022"]
