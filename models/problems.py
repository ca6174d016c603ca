"""Two-parameter problems with exact gradients and a known minimiser.

Each keeps its parameters in one vector ``{"theta": (2,)}`` so the training loop can record the
path through the plane (``trajectory_key``), and starts from a fixed point: ``init_params``
ignores the generator, so every seed of a sweep starts from the same place.
"""

import numpy as np

from .errors import ModelError


class Problem:
    """f(θ) with θ ∈ R²; subclasses define ``_loss_grad(theta) -> (loss, grad)`` in θ's dtype."""

    needs_data = False
    trajectory_key = "theta"
    name = "problem"
    default_start = (0.0, 0.0)
    optimum: np.ndarray  # (2,) float64
    optimum_loss: float

    def __init__(self, start=None):
        start = self.default_start if start is None else start
        self.start = np.asarray(start, dtype=np.float64)
        if self.start.shape != (2,) or not np.all(np.isfinite(self.start)):
            raise ModelError(f"{self.name}: start must be two finite numbers, got {start!r}.")

    def __repr__(self):
        return f"{type(self).__name__}(start={self.start.tolist()})"

    def init_params(self, rng: np.random.Generator | None = None, dtype="float32"):
        """The fixed start point; ``rng`` is accepted for interface symmetry and not used."""
        return {"theta": self.start.astype(dtype)}

    def loss_and_grads(self, params):
        """(f(θ) as float, {"theta": ∇f(θ)}) — a new gradient array each call."""
        loss, grad = self._loss_grad(params["theta"])
        return float(loss), {"theta": grad}

    def loss(self, params):
        return float(self._loss_grad(params["theta"])[0])


class Quadratic(Problem):
    """f(x, y) = x²/20 + y²: axis-aligned valley, curvatures 0.1 and 2 (condition number 20).

    Start (−7, 2), the classic picture of SGD zig-zagging across the steep y direction while
    crawling along x. Minimum 0 at the origin.
    """

    name = "quadratic"
    default_start = (-7.0, 2.0)
    optimum = np.zeros(2)
    optimum_loss = 0.0

    def _loss_grad(self, theta):
        x, y = theta
        loss = x * x / 20 + y * y
        return loss, np.array([x / 10, 2 * y], dtype=theta.dtype)


_S = np.sqrt(0.5)


class RotatedQuadratic(Problem):
    """f(x1, x2) = 0.1 (x1 + x2)² + 2 (x1 − x2)²: the quadratic's valley turned by 45°.

    In u = (x1 + x2)/√2, v = (x1 − x2)/√2 it is 0.2 u² + 4 v², i.e. 4 × quadratic rotated: same
    condition number 20, but the valley lies along the diagonal, so per-coordinate methods
    (Adagrad, RMSprop, Adam) can no longer scale its two directions separately.
    Start: the quadratic's start (u, v) = (−7, 2) rotated, (x1, x2) = (−5/√2, −9/√2)
    ≈ (−3.536, −6.364), so the two problems differ only by rotation (and the factor 4).
    Minimum 0 at the origin.
    """

    name = "rotated_quadratic"
    default_start = (-5 * _S, -9 * _S)
    optimum = np.zeros(2)
    optimum_loss = 0.0

    def _loss_grad(self, theta):
        s, d = theta[0] + theta[1], theta[0] - theta[1]
        loss = 0.1 * s * s + 2 * d * d
        return loss, np.array([0.2 * s + 4 * d, 0.2 * s - 4 * d], dtype=theta.dtype)


class LinearRegression(Problem):
    """Least squares fit of y = b + w x to y = 4 + 3x + ε, θ = (b, w).

    Data: ``num_points`` (100) points, x ~ U[0, 2), ε ~ N(0, 1), drawn from
    ``np.random.default_rng(data_seed)``. Loss: mean squared error (no ½), so
    ∇ = (2/n) Xᵀ(Xθ − y) with X = [1, x]. Start (0, 0). ``optimum`` solves the normal equations
    XᵀX θ = Xᵀy in float64 and ``optimum_loss`` is the MSE there (about the noise variance).
    """

    name = "linear_regression"
    default_start = (0.0, 0.0)

    def __init__(self, start=None, *, data_seed=0, num_points=100):
        super().__init__(start)
        if int(num_points) < 2:
            raise ModelError(f"linear_regression: num_points must be >= 2, got {num_points!r}.")
        rng = np.random.default_rng(data_seed)
        x = 2 * rng.random(int(num_points))  # (n,) U[0, 2)
        self.x = x
        self.y = 4 + 3 * x + rng.standard_normal(x.shape)  # (n,)
        self.X = np.stack([np.ones_like(x), x], axis=1)  # (n, 2)
        self.optimum = np.linalg.solve(self.X.T @ self.X, self.X.T @ self.y)  # (2,)
        self.optimum_loss = float(np.mean((self.X @ self.optimum - self.y) ** 2))
        self._by_dtype = {}

    def _data(self, dtype):
        """(X, y) in θ's dtype, cast once, so float32 runs stay float32."""
        key = np.dtype(dtype)
        if key not in self._by_dtype:
            self._by_dtype[key] = (self.X.astype(key), self.y.astype(key))
        return self._by_dtype[key]

    def _loss_grad(self, theta):
        X, y = self._data(theta.dtype)
        r = X @ theta - y  # (n,) residuals
        return np.mean(r * r), (2.0 / len(y)) * (X.T @ r)


PROBLEMS = {
    "quadratic": Quadratic,
    "rotated_quadratic": RotatedQuadratic,
    "linear_regression": LinearRegression,
}
PROBLEM_OPTIONS = {
    "quadratic": ("start",),
    "rotated_quadratic": ("start",),
    "linear_regression": ("start", "data_seed", "num_points"),
}
