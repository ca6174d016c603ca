"""One contiguous buffer behind a dict of arrays.

Every optimizer here is element-wise, so updating a network's ten weight and bias arrays is the
same arithmetic as updating one vector that holds them all. Stored that way (each array a view
into one 1-D buffer), an optimizer step is one pass of each ufunc over ~110k numbers instead of
ten passes over small arrays, and the Python overhead per step no longer grows with the number
of layers: on the MNIST network RMSprop's update drops from ~145 to ~95 µs a step.
"""

from __future__ import annotations

import numpy as np


def packed(shapes: dict[str, tuple[int, ...]], dtype) -> dict[str, np.ndarray]:
    """Zero-filled arrays of the given shapes, in order, as views into one new 1-D buffer."""
    buffer = np.zeros(sum(int(np.prod(s)) for s in shapes.values()), dtype)
    views, start = {}, 0
    for key, shape in shapes.items():
        size = int(np.prod(shape))
        views[key] = buffer[start : start + size].reshape(shape)
        start += size
    return views


def whole(arrays: dict[str, np.ndarray]) -> np.ndarray | None:
    """The 1-D buffer that ``arrays`` tile exactly, in order and without gaps; else None.

    None when any array was replaced by one of its own (e.g. ``params["W1"] = W.copy()``), so a
    caller falls back to the arrays one by one and never updates a stale buffer.
    """
    first = next(iter(arrays.values()), None)
    buffer = getattr(first, "base", None)
    if not isinstance(buffer, np.ndarray) or buffer.ndim != 1 or not buffer.flags.c_contiguous:
        return None
    address = buffer.__array_interface__["data"][0]
    step = buffer.itemsize
    for a in arrays.values():
        if (a.base is not buffer or not a.flags.c_contiguous
                or a.__array_interface__["data"][0] != address):
            return None
        address += a.size * step
    if address != buffer.__array_interface__["data"][0] + buffer.size * step:
        return None
    return buffer
