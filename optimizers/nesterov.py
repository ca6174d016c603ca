"""SGD with Nesterov momentum, exactly as torch.optim.SGD(momentum=μ, nesterov=True, dampening=0).

    b ← μ·b + g             b starts at 0 (torch starts it at g, the same thing)
    θ ← θ − lr·(g + μ·b)

This is the Sutskever et al. (2013) look-ahead rewritten in the current parameters; with v = −lr·b
it reads θ ← θ + μ²·v_old − (1+μ)·lr·g (Bengio et al. 2012). "Deep Learning from Scratch" uses
μ²·v_new there (it updates v first), which does not reproduce torch's parameter sequence.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec

DEFAULTS = {"lr": 0.01, "momentum": 0.9}


class NesterovState(NamedTuple):
    count: int
    buffer: np.ndarray  # b, torch's momentum_buffer: a sum of gradients, lr not applied


def init(param: np.ndarray, **_) -> NesterovState:
    return NesterovState(0, np.zeros_like(param))


def step(param, grad, state: NesterovState, *, lr, momentum, **_) -> NesterovState:
    """b ← μ·b + g; θ ← θ − lr·(g + μ·b), in place."""
    b = state.buffer
    np.multiply(b, momentum, out=b)
    b += grad
    tmp = np.multiply(b, momentum, dtype=param.dtype)  # the one temporary: g + μ·b
    tmp += grad
    np.multiply(tmp, lr, out=tmp)
    param -= tmp
    return NesterovState(state.count + 1, b)


SPEC = Spec("nesterov", DEFAULTS, init, step)
