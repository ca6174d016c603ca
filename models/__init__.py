"""Models of the study: two MLPs and three two-parameter problems, made by name.

    >>> import models
    >>> models.available()
    ['binary_mlp', 'linear_regression', 'mnist_mlp', 'quadratic', 'rotated_quadratic']
    >>> net = models.create("mnist_mlp")
    >>> problem = models.create("linear_regression", data_seed=3)

Every model has ``needs_data``, ``init_params(rng, dtype) -> dict`` and ``loss_and_grads``:
``(params, x, y)`` for networks (which also have ``evaluate``, ``input_dim``, ``num_classes``),
``(params)`` for problems (which also have ``optimum``, ``optimum_loss``, ``loss``).
Datasets live in ``models.data``; the training loop in ``models.train``.
"""

from . import networks, problems
from .errors import ModelError

__all__ = ["ModelError", "available", "create"]


def available():
    """Names accepted by ``create``, sorted."""
    return sorted({**networks.NETWORKS, **problems.PROBLEMS})


def create(name, **options):
    """Build the model ``name`` with its options (see ``available()``)."""
    if name in networks.NETWORKS:
        networks.check_options(name, options)
        return networks.NETWORKS[name](**options)
    if name in problems.PROBLEMS:
        allowed = problems.PROBLEM_OPTIONS[name]
        unknown = sorted(set(options) - set(allowed))
        if unknown:
            raise ModelError(
                f"Model {name!r} got unknown option(s) {unknown}; it accepts {list(allowed)}."
            )
        return problems.PROBLEMS[name](**options)
    raise ModelError(
        f"Unknown model {name!r}. Available models are {available()}; networks take data from "
        f"models.data, the two-parameter problems do not."
    )
