"""gammasweep's Hydra Sweeper on Optuna >= 5: ask a batch, launch it through Hydra, tell the results.

Registered with Hydra by ``hydra_plugins.gammasweep_sweeper``; configured in
``conf/hydra/sweeper/gammasweep.yaml``. Each (model, data, optimizer) gets a study of its own
(see ``plan``); studies live in an RDB storage, so running the same command again resumes them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import math
import sys
import time
from typing import Any

import optuna
from hydra.core.hydra_config import HydraConfig
from hydra.core.plugins import Plugins
from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig, OmegaConf
from optuna.distributions import IntDistribution
from optuna.trial import TrialState

from . import checks, curve_worker, lr_max, parts, submitit_jobs, tracking, trial_link
from .adapters import hydra_private, optuna_private
from .terminal import progress, summary
from .builders import USER_ERRORS
from .errors import EXIT_BAD_INPUT, EXIT_BUDGET_EXHAUSTED, EXIT_FAILED, EXIT_INTERRUPTED
from .storages import shared_study
from .storages.heartbeat import beating, fail_dead, finished_elsewhere
from .job_configs import JobConfigs
from .plan import StudyPlan
from .population import Population, next_batch, population_size
from .samplers import make_pruner, make_sampler
from .storages.rdb import lost_storage, open_storage, riding_out, storage_errors
from .storages.lock import storage_lock
from .study import PROTOCOL_ATTR, best_trials, confirmations, open_study, planned_params, remaining_budget

log = logging.getLogger(__name__)


class TooManyFailures(Exception):
    """More trials crashed than ``max_failure_rate`` allows."""


class OptunaSweeper(Sweeper):
    def __init__(self, **options: Any) -> None:
        self.options = OmegaConf.create(options)
        self.job_idx = 0

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        # job configs copied from the first of their shape instead of composed anew (job_configs.py)
        hydra_context = HydraContext(config_loader=JobConfigs(hydra_context.config_loader),
                                     callbacks=hydra_context.callbacks)
        self.config, self.hydra_context = config, hydra_context
        # A launcher's own settings may refer to ${hydra:...} (submitit's folder is under
        # hydra.sweep.dir, which names the study): Hydra resolves them before any job sets it.
        HydraConfig.instance().set_config(config)
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function
        )
        optuna.logging.set_verbosity(optuna.logging.WARNING)

    def sweep(self, arguments: list[str]) -> list[dict[str, Any]]:
        if _runs_here(self.launcher):   # jobs run here: draw off their path
            curve_worker.use_helper()                   # (worker processes draw their own)
        self.progress = progress.Progress(progress.wanted())
        self.parents: dict[str, str] = {}          # parent run id -> tracking URI, ended below
        self.links: dict[tuple[str, str], str] = {}  # (uri, experiment id) -> how to open it
        self.tables: list[summary.StudySummary] = []
        self.report_path: str | None = None
        status = "FAILED"
        try:
            summaries = self._sweep(arguments)
            status = "FINISHED"
        except USER_ERRORS as e:
            _die(f"gammasweep: error: {e}", EXIT_BAD_INPUT)
        except TooManyFailures as e:
            _die(f"gammasweep: sweep stopped: {e}", EXIT_FAILED)
        except KeyboardInterrupt:
            status = "KILLED"
            _die("gammasweep: interrupted. Finished trials are kept; the trials in flight were "
                 "re-queued: run the same command again to resume.", EXIT_INTERRUPTED)
        finally:
            curve_worker.close()
            self.progress.close()
            _end_parents(self.parents, status)
        if self.tables:
            print(_closing(self.tables, self.report_path, self.links), flush=True)
        if summaries and all(s["added"] == 0 for s in summaries):
            log.info("Every study had already reached hydra.sweeper.max_trials: nothing to add.")
            sys.exit(EXIT_BUDGET_EXHAUSTED)
        return summaries

    def _sweep(self, arguments: list[str]) -> list[dict[str, Any]]:
        o = self.options
        checks.check_sweep(o, self.config)   # bad input: refused before any study exists
        loader = self.hydra_context.config_loader
        plans, options = parts.plan_all(o, arguments, loader, self._compose)   # a preset in parts: one space each
        log.info("%d stud%s: %s", len(plans), "y" if len(plans) == 1 else "ies", ", ".join(p.name for p in plans))
        self.progress.plan(sum(options[p.name].n_trials for p in plans))
        summaries = []
        try:
            for plan in plans:
                self.options = options[plan.name]   # the part's options for its studies
                summaries.append(self._run_study(plan))
        finally:
            self.options = o
        if o.report and any(s["added"] for s in summaries):
            self.report_path = _report(o, plans[0].cfg)
        return summaries

    def _compose(self, overrides: list[str]) -> DictConfig:
        """The job config for these overrides, resolvable here as it will be in the job."""
        cfg = self.hydra_context.config_loader.load_sweep_config(self.config, overrides)
        HydraConfig.instance().set_config(cfg)   # for ${hydra:...} interpolations
        return cfg

    def _run_study(self, plan: StudyPlan) -> dict[str, Any]:
        o = self.options
        study = riding_out(lambda: self._open(plan.name, plan.identity), "opening the study")
        protocol = OmegaConf.to_container(o.protocol)
        riding_out(lambda: study.set_user_attr(PROTOCOL_ATTR, protocol), "recording the protocol")  # the latest
        n_trials = riding_out(lambda: len(study.trials), "counting trials")
        study.sampler = make_sampler(dict(o.sampler), plan.distributions, o.grid_points, n_trials, plan.name)
        study.pruner = make_pruner(dict(o.pruner))
        k = population_size(o.population, o.sampler.name, plan.cfg)
        if plan.cfg.mlflow.log_curve_png:
            curve_worker.warm_up()
        self.progress.start(plan.name)
        planned = remaining_budget(study, 0, o.n_trials, o.max_trials)
        self.progress.plan(planned - o.n_trials)
        started = time.monotonic()
        launched = self._optimize(study, plan, plan.distributions, population=k)
        self.progress.plan(launched - planned)
        summary = self._summarize(study, plan, launched, time.monotonic() - started)
        # work after tuning counts as added: the report is regenerated and the exit code is 0
        if o.lr_max.rounds:
            summary["added"] += self._run_lr_max(study, plan, k)
        if o.seeds.n:
            summary["added"] += self._run_seeds(study, plan)
        return summary

    def _run_lr_max(self, tuned: optuna.Study, plan: StudyPlan, k: Population) -> int:
        """Bisect lr_max(γ) between the tuning grid's last trained and first failed lr
        (``lr_max.py``), one round at a time, into ``<study>.lr_max``; returns the trials run."""
        o, lm = self.options, self.options.lr_max
        study = self._open(f"{plan.name}.lr_max", plan.identity | {"lr_max_of": plan.name})
        study.sampler, study.pruner = optuna.samplers.RandomSampler(), optuna.pruners.NopPruner()
        per = [key for key in lm.per if key in plan.distributions]
        self.progress.start(study.study_name)
        started, total = time.monotonic(), 0
        for _ in range(int(lm.rounds)):
            with storage_lock(study, shared_study.lock_name(study.study_name)):  # workers agree
                busy = {tuple(planned_params(t).get(key) for key in per) for t in study.get_trials(
                    deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING))}
                todo = 0
                trials = tuned.get_trials(deepcopy=False) + study.get_trials(deepcopy=False)
                for b in lr_max.brackets(trials, per, o.direction):
                    lr = b.next_lr(float(lm.resolution))
                    if lr is not None and b.key not in busy:
                        study.enqueue_trial(b.params | {lr_max.LR: lr})
                        todo += 1
            if not todo:
                break
            self.progress.plan(todo)
            launched = self._optimize(study, plan, plan.distributions, budget=todo, population=k)
            self.progress.plan(launched - todo)
            self._summarize(study, plan, launched, time.monotonic() - started)
            total += launched
        return total

    def _run_seeds(self, tuned: optuna.Study, plan: StudyPlan) -> int:
        """Re-run the best settings (per value of ``seeds.per``) with ``seeds.n`` fresh seeds.

        Every setting gets the same seeds (train.seed + 1 ... + n): the same initialisations and
        minibatch orders across γ (common random numbers), so the report compares them paired.
        """
        o = self.options
        study = self._open(f"{plan.name}.seeds", plan.identity | {"seeds_of": plan.name})
        study.sampler, study.pruner = optuna.samplers.RandomSampler(), optuna.pruners.NopPruner()
        seeds = [plan.cfg.train.seed + 1 + i for i in range(o.seeds.n)]
        with storage_lock(study, shared_study.lock_name(study.study_name)):  # workers queue once
            done = confirmations(study)
            todo = [(t, s) for t in best_trials(tuned, list(o.seeds.per), o.seeds.top_k) for s in seeds
                    if (t.number, s) not in done]
            for trial, seed in todo:
                study.enqueue_trial(trial.params | {"train.seed": seed},
                                    user_attrs={"source_trial": trial.number})
        space = plan.distributions | {"train.seed": IntDistribution(0, 2**31 - 1)}
        # confirmation runs: settings chosen on validation, now scored once on the test split
        confirm = dataclasses.replace(plan, overrides=[*plan.overrides, "train.score_test=true"])
        self.progress.start(study.study_name)
        self.progress.plan(len(todo))
        started = time.monotonic()
        launched = self._optimize(study, confirm, space, budget=len(todo))
        self.progress.plan(launched - len(todo))
        self._summarize(study, plan, launched, time.monotonic() - started)
        return launched

    def _open(self, name: str, identity: dict[str, Any]) -> optuna.Study:
        o = self.options
        storage = open_storage(o.storage, o.heartbeat_interval, o.grace_period, o.retry_failed_trials)
        study = open_study(name, storage, o.direction, identity)
        trial_link.register(o.storage, study)
        return study

    def _optimize(self, study, plan: StudyPlan, space, budget: int | None = None,
                  population: Population = Population(1)) -> int:
        """Ask, launch and tell in batches of ``n_jobs`` until this invocation's budget is spent.

        Any number of workers may share the study (``shared_study``): they count and ask under the
        storage's lock, fail and retry the trials of dead workers, and make one parent run.
        """
        o = self.options
        ml = plan.cfg.mlflow
        shared = shared_study.SharedStudy(study, o.heartbeat_interval)
        tracking.ensure_reachable(ml.tracking_uri)
        experiment_id = _locked(study, f"mlflow experiment {ml.experiment_name}",
                                lambda: tracking.ensure_experiment(ml.tracking_uri, ml.experiment_name,
                                                                   ml.artifact_location))
        parent = _locked(study, shared_study.lock_name(study.study_name),
                         lambda: tracking.parent_run(ml.tracking_uri, experiment_id, study))
        tracking.reopen(ml.tracking_uri, parent)   # RUNNING while this invocation adds trials
        self.parents[parent] = ml.tracking_uri
        self.links[(ml.tracking_uri, experiment_id)] = tracking.ui_hint(ml.tracking_uri, experiment_id)
        n_trials = o.n_trials if budget is None else budget
        max_trials = o.max_trials if budget is None else None
        launched, failed = 0, 0
        with storage_errors(o.storage):   # a database lost mid-sweep: one paragraph, exit 2
            while True:
                budget_left = functools.partial(remaining_budget, study, launched, n_trials, max_trials)
                n, k = next_batch(population, study, dict(o.sampler), o.n_jobs)
                batch = riding_out(lambda: shared.ask(space, n, budget_left), "asking for trials")
                self._close_killed(study, experiment_id, ml.tracking_uri, batch.stale)
                if not batch.trials:
                    if shared.wait_for_others(batch, n_trials - launched):
                        continue
                    break
                outcomes = self._launch(study, plan, batch.trials, (experiment_id, parent), k)
                died = {optuna_private.trial_id(t): why for t, out in zip(batch.trials, outcomes)
                        if (why := _died(out))}
                if died:   # as for a dead worker: failed and re-queued, not counted as a crash
                    dead = _locked(study, shared_study.lock_name(study.study_name), lambda: fail_dead(study, died))
                    self._close_killed(study, experiment_id, ml.tracking_uri, dead)
                for t, outcome in zip(batch.trials, outcomes):
                    if optuna_private.trial_id(t) in died:
                        continue
                    # another worker presumed us dead and retried it
                    if riding_out(lambda: finished_elsewhere(study, t), "checking a trial"):
                        log.warning("Trial %d of %s was failed by another worker (no heartbeat for the "
                                    "grace period): its result is dropped; its retry runs it again.",
                                    t.number, study.study_name)
                        continue
                    bad = riding_out(lambda: _tell(study, t, outcome), "recording a result")
                    failed += bad
                    self._told(study, t, outcome, bad)
                launched += len(batch.trials)
                if failed > o.max_failure_rate * n_trials:
                    raise TooManyFailures(
                        f"{failed} of {launched} trials of study {study.study_name!r} failed, more than "
                        f"max_failure_rate={o.max_failure_rate} of the {n_trials} planned; "
                        "each failure's error is in its trial's user attribute 'error' and in the log."
                    )
        return launched

    def _close_killed(self, study: optuna.Study, experiment_id: str, uri: str, trials: list) -> None:
        for t in trials:
            runs = tracking.close_killed_run(uri, experiment_id, study.study_name, t,
                                             retried=bool(self.options.retry_failed_trials))
            log.warning("Trial %d of %s: its worker died; MLflow run(s) %s set to KILLED.",
                        t.number, study.study_name, ", ".join(runs) or "(none)")

    def _launch(self, study: optuna.Study, plan: StudyPlan, trials: list, runs: tuple[str, str], k: int) -> list[Any]:
        """Run the batch through Hydra's launcher; one outcome (value, Pruned or error) per trial.

        With ``population`` K > 1, each job trains up to K trials stacked (``population_task``).
        Interrupted (Ctrl-C), the batch's trials are failed and re-queued before the interrupt
        goes on, so the next invocation runs them again and nothing stays RUNNING.
        """
        groups = [trials[i:i + k] for i in range(0, len(trials), k)]
        jobs = [plan.overrides + _job_overrides(g, study.study_name, *runs) for g in groups]
        try:
            with beating(study, trials, self.options.heartbeat_interval):
                if submitit_jobs.is_submitit(self.launcher):   # every job waited for, dead ones too
                    returns = submitit_jobs.launch(self.launcher, jobs, self.job_idx)
                else:
                    returns = self.launcher.launch(jobs, initial_job_idx=self.job_idx)
        except KeyboardInterrupt:
            _requeue(study, trials, "interrupted (Ctrl-C) while running")
            raise
        self.job_idx += len(returns)
        return [outcome for g, r in zip(groups, returns) for outcome in _outcomes(g, r)]

    def _told(self, study: optuna.Study, trial: optuna.Trial, outcome: Any, failed: bool) -> None:
        if failed:
            self.progress.told(study, trial, "failed")
        elif isinstance(outcome, trial_link.Pruned):
            self.progress.told(study, trial, "pruned", note=outcome.message)
        else:
            self.progress.told(study, trial, "complete", float(outcome))

    def _summarize(self, study: optuna.Study, plan: StudyPlan, launched: int, seconds: float) -> dict[str, Any]:
        """Log the study's state to its MLflow parent run (the best trial's values) and return it."""
        curve_worker.drain()   # every trial's figure is in MLflow before the study's summary
        cfg = plan.cfg
        uri = cfg.mlflow.tracking_uri
        result = _summary(study, launched)
        s = summary.summarize(study, cfg.optimizer.name, cfg.optimized_metric, launched, seconds)
        self.tables.append(s)
        metrics, params = summary.parent_values(s)
        tags = result["tags"] | {"mlflow.note.content": summary.note(s, cfg.model.name, cfg.data.name)}
        parent = study.user_attrs[tracking.PARENT_ATTR]
        tracking.log_all(uri, parent, metrics=metrics | result["metrics"], tags=tags)
        tracking.log_best(uri, parent, params)
        return {"study": study.study_name, "added": launched, **result}


def _died(outcome: Any) -> str | None:
    """Why a job ended without the trial's own result (its process died, or the storage was
    away): its trials are failed and retried like a dead worker's, not counted as crashes."""
    if isinstance(outcome, submitit_jobs.JobDied):
        return outcome.message
    return lost_storage(outcome)


