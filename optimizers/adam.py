"""Adam (Kingma & Ba, 2015, Algorithm 1), matching torch.optim.Adam(amsgrad=False, weight_decay=0).

The paper, with t = 1, 2, ... and m, v starting at 0:

    m ← β1·m + (1 − β1)·g          m̂ = m / (1 − β1^t)
    v ← β2·v + (1 − β2)·g²         v̂ = v / (1 − β2^t)
    θ ← θ − lr·m̂ / (√v̂ + ε)        ε after the root, lr applied to the bias-corrected m̂

At β2 = 1 the paper's v̂ is 0/0 (v stays 0 and 1 − β2^t = 0); torch sidesteps this by rejecting
betas[1] = 1 with a ValueError. Here β2 = 1 is allowed and means the β2 → 1 limit: v̂ becomes the
plain mean of g² over all steps so far (AdaGrad's sum divided by t). To get it without a 0/0, the
state holds the bias-corrected averages themselves. With S_t = 1 + β + … + β^(t−1), which equals
(1 − β^t)/(1 − β) and is t at β = 1,

    S1 ← β1·S1 + 1;   m̂ ← m̂ + (g − m̂)/S1
    S2 ← β2·S2 + 1;   v̂ ← v̂ + (g² − v̂)/S2
    θ ← θ − lr·m̂ / (√v̂ + ε)

which is algebraically the paper's update for every β < 1 and continuous at β2 = 1.
``gamma`` is accepted as another name for beta2 so a sweep can set γ uniformly across optimizers.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec

DEFAULTS = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
ALIASES = {"gamma": "beta2"}


class AdamState(NamedTuple):
    count: int  # t, steps taken
    m_hat: np.ndarray  # bias-corrected first moment m̂
    v_hat: np.ndarray  # bias-corrected second moment v̂
    norm1: float | np.ndarray  # S1 = 1 + β1 + … + β1^(t−1); an array for per-trial β1
    norm2: float | np.ndarray  # S2, likewise for β2


def init(param: np.ndarray, **_) -> AdamState:
    return AdamState(0, np.zeros_like(param), np.zeros_like(param), 0.0, 0.0)


def step(param, grad, state: AdamState, *, lr, beta1, beta2, eps, **_) -> AdamState:
    """One bias-corrected Adam step, in place (see the module docstring)."""
    norm1 = beta1 * state.norm1 + 1.0
    norm2 = beta2 * state.norm2 + 1.0
    m_hat, v_hat = state.m_hat, state.v_hat
    tmp = np.subtract(grad, m_hat, dtype=param.dtype)  # the one temporary per step
    np.divide(tmp, norm1, out=tmp)
    m_hat += tmp
    np.multiply(grad, grad, out=tmp)
    tmp -= v_hat
    np.divide(tmp, norm2, out=tmp)
    v_hat += tmp
    np.sqrt(v_hat, out=tmp)
    np.add(tmp, eps, out=tmp)
    np.divide(m_hat, tmp, out=tmp)
    np.multiply(tmp, lr, out=tmp)
    param -= tmp
    return AdamState(state.count + 1, m_hat, v_hat, norm1, norm2)


SPEC = Spec("adam", DEFAULTS, init, step, ALIASES)
