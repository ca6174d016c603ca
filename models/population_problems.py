"""K copies of a problem: θ stacked to (K, d), f and ∇f of all members at once.

The problems of ``problems.py`` and the streamed ones (noisy_quadratic, reddi, written for
θ (..., d)) have vectorised formulas here (the same arithmetic per member); any other
``Problem`` falls back to calling its ``loss_and_grads`` once per member. A streamed problem's
``sampler`` draws once per step for the whole stack, so every member sees the noise (or the
step t) its single run would.
"""

import numpy as np

from .noisy_quadratic import NoisyQuadratic
from .problems import LinearRegression, Problem, Quadratic, RotatedQuadratic, rotated_loss_grad
from .reddi import Reddi


def _quadratic(problem, theta):
    x, y = theta[:, 0], theta[:, 1]  # (K,)
    return x * x / 20 + y * y, np.stack([x / 10, 2 * y], axis=1)


def _rotated_quadratic(problem, theta):
    return rotated_loss_grad(theta, problem.c, problem.s)  # (K,), (K, 2)


def _linear_regression(problem, theta):
    X, y = problem.X.astype(theta.dtype), problem.y.astype(theta.dtype)  # float32 stays float32
    r = theta @ X.T - y  # (K, n) residuals
    return np.mean(r * r, axis=1), (2.0 / len(y)) * (r @ X)  # (K,), (K, 2)


def _trailing(problem, theta):
    return problem.value_and_grad(theta)  # written for θ (..., d): (K,), (K, d)


_VECTORISED = {
    Quadratic: _quadratic,
    RotatedQuadratic: _rotated_quadratic,
    LinearRegression: _linear_regression,
    NoisyQuadratic: _trailing,
    Reddi: _trailing,
}


class StackedProblem:
    """The population version of ``problem``: every member starts at ``problem``'s start."""

    needs_data = False

    def __init__(self, problem: Problem):
        self.problem = problem
        self.trajectory_key = problem.trajectory_key
        self.project = problem.project  # in place, works on (K, d)
        self._formula = _VECTORISED.get(type(problem))  # subclasses may change f: no formula

    def __repr__(self):
        return f"StackedProblem({self.problem!r})"

    def init_params(self, rng, dtype, k):
        theta = self.problem.init_params(rng, dtype)["theta"]
        return {"theta": np.repeat(theta[None], k, axis=0)}  # (K, d)

    def take(self, params, rows):
        return {"theta": params["theta"][np.asarray(rows)]}  # a copy

    def member(self, params, row):
        return {"theta": params["theta"][row].copy()}

    def loss_and_grads(self, params):
        """f(θ_i) for every member as float64 (K,), and {"theta": ∇f (K, d)} in θ's dtype."""
        theta = params["theta"]
        if self._formula is not None:
            losses, grad = self._formula(self.problem, theta)
            return losses.astype(np.float64), {"theta": grad}
        pairs = [self.problem.loss_and_grads({"theta": t}) for t in theta]
        return (np.array([f for f, _ in pairs]),
                {"theta": np.stack([g["theta"] for _, g in pairs]).astype(theta.dtype)})

    def oracle(self, rng, batch_size):
        """The stack's ``params -> (losses (K,), grads)``, one call per step, as ``Problem.oracle``."""
        if not self.problem.streamed:
            return self.loss_and_grads
        sample = self.problem.sampler(rng, batch_size)

        def loss_and_grads(params):
            losses, grad = sample(params["theta"])
            return np.asarray(losses, np.float64), {"theta": grad}

        return loss_and_grads

    def loss(self, params):
        """The evaluated (exact) losses, float64 (K,), as ``Problem.loss`` per member."""
        return self.loss_and_grads(params)[0]