def _runs_here(launcher: Any) -> bool:
    """Is it Hydra's basic launcher (jobs in this process)?"""
    return hydra_private.is_basic_launcher(launcher)


def _locked(study: optuna.Study, name: str, call):
    """``call()`` under the storage lock ``name``, both ridden out through a database restart."""
    def attempt():
        with storage_lock(study, name):
            return call()

    return riding_out(attempt, f"holding the storage lock {name!r}")


def _job_overrides(trials: list[optuna.Trial], study_name: str, experiment_id: str, parent_run_id: str) -> list[str]:
    """One trial: its values on the command line. Several: their numbers (the job reads the rest)."""
    # the job's folder: its trial number(s), unique in the study (hydra.sweep.subdir)
    numbers = [t.number for t in trials]
    job = str(numbers[0]) if len(numbers) == 1 else (
        f"{numbers[0]}-{numbers[-1]}" if numbers == list(range(numbers[0], numbers[-1] + 1))
        else "_".join(map(str, numbers)))
    context = [f"trial.study={_quote(study_name)}", f"trial.experiment_id={_quote(experiment_id)}",
               f"trial.parent_run_id={_quote(parent_run_id)}", f"trial.job={_quote(job)}"]
    if len(trials) > 1:
        return context + [f"trial.numbers=[{','.join(str(t.number) for t in trials)}]"]
    values = [f"{k}={_hydra_value(v)}" for k, v in trials[0].params.items()]
    return values + context + [f"trial.number={trials[0].number}"]


