"""Reddi, Kale & Kumar, "On the Convergence of Adam and Beyond", ICLR 2018, Section 3: the linear
problem on which Adam (β1 = 0, β2 = 1/(1 + C²)) — and so RMSprop with γ = β2 — converges to the
worst point of F = [−1, 1] instead of the optimum x* = −1.

Online version (the paper's Theorem 1), t = 1, 2, ...:

    f_t(x) = C·x   if t mod 3 == 1,   −x otherwise          (C > 2)

Its average over a period, (C − 2)·x/3, is minimised at x* = −1. A large gradient C comes once
every three steps; with a short memory (small γ) its square is forgotten by the two −1 steps,
which then move x further up than the C step moved it down, so x drifts to +1.

Stochastic version (Theorem 3), ``stochastic=True``: every step independently

    f_t(x) = C·x   with probability p = (1 + δ)/(C + 1),   −x otherwise    (0 < δ < C)

so E f_t(x) = δ·x, again minimised at −1. The draws come from the run's minibatch stream.

x_0 = 1 (``start``), as in the proof of Theorem 1 (there with no loss of generality). After every
update x is projected back onto [−1, 1] (``project``; for one coordinate Adam's Π_{F,√V} is the
clip). The evaluated loss is the suboptimality of the expected loss, ≥ 0 and 0 only at x = −1:
(C − 2)/3·(x + 1) online, δ·(x + 1) stochastic; the loss reported with each step's gradient is
that one too (f_t itself changes sign from step to step). So f(θ_0) = 2(C − 2)/3 (or 2δ) is the
largest value the loss can take: a run that ends at +1 counts as collapsed (models/outcome.py).
"""

import numpy as np

from .errors import ModelError
from .problems import Problem, check_real


class Reddi(Problem):
    """Reddi et al.'s counterexample on F = [−1, 1]; see the module docstring."""

    name = "reddi"
    streamed = True
    dim = 1
    default_start = (1.0,)
    optimum = np.array([-1.0])
    optimum_loss = 0.0

    def __init__(self, start=None, *, C=3.0, stochastic=False, delta=0.1, tolerance=None):
        self.C = check_real(self.name, "C", C, "a finite number > 2 (the paper's condition: "
                            "the average loss (C − 2)x/3 must favour x = −1)", lambda v: v > 2)
        if not isinstance(stochastic, bool):
            raise ModelError(f"reddi: stochastic={stochastic!r} is not allowed; it must be true "
                             f"(Theorem 3: f_t = C·x with probability (1 + δ)/(C + 1)) or false "
                             f"(Theorem 1: C·x every third step).")
        self.stochastic = stochastic
        self.delta = check_real(self.name, "delta", delta, f"a number in (0, C) = (0, {self.C:g}) "
                                "(the expected loss is δ·x; δ < C keeps the probability below 1)",
                                lambda v: 0 < v < self.C)
        super().__init__(start, tolerance=tolerance)
        if not -1 <= self.start[0] <= 1:
            raise ModelError(f"reddi: start={start!r} is not allowed; it must lie in F = [-1, 1].")
        # the expected loss's slope
        self.slope = self.delta if stochastic else (self.C - 2) / 3

    def __repr__(self):
        kind = f"stochastic=True, delta={self.delta}" if self.stochastic else "online"
        return f"Reddi(C={self.C}, {kind}, start={self.start.tolist()})"

    def value_and_grad(self, theta):
        """The evaluated (expected, shifted) loss slope·(x + 1) and its gradient, θ (..., 1)."""
        x = theta[..., 0]
        return self.slope * (x + 1), np.full_like(theta, self.slope)

    def sampler(self, rng: np.random.Generator, batch_size: int):
        """``theta (..., 1) -> (evaluated loss, ∇f_t)`` for t = 1, 2, ... on successive calls."""
        t = 0
        p = (1 + self.delta) / (self.C + 1)

        def sample(theta):
            nonlocal t
            t += 1
            big = rng.random() < p if self.stochastic else t % 3 == 1
            return self.value_and_grad(theta)[0], np.full_like(theta, self.C if big else -1.0)

        return sample

    @staticmethod
    def project(theta):
        """x ← clip(x, −1, 1), in place."""
        np.clip(theta, -1.0, 1.0, out=theta)
