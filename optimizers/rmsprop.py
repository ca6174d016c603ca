"""RMSprop (Tieleman & Hinton, 2012), by default exactly torch.optim.RMSprop(alpha=γ, centered=False,
momentum=0, weight_decay=0).

    s ← γ_t·s + (1 − γ_t)·g²         s starts at s₀ = initial_square_avg (default 0)
    θ ← θ − lr·g / (√s + ε)          eps_in_sqrt=False (default, PyTorch): ε after the root
    θ ← θ − lr·g / √(s + ε)          eps_in_sqrt=True (TensorFlow 1, optax): ε inside the root

γ_t = γ for gamma_schedule="constant"; "rising" makes γ_t = 1 − (1 − γ)/(1 + t/τ) with the 0-based
step index t and τ = gamma_tau (see _schedules.py). lr multiplies the whole step; there is no
momentum buffer.

What γ = 1 does is decided by the two conventions, because s never moves from s₀:
  * s₀ = 0, ε after the root:  θ ← θ − (lr/ε)·g   (lr = 0.01, ε = 1e-8: a 10⁶ times larger SGD step;
    torch does exactly this, it accepts alpha=1)
  * s₀ = 0, ε inside the root: θ ← θ − (lr/√ε)·g
  * s₀ = 1 (TensorFlow 1):     θ ← θ − lr/(1 + ε)·g, or lr/√(1 + ε) with eps_in_sqrt; plain SGD
    with lr up to a relative 1e-8.
γ = 0 gives s = g², i.e. θ ← θ − lr·g/(|g| + ε): sign descent.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec
from ._schedules import gamma_at

DEFAULTS = {
    "lr": 0.01,
    "gamma": 0.99,
    "eps": 1e-8,
    "eps_in_sqrt": False,
    "initial_square_avg": 0.0,
    "gamma_schedule": "constant",
    "gamma_tau": 1000.0,
}


class RMSpropState(NamedTuple):
    count: int  # steps taken; the schedule's t
    square_avg: np.ndarray  # s, the running average of g²


def init(param: np.ndarray, *, initial_square_avg=0.0, **_) -> RMSpropState:
    s = np.zeros_like(param)
    s[...] = initial_square_avg  # broadcasts a per-trial array too
    return RMSpropState(0, s)


def step(
    param, grad, state: RMSpropState, *, lr, gamma, eps,
    eps_in_sqrt=False, gamma_schedule="constant", gamma_tau=1000.0, **_,
) -> RMSpropState:
    """s ← γ_t·s + (1 − γ_t)·g²; θ ← θ − lr·g/(√s + ε) (or /√(s + ε)), in place."""
    gamma_t, one_minus = gamma_at(state.count, gamma, gamma_schedule, gamma_tau)
    s = state.square_avg
    tmp = np.multiply(grad, grad, dtype=param.dtype)  # the one temporary per step
    np.multiply(tmp, one_minus, out=tmp)
    np.multiply(s, gamma_t, out=s)
    s += tmp
    if eps_in_sqrt:
        np.add(s, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
    else:
        np.sqrt(s, out=tmp)
        np.add(tmp, eps, out=tmp)
    np.divide(grad, tmp, out=tmp)
    np.multiply(tmp, lr, out=tmp)
    param -= tmp
    return RMSpropState(state.count + 1, s)


SPEC = Spec("rmsprop", DEFAULTS, init, step)
