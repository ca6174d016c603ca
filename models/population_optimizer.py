"""Shrinking a population's optimizer to the members that are still training.

``optimizers.Optimizer`` keeps per-trial hyperparameters (K,) and per-parameter state (K, ...)
but has no public way to drop trials, so this reaches into its private ``_hp`` and ``_key_hp``
(the per-parameter reshaped hyperparameters). A member's update reads only its own rows of the
hyperparameters and state, so the rows kept continue exactly as before.
"""

import copy

import numpy as np


def keep_members(optimizer, rows, params):
    """A copy of ``optimizer`` for the members ``rows`` (old row indices, in their new order).

    ``params`` are the new stacked parameters; state buffers shaped like a parameter are rebuilt
    in that parameter's memory layout, so the in-place updates keep running over matching strides.
    The original optimizer is not modified.
    """
    rows = np.asarray(rows, dtype=np.intp)
    new = copy.copy(optimizer)
    new._hp = {name: _rows(v, rows) for name, v in optimizer._hp.items()}
    new._key_hp = {key: {name: _rows(v, rows) for name, v in hp.items()}
                   for key, hp in optimizer._key_hp.items()}
    new.state = {key: type(state)(*(_rows(v, rows, like=params[key]) for v in state))
                 for key, state in optimizer.state.items()}
    return new


def _rows(value, rows, like=None):
    """value[rows] for per-trial arrays; counters and shared scalars unchanged."""
    if not isinstance(value, np.ndarray) or value.ndim == 0:
        return value
    if like is not None and value.shape[1:] == like.shape[1:]:
        out = np.empty_like(like)  # like's strides, e.g. the (d0, K, d1) layout of W1
        out[...] = value[rows]
        return out
    return value[rows]
