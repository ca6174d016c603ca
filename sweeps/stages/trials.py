"""The trial loop every stage runs: ask a batch, launch it, tell the outcomes, until the budget is spent.

Any number of workers may share a study (``storages.shared_study``): they count and ask under the
storage's lock, fail and retry the trials of dead workers, and make one MLflow parent run.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import logging
import math
from dataclasses import dataclass, field
from typing import Any

import optuna
from omegaconf import DictConfig
from optuna.trial import TrialState

from sweeps import disk_full, file_errors, records, tracking
from sweeps.adapters import optuna_private
from sweeps.errors import redact
from sweeps.hydra.plan import StudyPlan
from sweeps.jobs.trial_link import Pruned, lent, register
from sweeps.launch import signals
from sweeps.launch.backends import HydraLauncher, died
from sweeps.launch.population import Population, next_batch
from sweeps.storages import shared_study, writes
from sweeps.storages.heartbeat import beating, fail_dead
from sweeps.storages.lock import storage_lock
from sweeps.storages.rdb import open_storage, riding_out, storage_errors
from sweeps.study import open_study, remaining_budget
from sweeps.terminal.progress import Progress

log = logging.getLogger(__name__)


FULL = "the disk filled up while it ran"   # a trial's error when a full disk stopped it


class TooManyFailures(Exception):
    """More trials crashed than ``max_failure_rate`` allows."""


@dataclass
class TrialLoop:
    """What the stages of one invocation share: the launch backend, the progress bar, and the MLflow
    parent runs and links this invocation touched. ``options`` are the current part's."""

    options: DictConfig
    backend: HydraLauncher
    progress: Progress
    parents: dict[str, str] = field(default_factory=dict)          # parent run id -> tracking URI
    links: dict[tuple[str, str], str] = field(default_factory=dict)  # (uri, experiment id) -> how to open it
    tables: list = field(default_factory=list)                      # each study's closing summary

    def open(self, name: str, identity: dict[str, Any]) -> optuna.Study:
        o = self.options
        storage = open_storage(o.storage, o.heartbeat_interval, o.grace_period, o.retry_failed_trials)
        study = open_study(name, storage, o.direction, identity)
        register(o.storage, study)
        return study

    def optimize(self, study: optuna.Study, plan: StudyPlan, space, budget: int | None = None,
                 population: Population = Population(1), queued_only: bool = False) -> int:
        """Ask, launch and tell in batches of ``n_jobs`` until this invocation's budget is spent
        (with ``queued_only``, until the study's queue is empty: see ``SharedStudy.ask``);
        returns the trials launched."""
        o, ml = self.options, plan.cfg.mlflow
        shared = shared_study.SharedStudy(study, o.heartbeat_interval)
        experiment_id, parent = self._runs(study, ml)
        n_trials = o.n_trials if budget is None else budget
        max_trials = o.max_trials if budget is None else None
        launched, failed = 0, 0
        with storage_errors(o.storage):   # a database lost mid-sweep: one paragraph, exit 2
            while True:
                budget_left = functools.partial(remaining_budget, study, launched, n_trials, max_trials)
                n, k = next_batch(population, study, dict(o.sampler), o.n_jobs)
                batch = riding_out(lambda: shared.ask(space, n, budget_left, queued_only), "asking for trials")
                with self._abandoned_if_interrupted(study, plan, batch.trials, experiment_id):
                    self._close_killed(study, experiment_id, ml.tracking_uri, batch.stale)
                if not batch.trials:
                    if shared.wait_for_others(batch, n_trials - launched):
                        continue
                    break
                failed += self._batch(study, plan, batch.trials, (experiment_id, parent), k)
                launched += len(batch.trials)
                if failed > o.max_failure_rate * n_trials:
                    raise TooManyFailures(
                        f"{failed} of {launched} trials of study {study.study_name!r} failed, more than "
                        f"max_failure_rate={o.max_failure_rate} of the {n_trials} planned; "
                        "each failure's error is in its trial's user attribute 'error' and in the log."
                    )
        return launched

    def _runs(self, study: optuna.Study, ml: DictConfig) -> tuple[str, str]:
        """The study's MLflow experiment and parent run, made once across workers; the parent is
        RUNNING while this invocation adds trials."""
        tracking.ensure_reachable(ml.tracking_uri)
        experiment_id = locked(study, f"mlflow experiment {ml.experiment_name}",
                               lambda: tracking.ensure_experiment(ml.tracking_uri, ml.experiment_name,
                                                                  ml.artifact_location))
        parent = locked(study, shared_study.lock_name(study.study_name),
                        lambda: tracking.parent_run(ml.tracking_uri, experiment_id, study))
        tracking.reopen(ml.tracking_uri, parent)
        self.parents[parent] = ml.tracking_uri
        self.links[(ml.tracking_uri, experiment_id)] = tracking.ui_hint(ml.tracking_uri, experiment_id)
        return experiment_id, parent

    def _record(self, study: optuna.Study, trials: list, outcomes: list, experiment_id: str, uri: str) -> int:
        """Tell every outcome; trials whose job died are failed and re-queued as a dead worker's.
        Returns how many trials failed."""
        gone = {t.number: why for t, out in zip(trials, outcomes) if (why := died(out))}
        if gone:   # as for a dead worker: failed and re-queued, not counted as a crash
            ids = {optuna_private.trial_id(t): gone[t.number] for t in trials if t.number in gone}
            dead = locked(study, shared_study.lock_name(study.study_name), lambda: fail_dead(study, ids))
            self._close_killed(study, experiment_id, uri, dead)
        live = [(t, out) for t, out in zip(trials, outcomes) if t.number not in gone]
        ids = [optuna_private.trial_id(t) for t, _ in live]
        states = riding_out(lambda: optuna_private.trial_states(study, ids), "checking the trials")
        elsewhere = {t.number for t, _ in live if states[optuna_private.trial_id(t)].is_finished()}
        values = {t: float(out) for t, out in live if t.number not in elsewhere and _finite(out)}
        told = riding_out(lambda: writes.tell_complete(study, values), "recording the results")
        failed = 0
        for t, outcome in live:
            if t.number in elsewhere:
                log.warning("Trial %d of %s was failed by another worker (no heartbeat for the "
                            "grace period): its result is dropped; its retry runs it again.",
                            t.number, study.study_name)
                continue
            bad = False if t.number in told else riding_out(lambda: tell(study, t, outcome), "recording a result")
            failed += bad
            self.progress.told(study, t, *_shown(outcome, bad))
        return failed

    def _close_killed(self, study: optuna.Study, experiment_id: str, uri: str, trials: list) -> None:
        for t in trials:
            runs = tracking.close_killed_run(uri, experiment_id, study.study_name, t,
                                             retried=bool(self.options.retry_failed_trials))
            log.warning("Trial %d of %s: its worker died; MLflow run(s) %s set to KILLED.",
                        t.number, study.study_name, ", ".join(runs) or "(none)")

    def _batch(self, study: optuna.Study, plan: StudyPlan, trials: list, runs: tuple[str, str], k: int) -> int:
        """Launch asked trials and tell their outcomes; returns how many failed. Interrupted
        (Ctrl-C, SIGTERM, SIGHUP) anywhere from launch to the last tell, the trials not yet told
        are failed and re-queued and their RUNNING MLflow runs end KILLED before the interrupt goes on."""
        experiment_id, uri = runs[0], plan.cfg.mlflow.tracking_uri
        with self._abandoned_if_interrupted(study, plan, trials, experiment_id):
            outcomes = self._launch(study, plan, trials, runs, k)
            full = {t.number for t, out in zip(trials, outcomes) if disk_full.caused(_error(out))}
            failed = self._record(study, *_without(full, trials, outcomes), experiment_id, uri)
            if full:   # their jobs met a full disk: not the trials' fault, and the sweep cannot go on
                self._abandon(study, plan, [t for t in trials if t.number in full], experiment_id, FULL)
                raise next(out for t, out in zip(trials, outcomes) if t.number in full)
        return failed

    @contextlib.contextmanager
    def _abandoned_if_interrupted(self, study: optuna.Study, plan: StudyPlan, trials: list, experiment_id: str):
        try:
            yield
        except KeyboardInterrupt as e:   # Ctrl-C, or SIGTERM/SIGHUP (launch.signals)
            self._abandon(study, plan, trials, experiment_id, f"interrupted ({signals.name(e)}) while running")
            raise

    def _launch(self, study: optuna.Study, plan: StudyPlan, trials: list, runs: tuple[str, str], k: int) -> list[Any]:
        """Run the batch through the launch backend; one outcome per trial.

        With a population K > 1, each job trains up to K trials stacked (``jobs.population_task``).
        Stopped by a full disk or a file it cannot write (or interrupted: ``_batch``), the batch's trials are failed and
        re-queued before the error goes on, so the next invocation runs them again, and the MLflow
        runs their jobs left RUNNING (a worker the launcher terminated) end KILLED.
        """
        groups = stackable_groups(trials, k)
        jobs = [plan.overrides + job_overrides(g, study.study_name, *runs) for g in groups]
        try:
            with beating(study, trials, self.options.heartbeat_interval), lent(self.options.storage, study, trials):
                outcomes = self.backend.launch(jobs, groups)
            by_number = dict(zip((t.number for g in groups for t in g), outcomes))
            return [by_number[t.number] for t in trials]   # in the batch's order
        except Exception as e:
            if disk_full.caused(e):
                self._abandon(study, plan, trials, runs[0], FULL)
            elif (bad := file_errors.caused(e)) is not None:   # the sweep cannot go on either
                self._abandon(study, plan, trials, runs[0], f"its files could not be written: {bad}")
                raise file_errors.FileTrouble(file_errors.paragraph(bad, str(plan.cfg.output_dir))) from None
            raise

    def _abandon(self, study: optuna.Study, plan: StudyPlan, trials: list, experiment_id: str, why: str) -> None:
        """Fail and re-queue a batch this invocation cannot finish (its trials told already stay as
        they are); end its RUNNING MLflow runs KILLED."""
        if why == FULL:
            disk_full.release()   # room for these writes
        requeue(study, trials, why)
        for t in trials:
            with contextlib.suppress(Exception):   # best effort: we are being stopped
                tracking.close_killed_run(plan.cfg.mlflow.tracking_uri, experiment_id, study.study_name, t,
                                          retried=True)


