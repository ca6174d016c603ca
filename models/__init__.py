"""Models of the study: two MLPs and five problems with exact gradients, made by name.

    >>> import models
    >>> models.available()
    ['binary_mlp', 'linear_regression', 'mnist_mlp', 'noisy_quadratic', 'quadratic', 'reddi', 'rotated_quadratic']
    >>> net = models.create("mnist_mlp")
    >>> problem = models.create("rotated_quadratic", angle=30, tolerance=0.01)

Every model has ``needs_data``, ``init_params(rng, dtype) -> dict`` and ``loss_and_grads``:
``(params, x, y)`` for networks (which also have ``evaluate``, ``input_dim``, ``num_classes``),
``(params)`` for problems (which also have ``optimum``, ``optimum_loss``, ``loss`` and the
training loop's hooks, see ``models/problems.py``).
Datasets live in ``models.data``; the training loop in ``models.loop``, run by ``models.train.train``
(a single run) and ``models.population.train_population`` (K trials stacked).
"""

from . import networks
from .errors import ModelError
from .noisy_quadratic import NoisyQuadratic
from .problems import LinearRegression, Quadratic, RotatedQuadratic
from .reddi import Reddi

__all__ = ["ModelError", "available", "create"]

PROBLEMS = {
    "quadratic": Quadratic,
    "rotated_quadratic": RotatedQuadratic,
    "linear_regression": LinearRegression,
    "noisy_quadratic": NoisyQuadratic,
    "reddi": Reddi,
}
PROBLEM_OPTIONS = {
    "quadratic": ("start", "tolerance"),
    "rotated_quadratic": ("start", "angle", "tolerance"),
    "linear_regression": ("start", "data_seed", "num_points", "tolerance"),
    "noisy_quadratic": ("dim", "tolerance"),
    "reddi": ("start", "C", "stochastic", "delta", "tolerance"),
}


def available():
    """Names accepted by ``create``, sorted."""
    return sorted({**networks.NETWORKS, **PROBLEMS})


def create(name, **options):
    """Build the model ``name`` with its options (see ``available()``)."""
    if name in networks.NETWORKS:
        networks.check_options(name, options)
        return networks.NETWORKS[name](**options)
    if name in PROBLEMS:
        allowed = PROBLEM_OPTIONS[name]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ModelError(
                f"Model {name!r} got unknown option(s) {unknown}; it accepts {list(allowed)}."
            )
        return PROBLEMS[name](**options)
    raise ModelError(
        f"Unknown model {name!r}. Available models are {available()}; networks take data from "
        f"models.data, the problems do not."
    )
