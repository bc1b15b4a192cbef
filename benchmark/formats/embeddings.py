"""Arrow embedding columns -> validated float64 matrices.

DataPerf stores embeddings as a list column (float32 or float64; Spark writes
variable-size lists, others fixed-size lists). Every row must have the same
dimension and only finite values; anything else is a broken resource file.

Arrays are read through their buffers (:func:`arrow_numbers`): pyarrow's
``to_numpy`` and its compute functions import pandas on first use, 0.2 s that a
debugging evaluation (about 1 s in all at N = 300) otherwise never needs.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa

from ..errors import ResourceError


def arrow_numbers(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A null-free Arrow array of numbers or booleans as numpy (a view of its buffer where it can be)."""
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks == 0:
            return np.empty(0, dtype=bool if pa.types.is_boolean(array.type) else array.type.to_pandas_dtype())
        array = array.combine_chunks()
    n, data = len(array), array.buffers()[1]
    if pa.types.is_boolean(array.type):
        if n == 0:
            return np.empty(0, dtype=bool)
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[array.offset: array.offset + n].astype(bool)
    dtype = np.dtype(array.type.to_pandas_dtype())
    if n == 0:
        return np.empty(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=n, offset=array.offset * dtype.itemsize)


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
    lengths = (np.full(n, column.type.list_size) if pa.types.is_fixed_size_list(column.type)
               else np.diff(arrow_numbers(column.offsets)))
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
    matrix = arrow_numbers(values).astype(np.float64, copy=False).reshape(n, dim)
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        row = int(np.flatnonzero(~finite)[0])
        raise ResourceError(f"column {name!r}: {row_label(row)} has NaN or infinite values", path)
    return matrix
