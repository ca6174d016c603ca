"""One training run from a composed config: train, report to Optuna, log to MLflow, return the metric."""

from __future__ import annotations

import logging
import math
import tempfile
from pathlib import Path

import numpy as np
import optuna
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig

from models.train import train

from . import tracking
from .builders import build_data, build_model, build_optimizer, check_pairing
from .curves import plot_run
from .errors import SweepError
from .trial_link import Reporter, attach

log = logging.getLogger(__name__)


def run(cfg: DictConfig) -> float:
    """Train once and return ``cfg.optimized_metric`` (finite: a diverged run gets its penalty)."""
    model, optimizer, data = build_model(cfg), build_optimizer(cfg), build_data(cfg)
    check_pairing(model, data, cfg)
    trial = attach(HydraConfig.get().sweeper, cfg.trial.study, cfg.trial.number) if cfg.trial.study else None
    uri = cfg.mlflow.tracking_uri
    experiment_id = tracking.ensure_experiment(uri, cfg.mlflow.experiment_name, cfg.mlflow.artifact_location)
    params = run_params(cfg, optimizer, data)
    name = f"{cfg.trial.study}#{cfg.trial.number}" if trial else f"{cfg.model.name}-{cfg.optimizer.name}"
    tags = {"gammasweep.optuna_study": cfg.trial.study, "gammasweep.trial": cfg.trial.number} if trial else {}
    run_id = tracking.start_child(uri, experiment_id, cfg.trial.parent_run_id, name, tags)
    if trial is not None:  # first thing: a worker killed from here on leaves a findable run
        trial.set_user_attr("mlflow_run_id", run_id)
    reporter = Reporter(cfg.optimized_metric, trial)
    try:
        result = train(
            model, optimizer, data,
            steps=cfg.train.steps, batch_size=cfg.train.batch_size, eval_every=cfg.train.eval_every,
            seed=cfg.train.seed, dtype=cfg.train.dtype,
            divergence_factor=cfg.train.divergence_factor, on_eval=reporter,
        )
    except optuna.TrialPruned:
        tracking.log_all(uri, run_id, params, reporter.history, tags={"state": "PRUNED", "pruned": True})
        tracking.finish(uri, run_id)
        raise
    except BaseException:
        tracking.log_all(uri, run_id, params, reporter.history, tags={"state": "FAILED"})
        tracking.finish(uri, run_id, "FAILED")
        raise
    value = objective(result.final, cfg.optimized_metric)
    final = {f"final_{k}": v for k, v in result.final.items()}
    final |= {"objective": value, "diverged": float(result.diverged), "train_seconds": result.seconds,
              "steps_done": result.steps_done}
    state = "DIVERGED" if result.diverged else "COMPLETE"
    tracking.log_all(uri, run_id, params, reporter.history, final,
                     {"state": state, "diverged": result.diverged})
    if cfg.mlflow.log_curve_png:
        _log_curve(uri, run_id, result, name)
    tracking.finish(uri, run_id)
    if trial is not None:
        if result.trajectory is not None:  # the 2-D path, for the report's contour figures
            trial.set_user_attr("trajectory", _thin(result.trajectory).tolist())
        for key, v in {"diverged": result.diverged, "diverged_step": result.diverged_step,
                       "train_seconds": result.seconds}.items():
            trial.set_user_attr(key, v)
    log.info("%s: %s = %.6g (%s, %.2f s)", name, cfg.optimized_metric, value, state.lower(), result.seconds)
    return value


def run_params(cfg: DictConfig, optimizer, data) -> dict:
    """What MLflow shows as the run's parameters: the optimizer's own names plus the common gamma."""
    params = dict(optimizer.hyperparameters)
    params |= {
        "optimizer": cfg.optimizer.name, "model": cfg.model.name, "data": cfg.data.name,
        "data_fingerprint": data.fingerprint if data is not None else "none",
        "seed": cfg.train.seed, "dtype": cfg.train.dtype, "steps": cfg.train.steps,
        "batch_size": cfg.train.batch_size, "eval_every": cfg.train.eval_every,
        "code_version": tracking.code_version(),
    }
    return params


def objective(final: dict[str, float], metric: str) -> float:
    if metric not in final:
        raise SweepError(
            f"optimized_metric={metric!r} is not a metric of this run; it has: {', '.join(final)}."
        )
    value = float(final[metric])
    if not math.isfinite(value):  # the training loop promises finite metrics; never pass NaN on
        raise SweepError(f"The run produced a non-finite {metric} ({value}).")
    return value


def _thin(path, points: int = 201):
    """At most ``points`` points of a path, first and last kept: enough to draw it."""
    if len(path) <= points:
        return path
    idx = np.unique(np.linspace(0, len(path) - 1, points).round().astype(int))
    return path[idx]


def _log_curve(uri: str, run_id: str, result, title: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "loss_curve.png"
        plot_run(result, title, path)
        tracking.client(uri).log_artifact(run_id, str(path))
