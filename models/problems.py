"""Problems with exact gradients and a known minimiser: f(θ) with θ ∈ R^d in one vector ``{"theta": (d,)}``.

The 2-D ones (d = 2) let the training loop record the path through the plane (``trajectory_key``)
and start from a fixed point: ``init_params`` ignores the generator, so every seed of a sweep
starts from the same place. Problems of other dimensions record no path.

The hooks the training loop (``models/evaluator.py`` for ``models/loop.py``) calls, the same for a
single run and a population and for every problem:
- ``oracle(rng, batch_size)``: this run's gradient source, called once per step in order (step t
  at θ_{t−1}). A deterministic problem returns its ``loss_and_grads``; a ``stochastic`` one
  (``streamed``: noisy_quadratic, reddi) gets its gradients from ``sampler(rng, batch_size)``,
  which may draw noise from ``rng`` — the run's minibatch stream, ``default_rng([seed, 1])`` —
  and depend on t; written for θ of shape (d,) and (K, d), one draw per call shared by the K rows.
- ``project``: None, or an in-place map back onto the feasible set applied after every update
  (reddi: [−1, 1]), written for θ of shape (d,) and (K, d).
- ``loss(params)``: the evaluated loss (train_loss and val_loss), exact: for a stochastic
  problem its expectation, whatever one step's gradient was.
- ``tolerance``: None, or the relative tolerance of ``steps_to_tol`` (``models/steps_to_tol.py``).
"""

import math

import numpy as np

from .errors import ModelError


def check_tolerance(name, tolerance):
    """None (off) or a number in (0, 1): the fraction of f(θ_0) − f* still to go."""
    if tolerance is None:
        return None
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not 0 < tolerance < 1:
        raise ModelError(f"{name}: tolerance={tolerance!r} is not allowed; it must be null (off) or a "
                         f"number in (0, 1), the fraction of f(θ_0) − f* left when steps_to_tol counts "
                         f"the run as there (0.01: the first step within 1% of the start's excess loss).")
    return float(tolerance)


def check_real(name, key, value, allowed, ok=lambda v: True):
    """``value`` as a float when it is a finite real number for which ``ok`` holds, else ModelError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not ok(value):
        raise ModelError(f"{name}: {key}={value!r} is not allowed; it must be {allowed}.")
    return float(value)


class Problem:
    """f(θ) with θ ∈ R^dim; subclasses define ``value_and_grad``, the hooks build on it."""

    needs_data = False
    streamed = False  # True: gradients come from ``sampler(rng, batch_size)``, noisy or changing with t
    project = None  # or an in-place projection onto the feasible set, after every update
    name = "problem"
    dim = 2
    default_start = (0.0, 0.0)
    optimum: np.ndarray  # (dim,) float64
    optimum_loss: float

    def __init__(self, start=None, *, tolerance=None):
        start = self.default_start if start is None else start
        self.start = np.asarray(start, dtype=np.float64)
        if self.start.shape != (self.dim,) or not np.all(np.isfinite(self.start)):
            raise ModelError(f"{self.name}: start must be {self.dim} finite number(s), got {start!r}.")
        self.tolerance = check_tolerance(self.name, tolerance)

    @property
    def trajectory_key(self):
        """"theta" for 2-D problems (the loops record the path), None otherwise."""
        return "theta" if self.dim == 2 else None

    def __repr__(self):
        return f"{type(self).__name__}(start={self.start.tolist()})"

    def init_params(self, rng: np.random.Generator | None = None, dtype="float32"):
        """The fixed start point; ``rng`` is accepted for interface symmetry and not used."""
        return {"theta": self.start.astype(dtype)}

    def value_and_grad(self, theta):
        """(f(θ), ∇f(θ)) for θ an array (d,), in θ's dtype: the formula every hook evaluates.

        Problems written for θ of shape (..., d) (noisy_quadratic, reddi) return f (...) and
        ∇f (..., d), so a population evaluates its K stacked points in one call.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define value_and_grad")

    def loss_and_grads(self, params):
        """(f(θ) as float, {"theta": ∇f(θ)}) — a new gradient array each call."""
        loss, grad = self.value_and_grad(params["theta"])
        return float(loss), {"theta": grad}

    def loss(self, params):
        return float(self.value_and_grad(params["theta"])[0])

    def oracle(self, rng: np.random.Generator, batch_size: int):
        """This run's ``params -> (loss, grads)``, one call per step (see the module docstring)."""
        if not self.streamed:
            return self.loss_and_grads
        sample = self.sampler(rng, batch_size)

        def loss_and_grads(params):
            loss, grad = sample(params["theta"])
            return float(loss), {"theta": grad}

        return loss_and_grads


