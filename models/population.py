"""Population training: K trials of one model and one optimizer as a single vectorised computation.

    >>> import numpy as np, models, optimizers
    >>> from models.population import train_population
    >>> opt = optimizers.create("rmsprop", lr=np.array([0.01, 0.1]), gamma=np.array([0.9, 0.99]))
    >>> results = train_population(models.create("quadratic"), opt, k=2, steps=50, eval_every=25)
    >>> [r.history["step"] for r in results]
    [[0, 25, 50], [0, 25, 50]]

Member i's ``TrainResult`` equals, up to float rounding, ``models.train.train(model, optimizer_i,
data, seed=seed, ...)`` where optimizer_i has the i-th value of every per-trial hyperparameter:
both run the one training loop of ``models/loop.py``, whose conventions (evaluation schedule and
validation subset, train_loss, divergence rules and the step-0 penalty, trajectories, a problem's
oracle and projection, ``steps_to_tol``) hold per member. What the members share:
- ``seed``: every member starts from ``model.init_params(default_rng(seed))`` and sees the same
  minibatch sequence (``EpochBatches`` with ``default_rng([seed, 1])``) — or, for a streamed
  problem, the same gradient noise from that stream — as its separate run would.
- the optimizer: ONE ``optimizers.create(...)`` whose real hyperparameters are scalars (shared) or
  arrays of length k (one per member). Parameters are stacked to (k, ...) for it.

A member that diverges, or that ``on_eval`` stops, leaves the stack at once: its parameters are
copied out as they are (frozen) and its rows are removed from the stacked parameters and the
optimizer state (``Optimizer.keep_trials``), so the others run faster and are unaffected.

``on_eval(step, metrics)`` gets one dict per member (None for members already stopped, including
those that diverged at this evaluation) and may return indices of members to stop now (e.g. pruned
by Optuna); stopping an already stopped member is a no-op. Its exceptions propagate.
A stopped member's result has the history up to that evaluation, ``final`` = those metrics (on the
validation subset: only members that run to the end are evaluated on the full split),
``steps_done`` = that step and ``diverged=False``.

``seconds`` is the wall time from the start until the member finished — shared by the members
running alongside it, not divided among them. The optimizer passed in is used until the first
member leaves; after that a reduced copy runs, so its state afterwards is not meaningful.
``Stack`` is what the loop trains: the stacked parameters and optimizer, and per-row arrays.

Speed (benchmarks/population.py, float32, one BLAS thread, 2 cores): the gain is the per-step
Python overhead removed K-fold, so it is large for small models and nil for compute-bound ones —
quadratic 7× / 22× / 50× at K = 16 / 64 / 256; binary_mlp 2.2× / 4.7× / 5.4× at K = 4 / 16 / 64;
mnist_mlp 0.9–1.0× at K = 1..16 (its matmuls dominate; stacking does not make them cheaper).
"""

import math

import numpy as np

from . import loop
from .errors import ModelError
from .evaluator import Evaluator
from .mlp import MLP
from .population_mlp import StackedMLP
from .population_problems import StackedProblem
from .problems import Problem
from .result import TrainResult

__all__ = ["population_supported", "train_population"]


def population_supported(model) -> bool:
    """True when ``train_population`` can train ``model`` (the MLPs and the problems)."""
    return _stacked(model) is not None


def _stacked(model):
    if isinstance(model, MLP):
        try:
            return StackedMLP(model)
        except ModelError:  # a head or activation without a stacked version
            return None
    if isinstance(model, Problem):
        return StackedProblem(model)
    return None


def train_population(model, optimizer, data=None, *, k, steps, batch_size=128, eval_every=100,
                     seed=0, dtype="float32", divergence_factor=100.0,
                     on_eval=None, score_test=False, eval_subset="auto") -> list[TrainResult]:
    """Train k members of ``model`` with ``optimizer`` for ``steps`` updates; see the module doc."""
    settings = loop.Settings(steps, batch_size, eval_every, seed, dtype, divergence_factor,
                             score_test, eval_subset)
    k = _check_k(k, optimizer)
    stacked = _stacked(model)
    if stacked is None:
        raise ModelError(f"{model!r} has no population version (population_supported is False); "
                         f"train its trials one by one with models.train.train.")
    params = stacked.init_params(np.random.default_rng(seed), settings.dtype, k)
    evaluator = Evaluator(model, stacked, data, settings)
    return loop.run(Stack(stacked, optimizer, params), evaluator, settings, on_eval)


class Stack:
    """K members stacked on a leading axis, as the loop's population (its interface is in
    models/loop.py); rows leave as members stop, from the parameters, the optimizer and the
    per-row arrays alike."""

    def __init__(self, stacked, optimizer, params):
        self.stacked, self.optimizer, self.params = stacked, optimizer, params
        k = len(next(iter(params.values())))
        self.members = np.arange(k)  # member index of each stack row
        self.since = np.zeros(k)  # summed minibatch losses since the last evaluation
        self.limit_train = self.limit_val = np.full(k, math.inf)
        self.project = getattr(stacked, "project", None)  # in place, on (K, d)

    def set_limits(self, train, val):
        self.limit_train, self.limit_val = train, val

    def advance(self, losses, grads):
        if not (losses <= self.limit_train).all():  # NaN fails every comparison
            return False
        self.since += losses
        self.optimizer.update(self.params, grads)
        if self.project is not None:
            self.project(self.params["theta"])
        return True

    def clear(self):
        self.since[:] = 0.0

    def drop(self, rows):
        keep = np.setdiff1d(np.arange(self.members.size), np.asarray(rows, dtype=np.intp))
        if keep.size == self.members.size:
            return keep
        self.params = self.stacked.take(self.params, keep)
        self.optimizer = self.optimizer.keep_trials(keep, self.params)
        for name in ("members", "since", "limit_train", "limit_val"):
            setattr(self, name, getattr(self, name)[keep])
        return keep

    def member(self, row):
        return self.stacked.member(self.params, row)


def _check_k(k, optimizer):
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k must be an integer >= 1 (the number of members), got {k=}.")
    for name, value in optimizer.hyperparameters.items():
        if isinstance(value, np.ndarray) and value.shape[0] != k:
            raise ValueError(f"{optimizer.name}: {name} holds {value.shape[0]} per-trial values, "
                             f"but k={k}; give every per-trial hyperparameter k values.")
    return int(k)
