"""One trial's bookkeeping: its MLflow child run, its Optuna trial, its outcome.

Shared by single runs and population runs, so a trial trained alone or as one of K stacked
members is logged the same way.
"""

from __future__ import annotations

import contextlib
import logging
import math

import numpy as np
import optuna
from omegaconf import DictConfig

from models import outcome as outcomes

from sweeps.tracking import curve_worker, run_labels
from sweeps.tracking.run_batch import RunBatch
from sweeps import tracking
from sweeps.errors import SweepError
from sweeps.storages import writes
from sweeps.storages.heartbeat import finished_elsewhere
from sweeps.storages.rdb import riding_out
from sweeps.jobs.trial_link import Pruned, Reporter
from sweeps.launch import lifeline
from sweeps import records

log = logging.getLogger(__name__)


class GivenUp(Exception):
    """The trial this job trains is no longer RUNNING: another process failed and re-queued it."""


class Member:
    """Starts the child run at construction; ``complete``/``pruned``/``failed`` end it.

    Its MLflow calls go through ``runs``: a population job's members share one ``RunBatch``, which
    creates their runs together (the job then ``link``s each to its trial) and writes their
    results together; a member without one writes each call at once and links itself. Likewise
    the trial's record at its end waits in ``pending`` (trial -> attributes and values), if
    given, for the job's ``record_all``.
    """

    def __init__(self, cfg: DictConfig, trial: optuna.Trial | None, hyperparameters: dict, fingerprint: str,
                 direction: str = "minimize", runs: RunBatch | None = None, pending: dict | None = None):
        self.cfg, self.trial, self.pending = cfg, trial, pending
        self.uri = cfg.mlflow.tracking_uri
        self.runs = runs if runs is not None else RunBatch(self.uri, batched=False)
        # the sweeper has made or found it (~1.5 ms a trial to ask again); a single run finds it here
        experiment_id = cfg.trial.get("experiment_id") or tracking.ensure_experiment(
            self.uri, cfg.mlflow.experiment_name, cfg.mlflow.artifact_location
        )
        self.name = name(cfg, trial, hyperparameters)
        tags = {"gammasweep.optuna_study": cfg.trial.study, "gammasweep.trial": trial.number} if trial else {}
        self.run_id = self.runs.start_child(experiment_id, cfg.trial.parent_run_id, self.name, tags)
        if runs is None:
            self.link()
        self.axes = run_labels.log_axes(hyperparameters)   # params and metrics: readable plot axes
        self.params = run_params(cfg, hyperparameters, fingerprint) | run_labels.axis_params(self.axes)
        self.reporter = Reporter(cfg.optimized_metric, trial)
        self.direction = direction

    def link(self) -> None:
        """Record the run's id on the trial, first thing once the run exists: a worker killed from
        here on leaves a findable run."""
        if self.trial is None:
            return
        try:
            _set(self.trial, records.MLFLOW_RUN_ID, self.run_id)
        except BaseException:   # given up meanwhile (an interrupted sweeper failed and re-queued
            with contextlib.suppress(Exception):   # it, then closed the runs it could find)
                tracking.finish(self.uri, self.run_id, "KILLED")
            raise

    @staticmethod
    def link_all(members: list[Member]) -> None:
        """``link`` every member, in one transaction; one by one if a trial was given up."""
        trials = {m.trial: ({records.MLFLOW_RUN_ID: m.run_id}, {}) for m in members if m.trial is not None}
        try:
            riding_out(lambda: writes.record_all(trials), "recording the MLflow runs")
        except optuna.exceptions.UpdateFinishedTrialError:
            for member in members:
                member.link()

    @staticmethod
    def record_all(pending: dict) -> dict[int, Exception]:
        """Write the members' pending records in one transaction; one by one if a trial was given up
        meanwhile. Returns the trials (by number) whose record could not be written, with why."""
        try:
            riding_out(lambda: writes.record_all(pending), "recording the trials")
            return {}
        except optuna.exceptions.UpdateFinishedTrialError:
            errors = {}
            for trial, (attrs, values) in pending.items():
                try:
                    riding_out(lambda: writes.record(trial, attrs, values), "recording the trial")
                except Exception as e:  # this trial's, not its neighbours'
                    errors[trial.number] = e
            return errors

    def complete(self, result) -> float:
        """Log a finished run (trained, diverged or collapsed); returns the objective."""
        metric = self.cfg.optimized_metric
        value = objective(result, metric, self.direction)
        best = best_along(result.history)
        trained = result.outcome == outcomes.TRAINED
        final = result_metrics(result, metric, value, best) if trained else {"penalty": value}
        final |= self.axes | {"diverged": float(result.diverged),
                              "collapsed": float(result.outcome == outcomes.COLLAPSED),
                              "train_seconds": result.seconds, "steps_done": result.steps_done}
        tags = {records.STATE_TAG: result.outcome.upper(), records.OUTCOME_TAG: result.outcome,
                records.DIVERGED: result.diverged}
        label = run_labels.labelled(self.name, result.outcome)
        if label != self.name:   # renaming costs MLflow a second transaction
            tags[records.RUN_NAME_TAG] = label
        self._still_ours()
        self.runs.log_all(self.run_id, self.params, self.history(trained), final, tags)
        if self.cfg.mlflow.log_curve_png:
            curve_worker.submit(result, self.name, self.uri, self.run_id)
        self.runs.finish(self.run_id)
        if self.trial is not None:
            attrs = {records.OUTCOME: result.outcome, records.DIVERGED: result.diverged,
                     records.DIVERGED_STEP: result.diverged_step, records.TRAIN_SECONDS: result.seconds,
                     records.SEED: int(self.cfg.train.seed), records.FINAL: dict(result.final),
                     records.INITIAL: dict(result.initial), records.BASELINE: dict(result.baseline), **best}
            if result.trajectory is not None:  # the 2-D path, for the report's contour figures
                attrs[records.TRAJECTORY] = thin(result.trajectory).tolist()
            self._record(attrs)
        shown = f"{metric} = {value:.6g}" if trained else f"penalty {metric} = {value:.6g}"
        log.info("%s: %s (%s, %.2f s)", self.line_head(), shown, result.outcome, result.seconds)
        return value

    def line_head(self) -> str:
        """``<study> #12 rmsprop γ=0.99 lr=1e-3``: how the terminal names this trial."""
        study = self.cfg.trial.get("study") if self.trial is not None else None
        head = self.name
        if self.trial is not None:   # the number leads, after the study it is a number of
            head = f"#{self.trial.number} " + head.removesuffix(f" #{self.trial.number}")
        return f"{study} {head}" if study else head

    def history(self, trained: bool = True) -> list[tuple[str, float, int]]:
        """The metric history with the optimized metric first (MLflow's charts pick the first).
        A run that did not train keeps its curves as ``last_<metric>``: MLflow's charts and compare
        view plot ``<metric>``, which then holds results of trained runs only."""
        ordered = sorted(self.reporter.history, key=lambda m: m[0] != self.cfg.optimized_metric)
        return ordered if trained else [(f"{LAST}{k}", v, step) for k, v, step in ordered]

    def pruned(self, message: str = "") -> Pruned:
        tags = {records.STATE_TAG: "PRUNED", records.PRUNED_TAG: True, records.OUTCOME_TAG: "pruned",
                records.RUN_NAME_TAG: run_labels.labelled(self.name, "pruned")}
        if self.trial is not None and self.reporter.unwritten:   # its step-0 value, kept for its curve
            self._record({})
        self._still_ours()
        self.runs.log_all(self.run_id, self.params, self.history(trained=False), tags=tags)
        self.runs.finish(self.run_id)
        log.info("%s: %s", self.line_head(), message or "pruned")
        return Pruned(message)

    def _still_ours(self) -> None:
        """Before a run is logged FINISHED: a job whose sweeper died exits (``lifeline``); one whose
        trial was given up meanwhile — failed and re-queued by an interrupted sweeper, or by a
        worker that found it stale — raises ``GivenUp``, so that its run ends FAILED. Either way
        the trial's retry is the one run that finishes."""
        lifeline.check()
        if self.trial is not None and lifeline.held() and riding_out(
                lambda: finished_elsewhere(self.trial.study, self.trial), "checking the trial"):
            raise GivenUp(f"trial {self.trial.number} was failed and re-queued while this job ran it")

    def _record(self, attrs: dict, now: bool = False) -> None:
        """The trial's attributes and its unwritten intermediate values, in one transaction (or
        left in ``pending`` for the job's ``record_all``)."""
        values = dict(self.reporter.unwritten)
        if self.pending is not None and not now:
            self.pending[self.trial] = (attrs, values)
            return
        riding_out(lambda: writes.record(self.trial, attrs, values), "recording the trial")

    def failed(self) -> None:
        if self.trial is not None and self.reporter.unwritten:   # the curve so far, if it can
            with contextlib.suppress(Exception):
                self._record({}, now=True)
        self.runs.log_all(self.run_id, self.params, self.history(trained=False), tags={
            records.STATE_TAG: "FAILED", records.OUTCOME_TAG: "failed",
            records.RUN_NAME_TAG: run_labels.labelled(self.name, "failed")})
        self.runs.finish(self.run_id, "FAILED")


