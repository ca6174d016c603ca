"""K copies of a two-parameter problem: θ stacked to (K, 2), f and ∇f of all members at once.

The three problems of ``problems.py`` have vectorised formulas here (the same arithmetic per
member); any other ``Problem`` falls back to calling its ``loss_and_grads`` once per member.
"""

import numpy as np

from .problems import LinearRegression, Problem, Quadratic, RotatedQuadratic


def _quadratic(problem, theta):
    x, y = theta[:, 0], theta[:, 1]  # (K,)
    return x * x / 20 + y * y, np.stack([x / 10, 2 * y], axis=1)


def _rotated_quadratic(problem, theta):
    s, d = theta[:, 0] + theta[:, 1], theta[:, 0] - theta[:, 1]  # (K,)
    return 0.1 * s * s + 2 * d * d, np.stack([0.2 * s + 4 * d, 0.2 * s - 4 * d], axis=1)


def _linear_regression(problem, theta):
    X, y = problem.X.astype(theta.dtype), problem.y.astype(theta.dtype)  # float32 stays float32
    r = theta @ X.T - y  # (K, n) residuals
    return np.mean(r * r, axis=1), (2.0 / len(y)) * (r @ X)  # (K,), (K, 2)


_VECTORISED = {
    Quadratic: _quadratic,
    RotatedQuadratic: _rotated_quadratic,
    LinearRegression: _linear_regression,
}


class StackedProblem:
    """The population version of ``problem``: every member starts at ``problem``'s start."""

    needs_data = False
    trajectory_key = "theta"

    def __init__(self, problem: Problem):
        self.problem = problem
        self._formula = _VECTORISED.get(type(problem))  # subclasses may change f: no formula

    def __repr__(self):
        return f"StackedProblem({self.problem!r})"

    def init_params(self, rng, dtype, k):
        theta = self.problem.init_params(rng, dtype)["theta"]
        return {"theta": np.repeat(theta[None], k, axis=0)}  # (K, 2)

    def take(self, params, rows):
        return {"theta": params["theta"][np.asarray(rows)]}  # a copy

    def member(self, params, row):
        return {"theta": params["theta"][row].copy()}

    def loss_and_grads(self, params):
        """f(θ_i) for every member as float64 (K,), and {"theta": ∇f (K, 2)} in θ's dtype."""
        theta = params["theta"]
        if self._formula is not None:
            losses, grad = self._formula(self.problem, theta)
            return losses.astype(np.float64), {"theta": grad}
        pairs = [self.problem.loss_and_grads({"theta": t}) for t in theta]
        return (np.array([f for f, _ in pairs]),
                {"theta": np.stack([g["theta"] for _, g in pairs]).astype(theta.dtype)})

    def evaluate(self, params):
        return self.loss_and_grads(params)[0]
