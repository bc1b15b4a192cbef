"""Streaming over the candidate pool: batches, running top-k and a random sample.

The real pool holds more than a million 256-d rows; a baseline never loads it
whole. :func:`scan_pool` yields bounded batches of a pyarrow scan; the
accumulators below keep only what a baseline needs (the k best rows by a score,
a uniform random sample) and give the same result whatever the order of the
part files or batches, because every tie is broken by ImageID and the random
sample is drawn with per-ImageID hash keys rather than a sequential generator.
"""
from __future__ import annotations

import hashlib
from typing import Iterator

import numpy as np
import pyarrow.parquet as pq

from ..errors import ResourceError
from ..formats.embeddings import embedding_matrix
from ..formats.resources import CandidatePool

BATCH_ROWS = 32_768  # 32k x 256 float64 = 64 MiB per batch


def scan_pool(pool: CandidatePool, batch_rows: int = BATCH_ROWS,
              expected_dim: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(ImageIDs as an object array, float64 embeddings) per batch, one part file at a time.

    Each part file is read sequentially, row group by row group, without
    read-ahead: memory holds one decoded row group and one batch, however large
    the pool (a dataset scanner with read-ahead held about twice as much).
    """
    for path in pool.dataset.files:
        try:
            parquet = pq.ParquetFile(path)
            batches = parquet.iter_batches(batch_size=batch_rows, columns=[pool.ID, pool.EMBEDDING],
                                           use_threads=False)
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                column = batch.column(pool.ID)
                if column.null_count:
                    raise ResourceError("candidate pool has missing ImageIDs", path)
                ids = np.asarray(column.to_pylist(), dtype=object)
                X = embedding_matrix(batch.column(pool.EMBEDDING), path, pool.EMBEDDING, expected_dim)
                expected_dim = X.shape[1]
                yield ids, X
        except (OSError, ValueError, KeyError) as exc:  # pyarrow's errors derive from these
            raise ResourceError(f"candidate pool cannot be scanned ({str(exc).splitlines()[0]})", path) from None


def hash_keys(ids: np.ndarray, seed: int) -> np.ndarray:
    """Uniform pseudo-random uint64 keys derived from (seed, ImageID): order-independent randomness."""
    salt = seed.to_bytes(8, "little", signed=False)
    return np.fromiter((int.from_bytes(hashlib.blake2b(str(i).encode(), digest_size=8, salt=salt).digest(), "little")
                        for i in ids), dtype=np.uint64, count=len(ids))


class TopK:
    """The k rows with the highest score seen so far; ties go to the smaller ImageID."""

    def __init__(self, k: int):
        self.k = k
        self.ids = np.empty(0, dtype=object)
        self.X: np.ndarray | None = None
        self.scores = np.empty(0, dtype=np.float64)

    def add(self, ids: np.ndarray, X: np.ndarray, scores: np.ndarray) -> None:
        if self.k <= 0 or len(ids) == 0:
            return
        if len(ids) > self.k:  # cut the batch first, so the merge below stays small
            keep = _best(ids, scores, self.k)
            ids, X, scores = ids[keep], X[keep], scores[keep]
        all_ids = np.concatenate([self.ids, ids])
        all_X = X if self.X is None else np.concatenate([self.X, X])
        all_scores = np.concatenate([self.scores, scores])
        keep = _best(all_ids, all_scores, self.k)
        self.ids, self.X, self.scores = all_ids[keep], all_X[keep], all_scores[keep]


def _best(ids: np.ndarray, scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best rows, best first (score descending, then ImageID ascending)."""
    order = np.lexsort((ids.astype(str), -scores))
    return order[:k]


class HashSample(TopK):
    """A uniform sample of k rows without replacement: the k smallest hash keys (bottom-k sampling).

    Equivalent to a reservoir sample, but independent of the order rows arrive in.
    ``ids`` come out sorted by key, so any prefix is itself a uniform sample.
    """

    def __init__(self, k: int, seed: int):
        super().__init__(k)
        self.seed = seed

    def add_rows(self, ids: np.ndarray, X: np.ndarray) -> None:
        # the top 53 bits of a key are exact as float64; equal truncated keys fall back to ImageID
        keys = hash_keys(ids, self.seed) >> np.uint64(11)
        self.add(ids, X, -keys.astype(np.float64))