LAST = "last_"   # the prefix of a metric of a run that did not train: its value when it stopped


def result_metrics(result, metric: str, value: float, best: dict[str, float]) -> dict[str, float]:
    """What a trained run logs as its result: final values (the optimized metric first), the best
    validation loss along training, and the objective."""
    final = {f"final_{metric}": result.final[metric]}
    final |= {f"final_{k}": v for k, v in result.final.items()}
    return final | best | {"objective": value}


def name(cfg: DictConfig, trial: optuna.Trial | None, hyperparameters: dict) -> str:
    """``rmsprop γ=0.99 lr=1e-3 ε=1e-8 #12``: the swept values of a trial, the main ones of a run."""
    if trial is not None:
        return run_labels.run_name(cfg.optimizer.name, trial.params, trial.number)
    main = {k: v for k, v in hyperparameters.items() if k in ("lr", "gamma", "beta2", "eps")}
    return run_labels.run_name(cfg.optimizer.name, main)


def run_params(cfg: DictConfig, hyperparameters: dict, fingerprint: str) -> dict:
    """What MLflow shows as the run's parameters: the optimizer's own names plus the common gamma."""
    return dict(hyperparameters) | {
        "optimizer": cfg.optimizer.name, "model": cfg.model.name, "data": cfg.data.name,
        "data_fingerprint": fingerprint, "seed": cfg.train.seed, "dtype": cfg.train.dtype,
        "steps": cfg.train.steps, "batch_size": cfg.train.batch_size, "score_test": cfg.train.score_test,
        "eval_every": cfg.train.eval_every, "eval_subset": cfg.train.get("eval_subset", "all"),
        "code_version": tracking.code_version(),
    }


