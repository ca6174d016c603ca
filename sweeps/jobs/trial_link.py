"""How a task reaches its Optuna trial: in-process, or from another process through the storage.

The sweeper asks Optuna for trials and passes each job the study name and trial number; the job
opens the same storage (one connection pool per process) and reports intermediate values there,
so median/hyperband pruning works with the basic launcher and with process launchers alike.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

import optuna

from sweeps import records
from sweeps.adapters import optuna_private
from sweeps.samplers import make_pruner
from sweeps.storages.rdb import open_storage, riding_out


_studies: dict[tuple[str, str], optuna.Study] = {}
_own: set[tuple[str, str]] = set()   # the sweeper's studies: their tasks run in its process
_lent: dict[tuple[str, str, int], optuna.Trial] = {}   # the sweeper's live trials of the batch in flight


def register(url: str, study: optuna.Study) -> None:
    """Let in-process tasks use the sweeper's own study object (its storage, sampler, pruner)."""
    _studies[(url, study.study_name)] = study
    _own.add((url, study.study_name))


@contextlib.contextmanager
def lent(url: str, study: optuna.Study, trials: list[optuna.Trial]) -> Iterator[None]:
    """While a batch runs, its jobs in the sweeper's process attach to the sweeper's own live
    trials, just asked, instead of reading each again from the storage."""
    keys = [(url, study.study_name, t.number) for t in trials]
    _lent.update(zip(keys, trials))
    try:
        yield
    finally:
        for key in keys:
            _lent.pop(key, None)


def attach(sweeper_cfg, study_name: str, number: int) -> optuna.Trial:
    """The live trial ``number`` of ``study_name`` in the sweeper's storage (read through a
    database restart: a trial is not to fail because the database was away when it started)."""
    return riding_out(lambda: _attach(sweeper_cfg, study_name, number), f"opening trial {number}")


def _attach(sweeper_cfg, study_name: str, number: int) -> optuna.Trial:
    key = (sweeper_cfg.storage, study_name)
    if key in _own and (*key, number) in _lent:
        return _lent[(*key, number)]
    if key not in _studies:  # a worker process: open the storage, prune as the sweeper would
        storage = open_storage(
            sweeper_cfg.storage,
            sweeper_cfg.get("heartbeat_interval"),
            sweeper_cfg.get("grace_period"),
            sweeper_cfg.get("retry_failed_trials", 0),
        )
        _studies[key] = optuna.load_study(
            study_name=study_name, storage=storage, pruner=make_pruner(sweeper_cfg.pruner)
        )
    study = _studies[key]
    trial = optuna_private.trial_of_number(study, number)
    if key not in _own:   # which process (a SLURM node's, say) ran it: beside the sweeper's records.WORKER
        job = f"{socket.gethostname()}:{os.getpid()}"
        riding_out(lambda: trial.set_user_attr(records.JOB_PROCESS, job), "recording the job's process")
    return trial


UNTRAINED_STEP = 0   # the evaluation before the first update (models/loop.py)


class Pruned:
    """What a job returns when its trial was pruned (an exception would be logged as an error)."""

    def __init__(self, message: str = ""):
        self.message = message


class Reporter:
    """The training loop's ``on_eval``: keeps the metric history and drives pruning.

    Step 0 is the model before any update: every trial of a study has (nearly) the same loss
    there, so a pruner asked at step 0 would judge settings by rounding noise. It is never
    reported to the pruner, whatever the pruner and its options; it waits with the deferred values.
    From the first evaluation after training starts, each value is reported when measured and the
    pruner asked; Optuna's pruners compare it with the other trials' values at that same step.
    Without a pruner nothing reads a trial's intermediate values before it ends, so they wait in
    ``unwritten`` for the member to record them with its other attributes in one transaction
    (``storages.writes``).
    """

    def __init__(self, metric: str, trial: optuna.Trial | None):
        self.metric, self.trial = metric, trial
        self.history: list[tuple[str, float, int]] = []   # (key, value, step) for MLflow
        self.deferred = trial is not None and isinstance(trial.study.pruner, optuna.pruners.NopPruner)
        self.unwritten: dict[int, float] = {}

    def __call__(self, step: int, metrics: dict[str, float]) -> None:
        self.history += [(k, float(v), step) for k, v in metrics.items()]
        if self.trial is None or self.metric not in metrics:
            return
        value = float(metrics[self.metric])
        if self.deferred or step == UNTRAINED_STEP:
            self.unwritten[step] = value
            return
        riding_out(lambda: self.trial.report(value, step), "reporting a value")
        if riding_out(self.trial.should_prune, "asking the pruner"):
            raise optuna.TrialPruned(f"pruned at step {step}")
