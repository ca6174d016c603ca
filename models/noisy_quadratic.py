"""The noisy quadratic model (NQM) of Zhang et al., "Which Algorithmic Choices Matter at Which
Batch Sizes? Insights From a Noisy Quadratic Model", NeurIPS 2019 (arXiv:1907.04164), Section 3.

    L(θ) = ½ Σ_i h_i θ_i²,  h_i = 1/i, i = 1..d          (H = diag(h), the paper's spectrum)
    g(θ) = Hθ + √(h_i / B)·ξ_i,  ξ ~ N(0, I_d) per step   (gradient noise covariance C/B, C = H)

The paper takes the noise covariance C equal to the Hessian H (the Fisher ≈ Hessian argument)
and the minibatch gradient's covariance C/B; B is the run's ``train.batch_size``. f* = 0 at θ = 0.
θ_0 ~ N(0, I_d) from the init generator (``default_rng(seed)``) and ξ from the run's minibatch
stream (``default_rng([seed, 1])``), so seeds differ in start and noise, and every member of a
population sees its single run's noise (one ξ per step, shared by the members).
The evaluated loss is the exact L(θ); the loss that goes with each sampled gradient is L(θ) too.
"""

import numpy as np

from .errors import ModelError
from .problems import Problem, check_tolerance


class NoisyQuadratic(Problem):
    """The NQM in ``dim`` dimensions; see the module docstring."""

    name = "noisy_quadratic"
    streamed = True
    optimum_loss = 0.0

    def __init__(self, *, dim=100, tolerance=None):
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise ModelError(f"noisy_quadratic: dim={dim!r} is not allowed; it must be an integer >= 1 "
                             f"(the number of coordinates, curvatures 1, 1/2, ..., 1/dim).")
        self.dim = dim
        self.h = 1.0 / np.arange(1, dim + 1)  # (d,) the diagonal of H
        self.optimum = np.zeros(dim)
        self.tolerance = check_tolerance(self.name, tolerance)

    def __repr__(self):
        return f"NoisyQuadratic(dim={self.dim})"

    def init_params(self, rng: np.random.Generator, dtype="float32"):
        """θ_0 ~ N(0, I_d), drawn from ``rng`` (the run's init generator)."""
        return {"theta": rng.standard_normal(self.dim).astype(dtype)}

    def value_and_grad(self, theta):
        """The exact L(θ) and ∇L = Hθ for θ (..., d)."""
        h = self.h.astype(theta.dtype)
        return 0.5 * np.sum(h * theta * theta, axis=-1), h * theta

    def sampler(self, rng: np.random.Generator, batch_size: int):
        """``theta (..., d) -> (L(θ) (...), Hθ + √(h/B)·ξ)``: one ξ ~ N(0, I_d) per call."""
        sd = np.sqrt(self.h / batch_size)  # (d,)

        def sample(theta):
            loss, grad = self.value_and_grad(theta)
            grad += (sd * rng.standard_normal(self.dim)).astype(theta.dtype)  # broadcasts over K
            return loss, grad

        return sample
