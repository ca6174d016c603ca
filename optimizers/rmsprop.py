"""RMSprop (Tieleman & Hinton, 2012), by default exactly torch.optim.RMSprop(alpha=γ, centered=False,
momentum=0, weight_decay=0).

    s ← γ_t·s + (1 − γ_t)·g²         s starts at s₀ = initial_square_avg (default 0)
    θ ← θ − lr·g / (√s + ε)          eps_in_sqrt=False (default, PyTorch): ε after the root
    θ ← θ − lr·g / √(s + ε)          eps_in_sqrt=True (TensorFlow 1, optax): ε inside the root

γ_t = γ for gamma_schedule="constant"; "rising" makes γ_t = 1 − (1 − γ)/(1 + t/τ) with the 0-based
step index t and τ = gamma_tau (see _schedules.py). lr multiplies the whole step; there is no
momentum buffer.

bias_correction=True divides s by its weight, as Adam does: with S_t = γ_t·S_{t−1} + 1 (S_0 = 0),

    ŝ ← ŝ + (g² − ŝ)/S_t             (= s/(1 − γ^t) for a constant γ < 1, with s₀ = 0)
    θ ← θ − lr·g / (√ŝ + ε)

which is exactly Adam with β1 = 0 (see adam.py; torch.optim.Adam(betas=(0, γ))) and, like it,
continuous at γ = 1, where ŝ is the plain mean of g² so far. s₀ plays no part (the first step
has S_1 = 1, ŝ = g²), so initial_square_avg must stay 0; it is defined for a constant γ only.

The named conventions of the frameworks (``conventions.py``; ``optimizer/convention`` in conf/):
PyTorch s₀ = 0, ε after the root; TF1 s₀ = 1, ε inside; optax and Keras 3 s₀ = 0, ε inside;
bias-corrected as above.

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

from . import fused
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
    "gamma_power": 1.0,
    "bias_correction": False,
}


class RMSpropState(NamedTuple):
    count: int  # steps taken; the schedule's t
    square_avg: np.ndarray  # s, the running average of g² (ŝ with bias_correction)
    norm: float | np.ndarray = 0.0  # S_t, the bias correction's weight; an array for per-trial γ


def init(param: np.ndarray, *, initial_square_avg=0.0, **_) -> RMSpropState:
    s = np.zeros_like(param)
    s[...] = initial_square_avg  # broadcasts a per-trial array too
    return RMSpropState(0, s, 0.0)


def step(
    param, grad, state: RMSpropState, *, lr, gamma, eps,
    eps_in_sqrt=False, gamma_schedule="constant", gamma_tau=1000.0, gamma_power=1.0, bias_correction=False, **_,
) -> RMSpropState:
    """s ← γ_t·s + (1 − γ_t)·g² (or the bias-corrected ŝ); θ ← θ − lr·g/(√s + ε) (or /√(s + ε))."""
    gamma_t, one_minus = gamma_at(state.count, gamma, gamma_schedule, gamma_tau, gamma_power)
    s, norm = state.square_avg, state.norm
    if bias_correction:
        norm = gamma_t * norm + 1.0
    if fused.flat_scalars(param, grad, s, scalars=(lr, gamma_t, eps, norm)):  # one pass, same arithmetic
        fused.rmsprop(param, grad, s, lr=lr, gamma_t=gamma_t, one_minus=one_minus, eps=eps,
                      eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction, norm=norm)
        return RMSpropState(state.count + 1, s, norm)
    if fused.members(param, grad, s, lr, gamma_t, one_minus, eps, norm):  # per-trial arrays, one pass
        fused.rmsprop_members(param, grad, s, lr=lr, gamma_t=gamma_t, one_minus=one_minus, eps=eps,
                              eps_in_sqrt=eps_in_sqrt, bias_correction=bias_correction, norm=norm)
        return RMSpropState(state.count + 1, s, norm)
    tmp = np.multiply(grad, grad, dtype=param.dtype)  # the one temporary per step
    if bias_correction:
        tmp -= s
        np.divide(tmp, norm, out=tmp)
    else:
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
    return RMSpropState(state.count + 1, s, norm)


SPEC = Spec("rmsprop", DEFAULTS, init, step)