def objective(result, metric: str, direction: str) -> float:
    """The optimized metric of a trained run, else the penalty (models/outcome.py)."""
    if metric not in result.final:
        raise SweepError(
            f"optimized_metric={metric!r} is not a metric of this run; it has: "
            f"{', '.join(result.final)} (the test split is scored only by confirmation runs: "
            "tune on val_loss or val_accuracy)."
        )
    value = outcomes.objective(result, metric, direction)
    if not math.isfinite(value):  # the training loop promises finite metrics; never pass NaN on
        raise SweepError(f"The run produced a non-finite {metric} ({value}).")
    return value


def best_along(history: dict) -> dict[str, float]:
    """The best validation loss along training and its step (next to the final value)."""
    losses = history.get("val_loss") or []
    if not losses:
        return {}
    i = min(range(len(losses)), key=losses.__getitem__)
    return {records.BEST_VAL_LOSS: float(losses[i]), records.BEST_VAL_STEP: int(history["step"][i])}


def thin(path: np.ndarray, points: int = 201) -> np.ndarray:
    """At most ``points`` points of a path, first and last kept: enough to draw it."""
    if len(path) <= points:
        return path
    idx = np.unique(np.linspace(0, len(path) - 1, points).round().astype(int))
    return path[idx]


def _set(trial: optuna.Trial, key: str, value) -> None:
    """A trial's user attribute, written through a database restart (``riding_out``)."""
    riding_out(lambda: trial.set_user_attr(key, value), f"recording {key}")
