"""Plain stochastic gradient descent.

    θ ← θ − lr·g

Matches torch.optim.SGD(lr, momentum=0). No state besides the step counter.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec

DEFAULTS = {"lr": 0.01}


class SGDState(NamedTuple):
    count: int  # steps taken


def init(param: np.ndarray, **_) -> SGDState:
    return SGDState(count=0)


def step(param: np.ndarray, grad: np.ndarray, state: SGDState, *, lr, **_) -> SGDState:
    """θ ← θ − lr·g, in place."""
    delta = np.multiply(grad, lr, dtype=param.dtype)  # dtype=: a float64 lr array must not upcast
    param -= delta
    return SGDState(state.count + 1)


SPEC = Spec("sgd", DEFAULTS, init, step)
