"""A single run: one model, one optimizer — the training loop's population of one.

    >>> import models, optimizers
    >>> from models.train import train
    >>> r = train(models.create("quadratic"), optimizers.create("sgd", lr=0.1), steps=50, eval_every=25)
    >>> r.history["step"], r.outcome
    ([0, 25, 50], 'trained')

The loop and its conventions (evaluation schedule, train_loss, divergence and its penalty, the
validation subset, the test split, ``steps_to_tol``, trajectories) are in ``models/loop.py``.
``on_eval(step, metrics)`` gets the run's metrics at every evaluation except one where it
diverges, and may stop the run by raising (exceptions propagate unchanged).
"""

import math

import numpy as np

from . import loop
from .errors import ModelError
from .evaluator import Evaluator
from .flat import whole
from .result import TrainResult

__all__ = ["TrainResult", "train"]


def train(model, optimizer, data=None, *, steps, batch_size=128, eval_every=100, seed=0,
          dtype="float32", divergence_factor=100.0, on_eval=None, score_test=False,
          eval_subset="auto") -> TrainResult:
    """Train ``model`` with ``optimizer`` for ``steps`` updates; see models/loop.py."""
    settings = loop.Settings(steps, batch_size, eval_every, seed, dtype, divergence_factor,
                             score_test, eval_subset)
    params = model.init_params(np.random.default_rng(seed), settings.dtype)
    evaluator = Evaluator(model, model, data, settings)
    return loop.run(One(model, optimizer, params), evaluator, settings, _as_member(on_eval))[0]


def _as_member(on_eval):
    """The run's ``on_eval(step, metrics)`` as the loop calls a population's: with one entry per
    member, None once the run has stopped (then it is not called); it stops nothing by returning."""
    if on_eval is None:
        return None

    def call(step, shown):
        if shown[0] is not None:
            on_eval(step, shown[0])

    return call


class One:
    """A single run as the loop's population (its interface is in models/loop.py): the model's own
    parameters, updated as one buffer where models/flat.py applies; its loss, sum and limits are
    Python floats, so a step's divergence check and loss sum are Python arithmetic."""

    def __init__(self, model, optimizer, params):
        self.model, self.optimizer, self.params = model, optimizer, params
        self.members = np.arange(1)
        self.since, self.limit_train, self.limit_val = 0.0, math.inf, math.inf
        self.project = getattr(model, "project", None)

    def set_limits(self, train, val):
        self.limit_train, self.limit_val = float(train[0]), float(val[0])

    def advance(self, loss, grads):
        if not loss <= self.limit_train:  # NaN fails every comparison
            return False
        self.since += loss
        self._update(grads)
        return True

    def clear(self):
        self.since = 0.0

    def _update(self, grads):
        # the first gradients' layout decides how to update (models/flat.py); the function built
        # then replaces this method on the instance, so later steps call it directly
        self._update = _updater(self.model, self.optimizer, self.params, grads, self.project)
        self._update(grads)

    def drop(self, rows):
        if len(rows):  # the one row: the run is over
            self.members = self.members[:0]
        return self.members

    def member(self, row):
        return self.params


def _updater(model, optimizer, params, grads, project):
    """``update(grads)``: the optimizer over whole buffers when params and grads are laid out
    alike (models/flat.py; one pass instead of one per array), otherwise array by array; then
    ``project``, if any."""
    p, g = whole(params), whole(grads)
    layout = [(k, a.shape) for k, a in params.items()]
    if p is None or g is None or p.dtype != g.dtype or layout != [(k, a.shape) for k, a in grads.items()]:
        def optimize(grads):
            optimizer.update(params, grads)
    else:
        flat_params, flat_grads, first = {"all": p}, {"all": g}, grads

        def optimize(grads):
            if grads is not first:
                raise ModelError(f"{model!r} returned a new gradient dict; a model whose gradients "
                                 f"share one buffer must reuse it on every step.")
            optimizer.update(flat_params, flat_grads)

    if project is None:
        return optimize

    def update(grads):
        optimize(grads)
        project(params["theta"])

    return update
