"""The IDX file format (MNIST, Fashion-MNIST), read with numpy; gzip-compressed or raw.

An IDX file is: two zero bytes, a type byte, a byte with the number of dimensions n, n big-endian
uint32 sizes, then the data in row-major order (big-endian for types wider than a byte). Debian's
``dataset-fashion-mnist`` recompresses the upstream files, so their checksums differ from upstream's;
:func:`read_idx` checks the structure (magic, type, the size the header promises) instead.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from .._validate import LTHInputError

__all__ = ["IDX_TYPES", "read_idx", "write_idx"]

#: IDX type byte -> numpy dtype (big-endian where it matters)
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def _read_bytes(path: Path) -> bytes:
    with open(path, "rb") as f:
        head = f.read(2)
    opener = gzip.open if head == b"\x1f\x8b" else open
    try:
        with opener(path, "rb") as f:
            return f.read()
    except (OSError, EOFError) as e:
        raise LTHInputError(f"{path}: not a readable IDX file ({e})") from None


def read_idx(path: Path | str) -> np.ndarray:
    """The array stored in an IDX file (``.gz`` or raw, detected from the content), in native byte
    order; a one-line :class:`LTHInputError` naming the file when it is absent or malformed."""
    path = Path(path)
    if not path.is_file():
        raise LTHInputError(f"IDX file {path} does not exist")
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise LTHInputError(f"{path}: not an IDX file (bad magic number)")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        raise LTHInputError(f"{path}: unknown IDX data type 0x{code:02x}")
    if ndim == 0 or len(data) < 4 + 4 * ndim:
        raise LTHInputError(f"{path}: truncated IDX header ({ndim} dimensions)")
    shape = tuple(int(s) for s in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    count = int(np.prod(shape, dtype=np.int64))
    start = 4 + 4 * ndim
    if len(data) - start != count * dtype.itemsize:
        raise LTHInputError(
            f"{path}: the header promises {count * dtype.itemsize} data bytes for shape {shape}, "
            f"the file holds {len(data) - start}"
        )
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=start).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def write_idx(path: Path | str, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzip when ``compress``, default: when the name ends in .gz).
    The inverse of :func:`read_idx`, for tests and small exports."""
    path = Path(path)
    arr = np.asarray(array)
    codes = {np.dtype(v).newbyteorder("="): k for k, v in IDX_TYPES.items()}
    code = codes.get(arr.dtype.newbyteorder("="))
    if code is None:
        raise LTHInputError(f"array dtype {arr.dtype} has no IDX type")
    header = bytes([0, 0, code, arr.ndim]) + np.array(arr.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(arr, dtype=IDX_TYPES[code]).tobytes()
    if compress is None:
        compress = path.suffix == ".gz"
    path.write_bytes(gzip.compress(payload) if compress else payload)
