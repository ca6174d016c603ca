"""Reader for the IDX format of the MNIST family (LeCun et al.), gzip-compressed or raw.

Layout, all integers big-endian::

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions, ndim
    4 * ndim    size of each dimension, uint32
    rest        the elements, C order, exactly prod(sizes) of them
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

from ._errors import DataError

_GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> big-endian numpy dtype
_IDX_TYPES = {
    0x08: np.dtype("u1"),
    0x09: np.dtype("i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | Path) -> np.ndarray:
    """Read one IDX file (gzip detected from its first bytes, not its name) into a native-endian array."""
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(
            f"IDX file {path} is {len(raw)} bytes long, shorter than the 4-byte magic number; "
            "it is truncated or not an IDX file. Delete it and download or copy it again."
        )
    zero, type_code, ndim = raw[0:2], raw[2], raw[3]
    if zero != b"\x00\x00" or type_code not in _IDX_TYPES or ndim == 0:
        known = ", ".join(f"0x{code:02X}" for code in _IDX_TYPES)
        raise DataError(
            f"IDX file {path} has magic number 0x{raw[:4].hex().upper()}, which is not an IDX header "
            f"(expected 0x0000, then a type code in {known}, then ndim >= 1; e.g. 0x00000803 for "
            "images, 0x00000801 for labels). Check that the path points at an MNIST-style "
            "*-idx?-ubyte(.gz) file."
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(
            f"IDX file {path} declares {ndim} dimensions but ends after {len(raw)} bytes, inside its "
            f"{header_len}-byte header; it is truncated. Delete it and download or copy it again."
        )
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = _IDX_TYPES[type_code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    found = len(raw) - header_len
    if found != expected:
        problem = "truncated" if found < expected else "longer than its header says (corrupt)"
        raise DataError(
            f"IDX file {path} has shape {shape} of {dtype.name}, i.e. {expected} data bytes, but holds "
            f"{found}; it is {problem}. Delete it and download or copy it again."
        )
    data = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(shape)
    return data.astype(dtype.newbyteorder("="), copy=True)  # owned, writeable, native-endian


def _read_bytes(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        reason = e.strerror or e
        raise DataError(f"cannot read IDX file {path}: {reason}. Check the path and its permissions.") from e
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(
            f"IDX file {path} is gzip-compressed but cannot be decompressed ({type(e).__name__}: {e}); "
            "it is truncated or corrupt. Delete it and download or copy it again."
        ) from e
