"""SGD with classical (heavy-ball) momentum, lr applied inside the velocity.

    v ← μ·v − lr·g          v starts at 0
    θ ← θ + v

torch.optim.SGD(momentum=μ, dampening=0) keeps instead the buffer b ← μ·b + g (b starts at g,
which is the same as starting at 0) and steps θ ← θ − lr·b. With v = −lr·b the two are the same
sequence of parameters for a constant lr. They differ once lr changes during training: here a new
lr applies to new gradients only, in torch it rescales the whole accumulated buffer at once.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec

DEFAULTS = {"lr": 0.01, "momentum": 0.9}


class MomentumState(NamedTuple):
    count: int
    velocity: np.ndarray  # v, shape and dtype of the parameter


def init(param: np.ndarray, **_) -> MomentumState:
    return MomentumState(0, np.zeros_like(param))


def step(param, grad, state: MomentumState, *, lr, momentum, **_) -> MomentumState:
    """v ← μ·v − lr·g; θ ← θ + v, in place."""
    v = state.velocity
    np.multiply(v, momentum, out=v)
    v -= np.multiply(grad, lr, dtype=param.dtype)
    param += v
    return MomentumState(state.count + 1, v)


SPEC = Spec("momentum", DEFAULTS, init, step)
