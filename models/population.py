"""Population training: K trials of one model and one optimizer as a single vectorised computation.

    >>> import numpy as np, models, optimizers
    >>> from models.population import train_population
    >>> opt = optimizers.create("rmsprop", lr=np.array([0.01, 0.1]), gamma=np.array([0.9, 0.99]))
    >>> results = train_population(models.create("quadratic"), opt, k=2, steps=50, eval_every=25)
    >>> [r.history["step"] for r in results]
    [[0, 25, 50], [0, 25, 50]]

Member i's ``TrainResult`` equals, up to float rounding, ``models.train.train(model, optimizer_i,
data, seed=seed, ...)`` where optimizer_i has the i-th value of every per-trial hyperparameter:
every convention of ``models/train.py`` (evaluation schedule and validation subset, train_loss,
divergence rules and the step-0 penalty, trajectories, a problem's oracle and projection,
``steps_to_tol``) holds per member. What the members share:
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

Speed (benchmarks/population.py, float32, one BLAS thread, 2 cores): the gain is the per-step
Python overhead removed K-fold, so it is large for small models and nil for compute-bound ones —
quadratic 7× / 22× / 50× at K = 16 / 64 / 256; binary_mlp 2.2× / 4.7× / 5.4× at K = 4 / 16 / 64;
mnist_mlp 0.9–1.0× at K = 1..16 (its matmuls dominate; stacking does not make them cheaper).
"""

import math
import time

import numpy as np

from .batches import EpochBatches
from .errors import ModelError
from .eval_split import step0_full, subset_size
from .mlp import MLP
from .population_mlp import StackedMLP
from .population_history import Histories
from .population_problems import StackedProblem
from .problems import Problem
from .outcome import classify
from .steps_to_tol import StepsToTol
from .train import TrainResult, _check_args, _limit, _prepare, run_baseline

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
    steps, eval_every = _check_args(steps, batch_size, eval_every, divergence_factor)
    k = _check_k(k, optimizer)
    dtype = np.dtype(dtype)
    stack = _stacked(model)
    if stack is None:
        raise ModelError(f"{model!r} has no population version (population_supported is False); "
                         f"train its trials one by one with models.train.train.")
    pop = _Population(stack, optimizer, stack.init_params(np.random.default_rng(seed), dtype, k))
    if model.needs_data:
        data = _prepare(model, data, dtype)
        batches = EpochBatches(data.x_train, data.y_train, batch_size,
                               np.random.default_rng([seed, 1]))

        def step_loss():
            return stack.loss_and_grads(pop.params, *batches.next())

        n_sub = subset_size(eval_subset, len(data.y_val), steps, eval_every, batch_size)
        x_sub, y_sub = data.x_val[:n_sub], data.y_val[:n_sub]
        partial = n_sub < len(data.y_val)

        def evaluate(train_losses):
            val_loss, acc = stack.evaluate(pop.params, x_sub, y_sub)
            return {"train_loss": np.asarray(train_losses, dtype=float), "val_loss": np.asarray(val_loss, dtype=float),
                    "val_accuracy": np.asarray(acc, dtype=float)}

        def evaluate_full():
            val_loss, acc = stack.evaluate(pop.params, data.x_val, data.y_val)
            return [{"val_loss": float(b), "val_accuracy": float(c)} for b, c in zip(val_loss, acc)]

        def test():
            test_loss, acc = stack.evaluate(pop.params, data.x_test, data.y_test)
            return [{"test_loss": float(b), "test_accuracy": float(c)} for b, c in zip(test_loss, acc)]
    else:
        if data is not None:
            raise ModelError(f"{model!r} takes no data (needs_data=False), but data was given.")

        oracle = stack.oracle(np.random.default_rng([seed, 1]), batch_size)

        def step_loss():
            return oracle(pop.params)

        def evaluate(_train_losses):
            f = np.asarray(stack.loss(pop.params), dtype=float)
            return {"train_loss": f, "val_loss": f}

        def test():
            return [{"test_loss": float(f)} for f in stack.loss(pop.params)]

        partial = False

    key = getattr(stack, "trajectory_key", None)
    project = getattr(stack, "project", None)
    tolerance = getattr(model, "tolerance", None)
    path = np.full((steps + 1, k, 2), np.nan) if key else None  # (step, member, 2)
    histories = Histories(k)
    eval_seconds = np.zeros(k)
    results: list[TrainResult | None] = [None] * k

    def finish(rows, done, diverged_step=None, full=False):
        """Close the members at stack ``rows``: their result, with params as they are now;
        ``full``: their final metrics on the full validation split (members that ran to the end)."""
        rows = list(rows)
        diverged = diverged_step is not None
        tests = test() if score_test and rows and not diverged else None  # the whole stack, once
        t_full = time.perf_counter()
        fulls = evaluate_full() if full and partial and rows else None
        eval_seconds[pop.members[rows]] += time.perf_counter() - t_full
        ran = histories.of(pop.members[rows])
        for j in rows:
            i = pop.members[j]
            history = ran[i]
            final = dict(initial[i]) if diverged else {
                name: v[-1] for name, v in history.items() if name != "step"} | (fulls[j] if fulls else {})
            if tol is not None:
                final |= tol.final(i, diverged)
            if score_test:
                final |= first_test[i] if diverged else tests[j]
            baseline = run_baseline(model, data, initial[i], score_test)
            results[i] = TrainResult(
                history=history, final=final, diverged=diverged, diverged_step=diverged_step,
                steps_done=done, seconds=time.perf_counter() - start,
                trajectory=None if path is None else _finite_prefix(path[: done + 1, i]),
                params=stack.member(pop.params, j), eval_seconds=float(eval_seconds[i]),
                initial=initial[i] | (first_test[i] if score_test else {}), baseline=baseline,
                outcome=classify(diverged, final, baseline))

    def record(step, metrics, bad):
        """Append the finite evaluations, call on_eval; return the stack rows it stops."""
        members = pop.members
        histories.add(step, members, metrics, ~bad)
        eval_seconds[members[~bad]] += time.perf_counter() - t_eval
        if on_eval is None:
            return []
        shown: list[dict | None] = [None] * k
        for j in np.flatnonzero(~bad):
            shown[members[j]] = {name: float(v[j]) for name, v in metrics.items()}
        stop = set(_check_indices(on_eval(step, shown), k))
        return [j for j, i in enumerate(members) if i in stop and not bad[j]]

    start = time.perf_counter()
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        losses, grads = step_loss()  # at θ_0: the step-0 train losses and the first update's grads
        t_eval = time.perf_counter()
        first = evaluate(losses)
        if not all(np.isfinite(v).all() for v in first.values()):
            raise ModelError(f"{model!r} gives non-finite metrics before training: {_rows_of(first)[0]}.")
        if path is not None:
            path[0] = pop.params[key]
        stopped = record(0, first, np.zeros(k, bool))
        t_full = time.perf_counter()   # θ_0 is every member's: one full-split evaluation
        full0 = step0_full(model, data, seed, dtype) if partial else {}
        initial = [m | full0 for m in _rows_of(first)]
        eval_seconds += time.perf_counter() - t_full
        first_test = test() if score_test else None  # at θ_0: a diverged member's test metrics
        tol = None if tolerance is None else StepsToTol(
            tolerance, model.optimum_loss, first["val_loss"].copy())
        pop.limit_train = np.array([_limit(float(v), divergence_factor) for v in first["train_loss"]])
        pop.limit_val = np.array([_limit(float(v), divergence_factor) for v in first["val_loss"]])
        if stopped:
            finish(stopped, 0)
            keep = pop.drop(stopped)
            losses, grads = losses[keep], _rows(grads, keep)
        count = 0
        for step in range(1, steps + 1):
            if not pop.members.size:
                break
            if step > 1:
                losses, grads = step_loss()  # at θ_{step-1}
            bad = ~(losses <= pop.limit_train)  # NaN fails every comparison
            if bad.any():
                rows = np.flatnonzero(bad)
                finish(rows, step - 1, diverged_step=step - 1)
                keep = pop.drop(rows)
                if not pop.members.size:
                    break
                losses, grads = losses[keep], _rows(grads, keep)
            pop.since += losses
            count += 1
            pop.optimizer.update(pop.params, grads)
            if project is not None:
                project(pop.params["theta"])
            if path is not None:
                path[step, pop.members] = pop.params[key]
            if tol is not None:
                tol.observe(step, stack.loss(pop.params), pop.members)
            if step % eval_every == 0 or step == steps:
                t_eval = time.perf_counter()
                metrics = evaluate(pop.since / count)
                finite = np.logical_and.reduce([np.isfinite(v) for v in metrics.values()])
                bad = ~(finite & (metrics["val_loss"] <= pop.limit_val))
                stopped = record(step, metrics, bad)
                finish(np.flatnonzero(bad), step, diverged_step=step)
                finish(stopped, step)
                pop.drop([*np.flatnonzero(bad), *stopped])
                pop.since[:], count = 0.0, 0
        finish(range(pop.members.size), steps, full=True)
    return results