def _outcomes(group: list[optuna.Trial], ret: Any) -> list[Any]:
    """A job's return value per trial of its group; a crashed job fails every trial of it."""
    if isinstance(ret, (submitit_jobs.JobDied, BaseException)):   # submitit_jobs.launch: no JobReturn
        return [ret] * len(group)
    try:
        value = ret.return_value  # re-raises the job's exception
    except Exception as e:
        return [e] * len(group)
    return list(value) if len(group) > 1 else [value]


def _requeue(study: optuna.Study, trials: list[optuna.Trial], why: str) -> None:
    for t in trials:
        with contextlib.suppress(Exception):   # best effort: we are being interrupted
            t.set_user_attr("error", why)
            study.tell(t, state=TrialState.FAIL)
            study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})


def _hydra_value(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return "null" if v is None else str(v)


def _quote(s: str) -> str:
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _tell(study: optuna.Study, trial: optuna.Trial, outcome: Any) -> bool:
    """Record one trial's outcome; True if it failed."""
    try:
        if isinstance(outcome, BaseException):
            raise outcome
        if isinstance(outcome, trial_link.Pruned):
            study.tell(trial, state=TrialState.PRUNED)
            return False
        value = float(outcome)
    except Exception as e:  # a crashed trial is recorded and the sweep goes on
        message = f"{type(e).__name__}: {e}"
        log.warning("Trial %d of %s failed: %s", trial.number, study.study_name, message)
        trial.set_user_attr("error", message[:2000])
        study.tell(trial, state=TrialState.FAIL)
        return True
    if not math.isfinite(value):
        trial.set_user_attr("error", f"non-finite objective {value}")
        study.tell(trial, state=TrialState.FAIL)
        return True
    study.tell(trial, value)
    return False


def _summary(study: optuna.Study, launched: int) -> dict[str, Any]:
    trials = study.get_trials(deepcopy=False)
    count = {s.name.lower(): sum(t.state == s for t in trials) for s in TrialState}
    metrics = {f"n_{k}": v for k, v in count.items() if k in ("complete", "pruned", "fail")}
    tags: dict[str, Any] = {}
    if count["complete"]:
        best = study.best_trial
        metrics["best_value"] = best.value
        tags = {"best_trial": best.number} | {f"best.{k}": v for k, v in best.params.items()}
    log.info("%s: +%d trials, %s", study.study_name, launched, metrics)
    return {"metrics": metrics, "tags": tags}


def _report(o: DictConfig, cfg: DictConfig) -> None:
    """Regenerate the study family's report (the analysis lives in sweeps.report)."""
    from .report import write_report

    path = write_report(
        storage=o.storage, family=o.study_name, out_dir=f"{cfg.output_dir}/reports/{o.study_name}",
        tracking_uri=cfg.mlflow.tracking_uri, experiment_name=cfg.mlflow.experiment_name,
    )
    log.info("Report: %s", path)
    return str(path)


def _end_parents(parents: dict[str, str], status: str) -> None:
    """Every parent run this invocation touched ends with it: FINISHED, FAILED or KILLED."""
    for run_id, uri in parents.items():
        try:
            tracking.finish(uri, run_id, status)
        except Exception as e:  # the trials are recorded; a run's status must not hide the real error
            log.warning("Could not end MLflow parent run %s: %s: %s", run_id, type(e).__name__, e)


def _closing(tables: list[summary.StudySummary], report: str | None, links: dict) -> str:
    """The table printed when the sweep ends, then where to read more."""
    lines = ["", summary.table(tables), ""]
    if report:
        lines.append(f"Report: {report}")
    lines += [f"MLflow: {hint}" for hint in dict.fromkeys(links.values())]
    return "\n".join(lines)


def _die(message: str, code: int) -> None:
    log.debug(message)   # into the sweep's log file; the console gets it once, on stderr
    print(message, file=sys.stderr)
    sys.exit(code)
