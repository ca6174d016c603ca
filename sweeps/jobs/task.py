"""One training run from a composed config: train, report to Optuna, log to MLflow, return the metric."""

from __future__ import annotations

import functools

import optuna
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from models.train import train

from sweeps.jobs.builders import build_data, build_model, build_optimizer, check_pairing
from sweeps.checks import check_batch_size, check_run, check_training
from sweeps.launch import lifeline
from sweeps.terminal import console
from sweeps.jobs.member import Member
from sweeps.tracking.run_batch import RunBatch
from sweeps.jobs.trial_link import Pruned, attach


@functools.lru_cache(maxsize=None)
def limit_blas_threads(n: int | None) -> None:
    """Cap this process's BLAS threads (null: the library's default), once per process."""
    if n:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=int(n), user_api="blas")


def direction(sweeper) -> str:
    """The study's direction (the penalty of an untrained run depends on it)."""
    return str(sweeper.get("direction", "minimize")) if sweeper is not None else "minimize"


def run(cfg: DictConfig) -> float | Pruned:
    """Train once; return ``cfg.optimized_metric`` (finite: a diverged run gets its penalty).

    A pruned trial returns ``Pruned`` in a sweep and raises ``optuna.TrialPruned`` otherwise.
    """
    lifeline.hold()   # a job in a process of its own ends when its sweeper is killed
    console.quiet_disk_full()
    if not cfg.trial.study:
        check_run(cfg)   # a single run: refused before anything is written
    model, optimizer, data = build_model(cfg), build_optimizer(cfg), build_data(cfg)
    check_pairing(model, data, cfg)
    if not cfg.trial.study:
        check_batch_size(cfg, data)
    sweeper = HydraConfig.get().sweeper
    trial = attach(sweeper, cfg.trial.study, cfg.trial.number) if cfg.trial.study else None
    runs = RunBatch(cfg.mlflow.tracking_uri)   # the run created in one transaction, ended in one more
    member = Member(cfg, trial, optimizer.hyperparameters, data.fingerprint if data is not None else "none",
                    direction(sweeper), runs)
    runs.flush()
    member.link()
    try:
        check_training(cfg)   # a swept value out of range crashes its trial, with its MLflow run
        result = train(
            model, optimizer, data,
            steps=cfg.train.steps, batch_size=cfg.train.batch_size, eval_every=cfg.train.eval_every,
            seed=cfg.train.seed, dtype=cfg.train.dtype,
            divergence_factor=cfg.train.divergence_factor, on_eval=member.reporter,
            score_test=cfg.train.score_test, eval_subset=cfg.train.eval_subset,
        )
    except optuna.TrialPruned as e:
        return _written(runs, member, member.pruned(str(e)))
    except BaseException:
        member.failed()
        runs.flush()
        raise
    return _written(runs, member, member.complete(result))


def _written(runs: RunBatch, member: Member, outcome):
    """``outcome`` once the run's results are written; the store's error if they could not be."""
    error = runs.flush().get(member.run_id)
    if error is not None:
        raise error
    return outcome
