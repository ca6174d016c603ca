"""Bad input, refused before anything is written: training settings, the sweeper's options, names
that become folders, and the places a run writes to (output folder, Optuna storage, MLflow store).

The sweeper calls ``check_sweep`` before it composes a study, and every study's plan is checked
(``check_training``, ``check_batch_size``, ``check_derived_name``) before any study exists; a single
run calls ``check_run`` before it writes anything. Each failure is a ``SweepError``: one paragraph
naming the value and what is allowed (exit 2).

- ``training``: ``train.*``, ``optimized_metric``, the batch against the training set;
- ``sweeper``: ``hydra.sweeper.*``, with the sampler's and pruner's options (``sweeps.samplers``);
- ``names``: study names (given and derived) and ``mlflow.experiment_name``;
- ``stores``: output_dir, the Optuna storage, the MLflow store and artifact location.
"""

from __future__ import annotations

from omegaconf import DictConfig

from sweeps.errors import SweepError

from .names import (
    MAX_NAME,
    STUDY_NAME,
    check_derived_name,
    check_experiment_name,
    check_study_name,
)
from .stores import (
    TRACKING_SCHEMES,
    check_artifact_location,
    check_output_dir,
    check_sqlite,
    check_storage_url,
    check_tracking_uri,
)
from .sweeper import SWEEPER_KEYS, check_keys_exist, check_protocol, check_sweeper
from .training import (
    MAX_STEPS,
    TRAIN_KEYS,
    TUNING_METRICS,
    check_batch_size,
    check_limits,
    check_metric,
    check_training,
)

__all__ = [
    "MAX_NAME",
    "MAX_STEPS",
    "STUDY_NAME",
    "SWEEPER_KEYS",
    "TRACKING_SCHEMES",
    "TRAIN_KEYS",
    "TUNING_METRICS",
    "check_artifact_location",
    "check_batch_size",
    "check_derived_name",
    "check_experiment_name",
    "check_keys_exist",
    "check_limits",
    "check_metric",
    "check_mlflow",
    "check_output_dir",
    "check_protocol",
    "check_run",
    "check_sqlite",
    "check_storage_url",
    "check_study_name",
    "check_sweep",
    "check_sweeper",
    "check_tracking_uri",
    "check_training",
]


def check_mlflow(ml: DictConfig) -> None:
    """``mlflow.*``: the store, the experiment's name and where its artifacts go."""
    check_tracking_uri(ml.tracking_uri)
    check_experiment_name(ml.experiment_name)
    check_artifact_location(ml.artifact_location)
    if not isinstance(ml.log_curve_png, bool):
        raise SweepError(f"mlflow.log_curve_png={ml.log_curve_png!r} is not allowed; it must be true or false.")


def check_sweep(o: DictConfig, cfg: DictConfig) -> None:
    """Everything a sweep can check before it composes and opens its first study."""
    from sweeps.tracking import ensure_reachable

    check_sweeper(o)
    check_output_dir(cfg.output_dir)
    check_mlflow(cfg.mlflow)
    check_storage_url(o.storage)
    ensure_reachable(cfg.mlflow.tracking_uri)


def check_run(cfg: DictConfig) -> None:
    """A single run (``python sweep.py``): its training settings, output folder and MLflow settings."""
    check_training(cfg)
    check_output_dir(cfg.output_dir)
    check_mlflow(cfg.mlflow)
