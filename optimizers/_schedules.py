"""Schedules for the second-moment decay γ of rmsprop and rmsprop_graves.

``constant``: γ_t = γ₀.
``rising``:   γ_t = 1 − (1 − γ₀) / (1 + t/τ)^r, t = 0, 1, 2, ... the 0-based step index.
              γ starts at γ₀ and rises towards 1 (the average forgets ever more slowly); after
              τ steps the distance 1 − γ has shrunk by 2^r. γ₀ = 1 stays 1. For t ≫ τ this is
              Zou et al. 2019's γ_t = 1 − c/t^r (CVPR, "A Sufficient Condition for Convergences of
              Adam and RMSProp", their θ_t) with c = (1 − γ₀)·τ^r; r = gamma_power (1 by default;
              their convergence conditions ask 0 < r ≤ 1).

γ₀, τ, r may be numpy arrays broadcasting against the parameter (one value per trial).
"""

from __future__ import annotations

import numpy as np

SCHEDULES: tuple[str, ...] = ("constant", "rising")


def gamma_at(
    t: int, gamma: float | np.ndarray, schedule: str, tau: float | np.ndarray,
    power: float | np.ndarray = 1.0,
) -> tuple[float | np.ndarray, float | np.ndarray]:
    """Return (γ_t, 1 − γ_t) for the 0-based step index ``t``.

    "constant" returns γ itself (bit for bit what torch uses); "rising" computes 1 − γ_t directly,
    which keeps its precision when γ_t is close to 1.
    """
    if schedule == "constant":
        return gamma, 1.0 - gamma
    if schedule == "rising":
        one_minus = (1.0 - gamma) / (1.0 + t / tau) ** power
        return 1.0 - one_minus, one_minus
    raise ValueError(f"gamma_schedule must be one of {SCHEDULES}, but got gamma_schedule={schedule!r}.")
