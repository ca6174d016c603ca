"""RMSprop as in Graves (2013), "Generating Sequences With Recurrent Neural Networks", eq. 38–41
(Chainer's RMSpropGraves; the defaults are Chainer's).

    n ← γ_t·n + (1 − γ_t)·g²                  n starts at 0
    ḡ ← γ_t·ḡ + (1 − γ_t)·g                   ḡ starts at 0
    Δ ← μ·Δ − lr·g / √(n − ḡ² + ε)            Δ starts at 0; ε inside the root
    θ ← θ + Δ

n − ḡ² is a running variance of g, so this is a "centered" RMSprop (like torch's centered=True,
but with ε inside the root and lr inside the momentum buffer Δ). ε also keeps the root real when
rounding makes n − ḡ² slightly negative. γ_t follows gamma_schedule exactly as in rmsprop.py.
With γ = 1, n and ḡ stay 0 and Δ ← μ·Δ − (lr/√ε)·g: momentum SGD with lr/√ε.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec
from ._schedules import gamma_at

DEFAULTS = {
    "lr": 1e-4,
    "gamma": 0.95,
    "momentum": 0.9,
    "eps": 1e-4,
    "gamma_schedule": "constant",
    "gamma_tau": 1000.0,
    "gamma_power": 1.0,
}


class RMSpropGravesState(NamedTuple):
    count: int
    square_avg: np.ndarray  # n
    grad_avg: np.ndarray  # ḡ
    delta: np.ndarray  # Δ, the last step, lr included


def init(param: np.ndarray, **_) -> RMSpropGravesState:
    return RMSpropGravesState(0, np.zeros_like(param), np.zeros_like(param), np.zeros_like(param))


def step(
    param, grad, state: RMSpropGravesState, *, lr, gamma, momentum, eps,
    gamma_schedule="constant", gamma_tau=1000.0, gamma_power=1.0, **_,
) -> RMSpropGravesState:
    """Graves (2013) eq. 38–41, in place."""
    gamma_t, one_minus = gamma_at(state.count, gamma, gamma_schedule, gamma_tau, gamma_power)
    n, gbar, delta = state.square_avg, state.grad_avg, state.delta
    tmp = np.multiply(grad, grad, dtype=param.dtype)  # the one temporary per step
    np.multiply(tmp, one_minus, out=tmp)
    np.multiply(n, gamma_t, out=n)
    n += tmp
    np.multiply(grad, one_minus, out=tmp)
    np.multiply(gbar, gamma_t, out=gbar)
    gbar += tmp
    np.square(gbar, out=tmp)
    np.subtract(n, tmp, out=tmp)
    np.add(tmp, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    np.divide(grad, tmp, out=tmp)
    np.multiply(tmp, lr, out=tmp)
    np.multiply(delta, momentum, out=delta)
    delta -= tmp
    param += delta
    return RMSpropGravesState(state.count + 1, n, gbar, delta)


SPEC = Spec("rmsprop_graves", DEFAULTS, init, step)