def stackable_groups(trials: list, k: int) -> list[list]:
    """The batch in jobs of at most ``k`` trials, trials that differ only in the optimizer's
    values together: only those train stacked (``jobs.population_task.stackable``), so a grid
    with a seed axis (``seeds.tune``) still trains as populations, one tuning seed a job."""
    buckets: dict[tuple, list] = {}
    for t in trials:
        key = tuple(sorted((name, str(v)) for name, v in t.params.items() if not name.startswith("optimizer.")))
        buckets.setdefault(key, []).append(t)
    return [ts[i:i + k] for ts in buckets.values() for i in range(0, len(ts), k)]


def _error(outcome: Any) -> BaseException | None:
    return outcome if isinstance(outcome, BaseException) else None


def _without(numbers: set[int], trials: list, outcomes: list) -> tuple[list, list]:
    """The trials (and their outcomes) whose numbers are not in ``numbers``."""
    kept = [(t, out) for t, out in zip(trials, outcomes) if t.number not in numbers]
    return [t for t, _ in kept], [out for _, out in kept]


def _shown(outcome: Any, failed: bool) -> tuple:
    """How the progress display counts a told trial: its state, and its value."""
    if failed:
        return ("failed",)
    if isinstance(outcome, Pruned):
        return ("pruned",)
    return ("complete", float(outcome))