class _Population:
    """The members still training: stacked params, optimizer, and their per-member arrays."""

    def __init__(self, stack, optimizer, params):
        self.stack, self.optimizer, self.params = stack, optimizer, params
        k = len(next(iter(params.values())))
        self.members = np.arange(k)  # member index of each stack row
        self.since = np.zeros(k)  # summed minibatch losses since the last evaluation
        self.limit_train = self.limit_val = np.full(k, math.inf)

    def drop(self, rows):
        """Remove stack ``rows``; return the rows kept (old indices, in order)."""
        keep = np.setdiff1d(np.arange(self.members.size), np.asarray(rows, dtype=np.intp))
        if keep.size == self.members.size:
            return keep
        self.params = self.stack.take(self.params, keep)
        self.optimizer = self.optimizer.keep_trials(keep, self.params)
        for name in ("members", "since", "limit_train", "limit_val"):
            setattr(self, name, getattr(self, name)[keep])
        return keep


def _rows_of(metrics):
    """name -> per-row values, as one dict of Python floats per row."""
    return [dict(zip(metrics, map(float, values))) for values in zip(*metrics.values())]


def _rows(grads, keep):
    return {key: g[keep] for key, g in grads.items()}


def _finite_prefix(path):
    """The path up to (not including) its first non-finite point, as train.py cuts it."""
    finite = np.isfinite(path).all(axis=1)
    return path[: len(path) if finite.all() else int(np.argmin(finite))].copy()


def _check_k(k, optimizer):
    if isinstance(k, bool) or int(k) != k or k < 1:
        raise ValueError(f"k must be an integer >= 1 (the number of members), got {k=}.")
    for name, value in optimizer.hyperparameters.items():
        if isinstance(value, np.ndarray) and value.shape[0] != k:
            raise ValueError(f"{optimizer.name}: {name} holds {value.shape[0]} per-trial values, "
                             f"but k={k}; give every per-trial hyperparameter k values.")
    return int(k)


def _check_indices(indices, k):
    """on_eval's answer as member indices; None means none."""
    out = []
    for i in () if indices is None else indices:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not 0 <= i < k:
            raise ValueError(f"on_eval must return member indices in 0..{k - 1}, got {i!r}.")
        out.append(int(i))
    return out
