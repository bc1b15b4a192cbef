"""Arrow embedding columns -> validated float64 matrices.

DataPerf stores embeddings as a list column (float32 or float64; Spark writes
variable-size lists, others fixed-size lists). Every row must have the same
dimension and only finite values; anything else is a broken resource file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .errors import ResourceError


def embedding_matrix(
    column: pa.ChunkedArray | pa.Array,
    path: str | Path,
    name: str,
    expected_dim: int | None = None,
    row_label: Callable[[int], str] = lambda row: f"row {row}",
) -> np.ndarray:
    """Return an (n, d) float64 matrix from a list column, or raise ResourceError naming the file.

    ``row_label`` names a row in messages (the candidate pool names the ImageID and its
    part file, since its rows are a filtered scan whose positions mean nothing to the user).
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)
            or pa.types.is_fixed_size_list(column.type)):
        raise ResourceError(f"column {name!r} must be a list of numbers, found {column.type}", path)
    value_type = column.type.value_type
    if not (pa.types.is_floating(value_type) or pa.types.is_integer(value_type)):
        raise ResourceError(f"column {name!r} must hold numbers, found lists of {value_type}", path)
    n = len(column)
    if column.null_count:
        row = int(np.flatnonzero(column.is_null().to_numpy(zero_copy_only=False))[0])
        raise ResourceError(f"column {name!r}: {row_label(row)} has no embedding", path)
    if n == 0:
        return np.empty((0, expected_dim or 0), dtype=np.float64)
    lengths = pc.list_value_length(column).to_numpy(zero_copy_only=False)
    dim = int(lengths[0])
    bad = np.flatnonzero(lengths != dim)
    if bad.size:
        raise ResourceError(
            f"column {name!r}: inconsistent embedding dimension ({dim} in {row_label(0)}, "
            f"{int(lengths[bad[0]])} in {row_label(int(bad[0]))})", path)
    if dim == 0:
        raise ResourceError(f"column {name!r}: embeddings are empty", path)
    if expected_dim is not None and dim != expected_dim:
        raise ResourceError(
            f"column {name!r}: embeddings have dimension {dim}, expected {expected_dim}", path)
    values = column.flatten()
    if values.null_count:
        raise ResourceError(f"column {name!r}: embeddings contain missing values", path)
    matrix = values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False).reshape(n, dim)
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise ResourceError(f"column {name!r}: {row_label(row)} has NaN or infinite values", path)
    return matrix
