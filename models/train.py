"""The training loop: one model, one optimizer, a fixed number of steps, periodic evaluation.

Knows nothing of Optuna or MLflow: a sweep observes the run through ``on_eval`` (and may stop it
by raising from there, e.g. ``optuna.TrialPruned`` — exceptions propagate unchanged).

Conventions
- Step k means "after k optimizer updates"; θ_k are the parameters then.
- Randomness: ``init_params`` gets ``default_rng(seed)``, minibatches ``default_rng([seed, 1])``
  (independent streams); the same seed gives identical histories.
- Evaluations at step 0, every ``eval_every`` steps, and at the last step. Networks record
  train_loss (mean minibatch loss since the previous evaluation, i.e. of the losses at
  θ_{prev}..θ_{k-1}; at step 0 the loss of the first minibatch at θ_0, which the first update
  uses), val_loss and val_accuracy. Problems record their evaluated loss f(θ_k) (``loss``: exact,
  the expectation for a stochastic one) as both train_loss and val_loss, and 2-D ones their whole
  path θ_0..θ_k as ``trajectory``. A problem's gradients come from ``oracle(default_rng([seed,
  1]), batch_size)`` (noise, if any, from the minibatch stream), and its ``project``, if any, is
  applied after every update (models/problems.py).
- ``steps_to_tol``: with a problem's ``tolerance`` set, ``final`` also holds the first step within
  tolerance (NaN if never; models/steps_to_tol.py), checked after every update.
- Validation subset (``eval_subset``, models/eval_split.py): during training a network is
  evaluated on the first ``eval_subset`` examples of the validation split (a fixed prefix, the
  same for every trial and step), so ``history`` — the curve that pruning and divergence watch —
  is the subset's. ``final`` and ``initial`` (hence the objective, the outcome and the penalty)
  are on the full split: the final parameters are evaluated on it once at the end, and θ_0 once
  per process (``step0_full``). ``auto`` (the default) sizes the subset so that evaluation costs
  at most 10% of training; ``"all"`` evaluates the full split every time. When the subset covers
  the split, the last evaluation is the final one, as before.
- The test split is scored once, at the end, and only with ``score_test=True`` (confirmation runs
  of settings chosen on validation): ``final`` then also holds test_loss (and test_accuracy).
- Divergence: a loss that is not finite or exceeds ``divergence_factor`` × its step-0 value
  (minibatch losses against the step-0 train_loss, evaluated validation losses against the
  step-0 val_loss) stops the run at the step k whose parameters produced it. Then
  ``diverged=True``, ``diverged_step = steps_done = k``, and ``final`` is the step-0 (untrained)
  metrics. ``history`` holds only the finite evaluations before that; the trajectory ends at the
  last finite point. Overflow warnings are silenced.
- ``outcome`` (trained, diverged or collapsed) and the objective's penalty are defined once, in
  ``models/outcome.py``; ``baseline`` holds what that definition compares with.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from .batches import EpochBatches
from .eval_split import step0_full, subset_size
from .errors import ModelError
from .flat import whole
from .outcome import classify, constant_predictor
from .steps_to_tol import StepsToTol

_ONE = np.array([0])  # a single run is member 0 of StepsToTol


@dataclass
class TrainResult:
    history: dict  # "step", "train_loss", "val_loss" [, "val_accuracy"] -> equal-length lists
    final: dict  # metrics of the last evaluation (+ test_* if scored), or the step-0 metrics if diverged
    diverged: bool
    diverged_step: int | None
    steps_done: int  # optimizer updates applied
    seconds: float  # wall time of the loop, evaluations included
    trajectory: np.ndarray | None  # (steps_done + 1, 2) for 2-D problems
    params: dict  # final parameters (θ at steps_done)
    eval_seconds: float = 0.0  # part of ``seconds`` spent evaluating
    initial: dict | None = None  # the step-0 metrics (the untrained network)
    baseline: dict | None = None  # the constant predictor's val metrics, or f(θ_0) (outcome.py)
    outcome: str = "trained"  # trained, diverged or collapsed (models/outcome.py)


def train(model, optimizer, data=None, *, steps, batch_size=128, eval_every=100, seed=0,
          dtype="float32", divergence_factor=100.0, on_eval=None, score_test=False,
          eval_subset="auto") -> TrainResult:
    """Train ``model`` with ``optimizer`` for ``steps`` updates; see the module docstring."""
    steps, eval_every = _check_args(steps, batch_size, eval_every, divergence_factor)
    dtype = np.dtype(dtype)
    params = model.init_params(np.random.default_rng(seed), dtype)
    if model.needs_data:
        data = _prepare(model, data, dtype)
        batches = EpochBatches(data.x_train, data.y_train, batch_size,
                               np.random.default_rng([seed, 1]))

        def step_loss():
            return model.loss_and_grads(params, *batches.next())

        n_sub = subset_size(eval_subset, len(data.y_val), steps, eval_every, batch_size)
        x_sub, y_sub = data.x_val[:n_sub], data.y_val[:n_sub]
        partial = n_sub < len(data.y_val)

        def evaluate(train_loss):
            val_loss, acc = model.evaluate(params, x_sub, y_sub)
            return {"train_loss": train_loss, "val_loss": val_loss, "val_accuracy": acc}

        def evaluate_full():
            val_loss, acc = model.evaluate(params, data.x_val, data.y_val)
            return {"val_loss": val_loss, "val_accuracy": acc}

        def test():
            test_loss, acc = model.evaluate(params, data.x_test, data.y_test)
            return {"test_loss": test_loss, "test_accuracy": acc}
    else:
        if data is not None:
            raise ModelError(f"{model!r} takes no data (needs_data=False), but data was given.")

        oracle = model.oracle(np.random.default_rng([seed, 1]), batch_size)

        def step_loss():
            return oracle(params)

        def evaluate(_train_loss):
            f = model.loss(params)
            return {"train_loss": f, "val_loss": f}

        def test():
            return {"test_loss": model.loss(params)}

        partial = False

    key = getattr(model, "trajectory_key", None)
    project = getattr(model, "project", None)
    path = np.empty((steps + 1, 2), np.float64) if key else None
    history = {"step": []}
    diverged_step, eval_seconds = None, 0.0

    def record(step, metrics):
        nonlocal eval_seconds
        for name, value in (("step", step), *metrics.items()):
            history.setdefault(name, []).append(value)
        eval_seconds += time.perf_counter() - t_eval
        if on_eval is not None:
            on_eval(step, dict(metrics))

    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        loss, grads = step_loss()  # at θ_0: the step-0 train loss and the first update's grads
        update = _updater(model, optimizer, params, grads)
        t_eval = time.perf_counter()
        first = evaluate(loss)
        if not all(map(math.isfinite, first.values())):
            raise ModelError(f"{model!r} gives non-finite metrics before training: {first}.")
        if path is not None:
            path[0] = params[key]
        record(0, first)
        t_full = time.perf_counter()
        initial = first | step0_full(model, data, seed, dtype) if partial else first
        eval_seconds += time.perf_counter() - t_full
        first_test = test() if score_test else {}  # at θ_0: a diverged run's test metrics
        tol = None if getattr(model, "tolerance", None) is None else StepsToTol(
            model.tolerance, model.optimum_loss, np.array([first["val_loss"]]))
        limit_train = _limit(first["train_loss"], divergence_factor)
        limit_val = _limit(first["val_loss"], divergence_factor)
        since, count, done = 0.0, 0, 0
        for step in range(1, steps + 1):
            if step > 1:
                loss, grads = step_loss()  # at θ_{step-1}
            if not loss <= limit_train:  # NaN fails every comparison
                diverged_step = step - 1
                break
            since, count = since + loss, count + 1
            update(grads)
            if project is not None:
                project(params["theta"])
            done = step
            if path is not None:
                path[step] = params[key]
            if tol is not None:
                tol.observe(step, np.array([model.loss(params)]), _ONE)
            if step % eval_every == 0 or step == steps:
                t_eval = time.perf_counter()
                metrics = evaluate(since / count)
                if not (all(map(math.isfinite, metrics.values()))
                        and metrics["val_loss"] <= limit_val):
                    diverged_step = step
                    break
                record(step, metrics)
                since, count = 0.0, 0
        diverged = diverged_step is not None
        final = dict(initial) if diverged else {k: v[-1] for k, v in history.items() if k != "step"}
        if partial and not diverged:   # the objective is on the full split
            t_full = time.perf_counter()
            final |= evaluate_full()
            eval_seconds += time.perf_counter() - t_full
        if tol is not None:
            final |= tol.final(0, diverged)
    seconds = time.perf_counter() - start

    if score_test:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            final |= first_test if diverged else test()
    baseline = run_baseline(model, data, initial, score_test)
    trajectory = None
    if path is not None:
        path = path[: done + 1]
        finite = np.isfinite(path).all(axis=1)
        trajectory = path[: len(path) if finite.all() else int(np.argmin(finite))]
    return TrainResult(history=history, final=final, diverged=diverged,
                       diverged_step=diverged_step, steps_done=done, seconds=seconds,
                       trajectory=trajectory, params=params, eval_seconds=eval_seconds,
                       initial=initial | first_test, baseline=baseline,
                       outcome=classify(diverged, final, baseline))


def run_baseline(model, data, first: dict, score_test: bool = False) -> dict:
    """What a run must beat to count as trained (models/outcome.py): the constant predictor on
    the validation (and scored test) split for a network, f(θ_0) for a problem."""
    if not model.needs_data:
        return {"val_loss": first["val_loss"]} | ({"test_loss": first["val_loss"]} if score_test else {})
    out = constant_predictor(data.y_train, data.y_val, data.num_classes)
    if score_test:
        out |= constant_predictor(data.y_train, data.y_test, data.num_classes, split="test")
    return out


def _updater(model, optimizer, params, grads):
    """``update(grads)``: the optimizer over whole buffers when params and grads are laid out
    alike (models/flat.py; one pass instead of one per array), otherwise array by array."""
    p, g = whole(params), whole(grads)
    layout = [(k, a.shape) for k, a in params.items()]
    if p is None or g is None or p.dtype != g.dtype or layout != [(k, a.shape) for k, a in grads.items()]:
        return lambda grads: optimizer.update(params, grads)
    flat_params, flat_grads, first = {"all": p}, {"all": g}, grads

    def update(grads):
        if grads is not first:
            raise ModelError(f"{model!r} returned a new gradient dict; a model whose gradients "
                             f"share one buffer must reuse it on every step.")
        optimizer.update(flat_params, flat_grads)

    return update


def _limit(loss0, factor):
    """Largest loss still counted as not diverged (no ratio test when the start is already 0)."""
    return factor * loss0 if loss0 > 0 else math.inf


def _check_args(steps, batch_size, eval_every, divergence_factor):
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be an integer >= 0, got {steps=}.")
    if int(batch_size) != batch_size or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size=}.")
    if int(eval_every) != eval_every or eval_every < 1:
        raise ValueError(f"eval_every must be an integer >= 1, got {eval_every=}.")
    if not divergence_factor > 1:
        raise ValueError(f"divergence_factor must be > 1, got {divergence_factor=}.")
    return int(steps), int(eval_every)


def _prepare(model, data, dtype):
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
