"""Steps to a tolerance: the first step k at which f(θ_k) − f* ≤ tolerance · (f(θ_0) − f*).

A problem's ``tolerance`` (a model option, None = off) turns it on; both training loops then
evaluate f — the problem's evaluated loss, ``loss`` — after every update (not only at the
evaluation steps), so the step is exact. f* is the problem's ``optimum_loss``.

Convention: ``final["steps_to_tol"]`` is that k as a float, or NaN when the run never got there;
a diverged run's ``final`` is its step-0 metrics, so it gets NaN too (reaching the tolerance on
the way to blowing up is no help, as in sweeps/analysis/speed.py). The value flows with ``final``
to Optuna (user attribute ``final``) and MLflow (metric ``final_steps_to_tol``, NaN included).
The run keeps going to ``steps`` once it is reached, so curves stay comparable.
"""

import numpy as np


class StepsToTol:
    """The first step within tolerance of each of K members (K = 1 for a single run)."""

    def __init__(self, tolerance: float, optimum_loss: float, f0: np.ndarray):
        self.tolerance, self.optimum_loss = tolerance, optimum_loss
        self.excess0 = np.asarray(f0, np.float64) - optimum_loss  # (K,) f(θ_0) − f*
        self.step = np.full(self.excess0.shape, np.nan)  # (K,) NaN: not reached yet
        self.observe(0, f0, np.arange(self.step.size))

    def observe(self, step: int, f: np.ndarray, members: np.ndarray) -> None:
        """f(θ_step) of the members still training (``members``: their indices, in order)."""
        excess = np.asarray(f, np.float64) - self.optimum_loss
        hit = np.isnan(self.step[members]) & (excess <= self.tolerance * self.excess0[members])
        self.step[members[hit]] = step

    def final(self, member: int, diverged: bool) -> dict[str, float]:
        return {"steps_to_tol": np.nan if diverged else float(self.step[member])}