class Quadratic(Problem):
    """f(x, y) = x²/20 + y²: axis-aligned valley, curvatures 0.1 and 2 (condition number 20).

    Start (−7, 2), the classic picture of SGD zig-zagging across the steep y direction while
    crawling along x. Minimum 0 at the origin.
    """

    name = "quadratic"
    default_start = (-7.0, 2.0)
    optimum = np.zeros(2)
    optimum_loss = 0.0

    def value_and_grad(self, theta):
        x, y = theta
        loss = x * x / 20 + y * y
        return loss, np.array([x / 10, 2 * y], dtype=theta.dtype)


def rotated_loss_grad(theta, c, s):
    """0.2 u² + 4 v² with u = c·x1 + s·x2, v = s·x1 − c·x2, and its gradient, for θ (..., 2)."""
    x1, x2 = theta[..., 0], theta[..., 1]  # (...)
    u, v = c * x1 + s * x2, s * x1 - c * x2
    gu, gv = 0.4 * u, 8 * v  # ∂f/∂u, ∂f/∂v
    return 0.2 * u * u + 4 * v * v, np.stack([c * gu + s * gv, s * gu - c * gv], axis=-1)


class RotatedQuadratic(Problem):
    """The quadratic's valley turned by ``angle`` degrees (default 45): f = 0.2 u² + 4 v² with

        u = cos(a)·x1 + sin(a)·x2   (along the valley, curvature 0.4)
        v = sin(a)·x1 − cos(a)·x2   (across it, curvature 8)

    i.e. 4 × quadratic in the (u, v) frame: same condition number 20, but unless a is a multiple
    of 90° the valley is not along an axis, so per-coordinate methods (Adagrad, RMSprop, Adam)
    can no longer scale its two directions separately. Start (u, v) = (−7, 2), the quadratic's
    start, i.e. θ_0 = −7·(cos a, sin a) + 2·(sin a, −cos a). Minimum 0 at the origin.

    angle = 45 is the original problem, 0.1 (x1 + x2)² + 2 (x1 − x2)² from (−5/√2, −9/√2)
    ≈ (−3.536, −6.364) (to rounding: u, v are formed with cos 45° and sin 45°).
    angle = 0 is 0.2 x1² + 4 x2², 4 × quadratic, from (−7, −2): the (u, v) frame is a reflection
    of (x1, x2) (v = −x2 at a = 0), which is what keeps 45° the original start; the quadratic
    is even in x2, so every sign-symmetric optimizer's path is the quadratic's mirrored in x2.
    """

    name = "rotated_quadratic"
    optimum = np.zeros(2)
    optimum_loss = 0.0

    def __init__(self, start=None, *, angle=45.0, tolerance=None):
        self.angle = check_real(self.name, "angle", angle, "a finite number of degrees (45: the "
                                "valley along the diagonal, 0: along x1)")
        a = math.radians(self.angle)
        self.c, self.s = math.cos(a), math.sin(a)  # Python floats: float32 θ stays float32
        self.default_start = (-7 * self.c + 2 * self.s, -7 * self.s - 2 * self.c)
        super().__init__(start, tolerance=tolerance)

    def __repr__(self):
        return f"RotatedQuadratic(angle={self.angle}, start={self.start.tolist()})"

    def value_and_grad(self, theta):
        return rotated_loss_grad(theta, self.c, self.s)


class LinearRegression(Problem):
    """Least squares fit of y = b + w x to y = 4 + 3x + ε, θ = (b, w).

    Data: ``num_points`` (100) points, x ~ U[0, 2), ε ~ N(0, 1), drawn from
    ``np.random.default_rng(data_seed)``. Loss: mean squared error (no ½), so
    ∇ = (2/n) Xᵀ(Xθ − y) with X = [1, x]. Start (0, 0). ``optimum`` solves the normal equations
    XᵀX θ = Xᵀy in float64 and ``optimum_loss`` is the MSE there (about the noise variance).
    """

    name = "linear_regression"
    default_start = (0.0, 0.0)

    def __init__(self, start=None, *, data_seed=0, num_points=100, tolerance=None):
        super().__init__(start, tolerance=tolerance)
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

    def value_and_grad(self, theta):
        X, y = self._data(theta.dtype)
        r = X @ theta - y  # (n,) residuals
        return np.mean(r * r), (2.0 / len(y)) * (X.T @ r)
