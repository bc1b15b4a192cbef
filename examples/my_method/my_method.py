"""A selection method and a debugging method on the harness's method API (docs/methods.md)."""
import numpy as np


def closest_to_examples(problem):
    """Positives: the 100 pool rows most like the task's examples; negatives: random pool rows."""
    _, examples = problem.pool.lookup(problem.examples)
    centre = examples.mean(axis=0) / np.linalg.norm(examples.mean(axis=0))
    best_ids, best = np.empty(0, dtype=object), np.empty(0)
    negatives = []
    for ids, X in problem.pool.batches():  # streamed: the pool is never in memory whole
        scores = X @ centre / np.linalg.norm(X, axis=1)
        best_ids, best = np.concatenate([best_ids, ids]), np.concatenate([best, scores])
        keep = np.argsort(-best, kind="stable")[:100]
        best_ids, best = best_ids[keep], best[keep]
        negatives.extend(ids[problem.rng.random(len(ids)) < 0.05])  # about 5% of the pool
    labels = {image_id: 0 for image_id in negatives[: problem.max_train_size - 100]}
    labels.update({image_id: 1 for image_id in best_ids})
    return labels


def label_disagreement(problem):
    """Rows whose 10 nearest training neighbours most often carry the other label come first."""
    X, y = problem.train.X, problem.train.y
    distances = ((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :10]
    disagreement = (y[neighbours] != y[:, None]).mean(axis=1)
    return np.argsort(-disagreement, kind="stable")
