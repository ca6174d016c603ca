"""The model's side of the training loop: each step's losses and gradients, and the metrics of
every evaluation, for a single run and a population alike.

The evaluator computes on a ``learner``: the model itself for a single run, its stacked version
(models/population_mlp.py, models/population_problems.py) for K members. It returns every metric as
float64 with one value per row of the parameters it is given, so the loop (models/loop.py) reads
a population of one and of K the same way; a step's losses are as the learner gives them (a float
for a model, a (K,) array for a stack), since the loop's hot path compares them as they are.

- Networks: minibatches from ``EpochBatches`` with ``default_rng([seed, 1])``; during training the
  first ``eval_subset`` examples of the validation split (models/eval_split.py), the full split
  for the final and step-0 metrics; accuracy with every loss.
- Problems: gradients from ``oracle(default_rng([seed, 1]), batch_size)``; every evaluation is the
  exact ``loss`` (models/problems.py), as train_loss and val_loss alike, and as test_loss.
"""

import numpy as np

from .batches import EpochBatches
from .errors import ModelError
from .eval_split import step0_full, subset_size


class Evaluator:
    """``step(params) -> (losses, grads)``: one update's minibatch (or oracle) losses and
    gradients, called once per step in order; the other methods take the parameters as they are."""

    def __init__(self, model, learner, data, settings):
        """``model`` as created (it is checked against ``data`` and gives the step-0 metrics);
        ``learner`` computes on the parameters trained: ``model`` itself or its stacked version."""
        self.model, self.learner = model, learner
        self.partial = False  # True: training evaluates a prefix of the validation split
        rng = np.random.default_rng([settings.seed, 1])  # the minibatch stream, apart from init's
        if not model.needs_data:
            if data is not None:
                raise ModelError(f"{model!r} takes no data (needs_data=False), but data was given.")
            self.data = None
            self.step = learner.oracle(rng, settings.batch_size)
            return
        self.data = data = prepare(model, data, settings.dtype)
        batches = EpochBatches(data.x_train, data.y_train, settings.batch_size, rng)
        self.step = lambda params: learner.loss_and_grads(params, *batches.next())
        n_sub = subset_size(settings.eval_subset, len(data.y_val), settings.steps,
                            settings.eval_every, settings.batch_size)
        self.x_sub, self.y_sub = data.x_val[:n_sub], data.y_val[:n_sub]
        self.partial = n_sub < len(data.y_val)

    def evaluate(self, params, train_losses):
        """An evaluation during training: name -> float64 (rows,), ``train_losses`` included."""
        if self.data is None:
            f = _rows(self.learner.loss(params))
            return {"train_loss": f, "val_loss": f}
        loss, acc = self.learner.evaluate(params, self.x_sub, self.y_sub)
        return {"train_loss": _rows(train_losses), "val_loss": _rows(loss), "val_accuracy": _rows(acc)}

    def exact(self, params):
        """A problem's evaluated loss f(θ), float64 (rows,): what ``steps_to_tol`` watches."""
        return _rows(self.learner.loss(params))

    def full(self, params):
        """The validation metrics on the full split, one dict per row."""
        loss, acc = self.learner.evaluate(params, self.data.x_val, self.data.y_val)
        return _per_row(val_loss=loss, val_accuracy=acc)

    def test(self, params):
        """The test metrics, one dict per row."""
        if self.data is None:
            return _per_row(test_loss=self.learner.loss(params))
        loss, acc = self.learner.evaluate(params, self.data.x_test, self.data.y_test)
        return _per_row(test_loss=loss, test_accuracy=acc)

    def step0(self, seed, dtype):
        """θ_0's validation metrics on the full split when training sees a subset of it, else {}."""
        return step0_full(self.model, self.data, seed, dtype) if self.partial else {}


def prepare(model, data, dtype):
    """The dataset in ``dtype`` (converted once, here), checked against the model's shape."""
    if data is None:
        raise ModelError(f"{model!r} needs data (needs_data=True); pass a models.data Dataset.")
    if data.x_train.dtype != dtype or data.x_test.dtype != dtype:
        data = data.astype(dtype)
    d = data.x_train.shape[1]
    if d != model.input_dim or data.num_classes != model.num_classes:
        raise ModelError(
            f"{model!r} expects {model.input_dim} features and {model.num_classes} classes, but "
            f"dataset {data.name!r} has {d} features and {data.num_classes} classes."
        )
    return data


def _rows(values):
    """A float (one member) or a (K,) array as float64 (rows,)."""
    return np.array(values, dtype=np.float64, ndmin=1)


def _per_row(**metrics):
    """name -> per-row values, as one dict of Python floats per row."""
    return [dict(zip(metrics, map(float, values))) for values in zip(*map(_rows, metrics.values()))]