def locked(study: optuna.Study, name: str, call):
    """``call()`` under the storage lock ``name``, both ridden out through a database restart."""
    def attempt():
        with storage_lock(study, name):
            return call()

    return riding_out(attempt, f"holding the storage lock {name!r}")


_NAME_MAX = 120   # a job's folder name, well under a file system's 255 bytes


def job_name(numbers: list[int]) -> str:
    """The job's folder (hydra.sweep.subdir), unique in the study: its trial numbers, as a range
    when they run on, else listed; a list too long for a file name (255 bytes) is its first and
    last number, its count and a digest of the whole list."""
    if len(numbers) == 1:
        return str(numbers[0])
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{numbers[0]}-{numbers[-1]}"
    listed = "_".join(map(str, numbers))
    if len(listed) <= _NAME_MAX:
        return listed
    digest = hashlib.sha1(listed.encode()).hexdigest()[:12]
    return f"{numbers[0]}-{numbers[-1]}_{len(numbers)}_{digest}"


def job_overrides(trials: list[optuna.Trial], study_name: str, experiment_id: str, parent_run_id: str) -> list[str]:
    """One trial: its values on the command line. Several: their numbers (the job reads the rest)."""
    job = job_name([t.number for t in trials])
    context = [f"trial.study={_quote(study_name)}", f"trial.experiment_id={_quote(experiment_id)}",
               f"trial.parent_run_id={_quote(parent_run_id)}", f"trial.job={_quote(job)}"]
    if len(trials) > 1:
        return context + [f"trial.numbers=[{','.join(str(t.number) for t in trials)}]"]
    values = [f"{k}={_hydra_value(v)}" for k, v in trials[0].params.items()]
    return values + context + [f"trial.number={trials[0].number}"]


def requeue(study: optuna.Study, trials: list[optuna.Trial], why: str) -> None:
    for t in trials:
        with contextlib.suppress(Exception):   # best effort: we are being interrupted
            t.set_user_attr(records.ERROR, why)
            study.tell(t, state=TrialState.FAIL)
            study.enqueue_trial(t.params, user_attrs={records.RETRY_OF: t.number})


def tell(study: optuna.Study, trial: optuna.Trial, outcome: Any) -> bool:
    """Record one trial's outcome; True if it failed. Told already (a retry after a commit whose
    answer the database lost), the stored outcome stands."""
    stored = optuna_private.stored_trial(study, trial)
    if stored.state.is_finished():
        return stored.state == TrialState.FAIL
    try:
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, Pruned):
            study.tell(trial, state=TrialState.PRUNED)
            return False
        value = float(outcome)
    except Exception as e:  # a crashed trial is recorded and the sweep goes on
        message = redact(f"{type(e).__name__}: {e}")   # kept in the storage, shown by reports
        log.warning("%s #%d: failed: %s", study.study_name, trial.number, message)
        trial.set_user_attr(records.ERROR, message[:2000])
        study.tell(trial, state=TrialState.FAIL)
        return True
    if not math.isfinite(value):
        trial.set_user_attr(records.ERROR, f"non-finite objective {value}")
        study.tell(trial, state=TrialState.FAIL)
        return True
    study.tell(trial, value)
    return False


def _finite(outcome: Any) -> bool:
    """An objective value to tell COMPLETE: a finite number (not a failure, a pruning or a bool)."""
    return isinstance(outcome, (int, float)) and not isinstance(outcome, bool) and math.isfinite(outcome)


def _hydra_value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return "null" if v is None else str(v)


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"
