"""The training loop, written once: members trained side by side for a fixed number of steps, with
periodic evaluation. A single run (``models.train.train``) is a population of one; a population
(``models.population.train_population``) stacks K trials of one model.

Knows nothing of Optuna or MLflow: a sweep observes the members through ``on_eval(step, shown)``
(``shown``: one metrics dict per member, None for members already stopped) and may stop them by
returning their indices, or stop the run by raising (e.g. ``optuna.TrialPruned``; exceptions
propagate unchanged).

Conventions, per member (a member of a population gets what its own single run would get)
- Step k means "after k optimizer updates"; θ_k are the parameters then.
- Randomness: ``init_params`` gets ``default_rng(seed)``, minibatches ``default_rng([seed, 1])``
  (independent streams); the same seed gives identical histories. Members share both.
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
  are on the full split: the parameters of a member that runs to the end are evaluated on it once
  then, and θ_0 once per process (``step0_full``); a member stopped by ``on_eval`` keeps its last
  (subset) evaluation. ``auto`` (the default) sizes the subset so that evaluation costs at most
  10% of training; ``"all"`` evaluates the full split every time. When the subset covers the
  split, the last evaluation is the final one.
- The test split is scored only with ``score_test=True`` (confirmation runs of settings chosen on
  validation), once per member when it finishes: ``final`` then also holds test_loss (and
  test_accuracy), and ``initial`` θ_0's.
- Divergence: a loss that is not finite or exceeds ``divergence_factor`` × its step-0 value
  (minibatch losses against the step-0 train_loss, evaluated validation losses against the
  step-0 val_loss) stops the member at the step k whose parameters produced it. Then
  ``diverged=True``, ``diverged_step = steps_done = k``, and ``final`` is the step-0 (untrained)
  metrics. ``history`` holds only the finite evaluations before that; the trajectory ends at the
  last finite point. Overflow warnings are silenced.
- ``outcome`` (trained, diverged or collapsed) and the objective's penalty are defined once, in
  ``models/outcome.py``; ``baseline`` holds what that definition compares with.
- ``seconds``: wall time from the start until the member finished, its last evaluations included
  and the test split not (shared by the members running alongside it, not divided among them).

The loop's collaborators: an ``Evaluator`` (models/evaluator.py) computes losses, gradients and
metrics; the population — ``One`` (models/train.py) or ``Stack`` (models/population.py) — holds
the parameters trained and what each of its rows carries:
    members                  member index of each row still training (np.ndarray)
    params                   the parameters, as the evaluator's learner takes them
    limit_train, limit_val   the rows' divergence limits, set once by ``set_limits(train, val)``
    since                    summed minibatch losses since the last evaluation; ``clear()``
    advance(losses, grads)   if every row's minibatch loss is within its limit: add the losses to
                             ``since``, update (the optimizer, then the problem's projection, if
                             any) and return True; otherwise change nothing and return False
    drop(rows) -> kept rows  remove rows (stack positions); the others keep their order
    member(row)              that row's parameters, for its result
``One`` keeps its loss, sums and limits as Python floats: a single run's divergence check and
train-loss sum are Python arithmetic, not numpy calls on arrays of one.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from .errors import ModelError
from .histories import Histories
from .outcome import classify
from .paths import Paths
from .result import TrainResult, run_baseline
from .steps_to_tol import StepsToTol


@dataclass
class Settings:
    """The keyword arguments of ``train`` and ``train_population``, checked."""

    steps: int
    batch_size: int
    eval_every: int
    seed: int
    dtype: np.dtype
    divergence_factor: float
    score_test: bool
    eval_subset: object  # "auto", "all" or a number of examples (models/eval_split.py)

    def __post_init__(self):
        steps, batch_size, eval_every = self.steps, self.batch_size, self.eval_every
        divergence_factor = self.divergence_factor
        if int(steps) != steps or steps < 0:
            raise ValueError(f"steps must be an integer >= 0, got {steps=}.")
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"batch_size must be an integer >= 1, got {batch_size=}.")
        if int(eval_every) != eval_every or eval_every < 1:
            raise ValueError(f"eval_every must be an integer >= 1, got {eval_every=}.")
        if not divergence_factor > 1:
            raise ValueError(f"divergence_factor must be > 1, got {divergence_factor=}.")
        self.steps, self.eval_every, self.dtype = int(steps), int(eval_every), np.dtype(self.dtype)


def run(pop, evaluator, settings, on_eval=None) -> list[TrainResult]:
    """Train the population ``pop`` for ``settings.steps`` updates; one result per member."""
    return _Loop(pop, evaluator, settings, on_eval).run()


class _Loop:
    """One call of ``run``: the members' records until each has finished."""

    def __init__(self, pop, evaluator, settings, on_eval):
        self.pop, self.ev, self.settings, self.on_eval = pop, evaluator, settings, on_eval
        self.k = k = pop.members.size
        key = getattr(evaluator.model, "trajectory_key", None)
        self.paths = None if key is None else Paths(key, settings.steps, k)
        self.histories = Histories(k)
        self.eval_seconds = np.zeros(k)
        self.results: list[TrainResult | None] = [None] * k
        self.tol = self.initial = self.first_test = None
        self.start = time.perf_counter()

    def run(self):
        pop, step_loss, paths = self.pop, self.ev.step, self.paths
        steps, eval_every = self.settings.steps, self.settings.eval_every
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            losses, grads = self._first()
            tol, count = self.tol, 0
            for step in range(1, steps + 1 if pop.members.size else 1):  # none if all stopped at 0
                if step > 1:
                    losses, grads = step_loss(pop.params)  # at θ_{step-1}
                if not pop.advance(losses, grads):  # some row's loss is beyond its limit (or NaN)
                    keep = self._diverged_on_minibatch(losses, step)
                    if not pop.members.size:
                        break
                    pop.advance(losses[keep], _take(grads, keep))  # all within now
                count += 1
                if paths is not None:
                    paths.record(step, pop)
                if tol is not None:
                    tol.observe(step, self.ev.exact(pop.params), pop.members)
                if step % eval_every == 0 or step == steps:
                    self._evaluate(step, pop.since / count)
                    pop.clear()
                    count = 0
                    if not pop.members.size:
                        break
            self._finish(range(pop.members.size), steps, full=True)
        return self.results

    def _first(self):
        """Step 0: the first minibatch at θ_0 (its losses are the step-0 train_loss, its gradients
        the first update's), the step-0 evaluation and the divergence limits; return that batch's
        losses and gradients for the rows still training."""
        pop, ev, s = self.pop, self.ev, self.settings
        losses, grads = ev.step(pop.params)
        t_eval = time.perf_counter()
        first = ev.evaluate(pop.params, losses)
        if not all(np.isfinite(v).all() for v in first.values()):
            raise ModelError(f"{ev.model!r} gives non-finite metrics before training: {_rows_of(first)[0]}.")
        if self.paths is not None:
            self.paths.record(0, pop)
        stopped = self._record(0, first, None, t_eval)
        t_full = time.perf_counter()  # θ_0 is every member's: one full-split evaluation
        full0 = ev.step0(s.seed, s.dtype)
        self.initial = [m | full0 for m in _rows_of(first)]
        self.eval_seconds += time.perf_counter() - t_full
        self.first_test = ev.test(pop.params) if s.score_test else None  # a diverged member's
        tolerance = getattr(ev.model, "tolerance", None)
        if tolerance is not None:
            self.tol = StepsToTol(tolerance, ev.model.optimum_loss, first["val_loss"].copy())
        pop.set_limits(_limits(first["train_loss"], s.divergence_factor),
                       _limits(first["val_loss"], s.divergence_factor))
        if stopped:
            self._finish(stopped, 0)
            keep = pop.drop(stopped)
            if pop.members.size:
                losses, grads = losses[keep], _take(grads, keep)
        return losses, grads

    def _diverged_on_minibatch(self, losses, step):
        """Close the rows whose minibatch loss at θ_{step-1} is beyond their limit; return the
        rows kept."""
        rows = np.flatnonzero(np.logical_not(np.less_equal(losses, self.pop.limit_train)))
        self._finish(rows, step - 1, diverged_step=step - 1)
        return self.pop.drop(rows)

    def _evaluate(self, step, train_losses):
        """The evaluation after update ``step``: rows with a metric that is not finite or a
        val_loss beyond their limit stop as diverged, rows that ``on_eval`` names as stopped."""
        pop = self.pop
        t_eval = time.perf_counter()
        metrics = self.ev.evaluate(pop.params, train_losses)
        ok = metrics["val_loss"] <= pop.limit_val  # NaN fails every comparison
        for v in metrics.values():
            ok &= np.isfinite(v)
        bad = [] if ok.all() else np.flatnonzero(~ok).tolist()
        stopped = self._record(step, metrics, ok if bad else None, t_eval)
        if bad or stopped:
            self._finish(bad, step, diverged_step=step)
            self._finish(stopped, step)
            pop.drop(bad + stopped)

    def _record(self, step, metrics, ok, t_eval):
        """Append the evaluations of the rows ``ok`` (None: all), call on_eval; return the rows
        it stops."""
        members = self.pop.members
        recorded = self.histories.add(step, members, metrics, ok)
        self.eval_seconds[recorded] += time.perf_counter() - t_eval
        if self.on_eval is None:
            return []
        shown: list[dict | None] = [None] * self.k
        for j in range(members.size) if ok is None else np.flatnonzero(ok):
            shown[members[j]] = {name: float(v[j]) for name, v in metrics.items()}
        stop = set(_check_indices(self.on_eval(step, shown), self.k))
        return [j for j, i in enumerate(members) if i in stop and (ok is None or ok[j])]

    def _finish(self, rows, done, diverged_step=None, full=False):
        """Close the members at ``rows``: their results, with their parameters as they are now;
        ``full``: their final metrics on the full validation split (members that ran to the end)."""
        rows = list(rows)
        if not rows:
            return
        pop, ev, score_test = self.pop, self.ev, self.settings.score_test
        diverged = diverged_step is not None
        members = pop.members[rows]
        t_full = time.perf_counter()
        fulls = ev.full(pop.params) if full and ev.partial else None
        self.eval_seconds[members] += time.perf_counter() - t_full
        seconds = time.perf_counter() - self.start
        tests = ev.test(pop.params) if score_test and not diverged else None  # the whole stack, once
        ran = self.histories.of(members)
        for j, i in zip(rows, members):
            final = dict(self.initial[i]) if diverged else {
                name: v[-1] for name, v in ran[i].items() if name != "step"} | (fulls[j] if fulls else {})
            if self.tol is not None:
                final |= self.tol.final(i, diverged)
            if score_test:
                final |= self.first_test[i] if diverged else tests[j]
            baseline = run_baseline(ev.model, ev.data, self.initial[i], score_test)
            self.results[i] = TrainResult(
                history=ran[i], final=final, diverged=diverged, diverged_step=diverged_step,
                steps_done=done, seconds=seconds,
                trajectory=None if self.paths is None else self.paths.of(i, done),
                params=pop.member(j), eval_seconds=float(self.eval_seconds[i]),
                initial=self.initial[i] | (self.first_test[i] if score_test else {}),
                baseline=baseline, outcome=classify(diverged, final, baseline))


def _limits(losses0, factor):
    """The largest loss of each row still counted as not diverged (no ratio test when its start
    is already 0)."""
    return np.array([factor * f if f > 0 else math.inf for f in map(float, losses0)])


def _take(grads, rows):
    return {key: g[rows] for key, g in grads.items()}


def _rows_of(metrics):
    """name -> per-row values, as one dict of Python floats per row."""
    return [dict(zip(metrics, map(float, values))) for values in zip(*metrics.values())]


def _check_indices(indices, k):
    """on_eval's answer as member indices; None means none."""
    out = []
    for i in () if indices is None else indices:
        if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)) or not 0 <= i < k:
            raise ValueError(f"on_eval must return member indices in 0..{k - 1}, got {i!r}.")
        out.append(int(i))
    return out
