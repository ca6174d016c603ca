"""Turn a composed config into the engine's objects: model, data, optimizer."""

from __future__ import annotations

import functools
import json
from typing import Any

from omegaconf import DictConfig, OmegaConf

import models
import optimizers
from models.data import DataError, Dataset, load

from sweeps.errors import SweepError

DTYPES = ("float32", "float64")


def optimizer_hyperparameters(cfg: DictConfig) -> dict[str, Any]:
    hp = OmegaConf.to_container(cfg.optimizer, resolve=True)
    hp.pop("name")
    return hp


def build_optimizer(cfg: DictConfig):
    return optimizers.create(cfg.optimizer.name, **optimizer_hyperparameters(cfg))


def model_options(cfg: DictConfig) -> dict[str, Any]:
    """``model.options`` (conf/model/*.yaml), e.g. a problem's angle or tolerance; {} if none."""
    return OmegaConf.to_container(cfg.model.options, resolve=True) if "options" in cfg.model else {}


def build_model(cfg: DictConfig):
    """The model; a bad option value is a ModelError naming it and what is allowed."""
    return models.create(cfg.model.name, **model_options(cfg))


def build_data(cfg: DictConfig) -> Dataset | None:
    """The run's dataset in its dtype (loaded once per process), or None for self-contained problems."""
    dtype = cfg.train.dtype
    if dtype not in DTYPES:
        raise SweepError(f"train.dtype must be one of {', '.join(DTYPES)}, but got {dtype!r}.")
    if cfg.data.name == "none":
        return None
    options = OmegaConf.to_container(cfg.data.options, resolve=True) if "options" in cfg.data else {}
    return _load(cfg.data.name, dtype, json.dumps(options, sort_keys=True))


@functools.lru_cache(maxsize=4)
def _load(name: str, dtype: str, options_json: str) -> Dataset:
    return load(name, dtype=dtype, **json.loads(options_json))


def check_pairing(model, data: Dataset | None, cfg: DictConfig) -> None:
    """Refuse a model on data of the wrong shape before any training starts."""
    needs = getattr(model, "needs_data", False)
    if needs and data is None:
        raise SweepError(
            f"Model {cfg.model.name!r} trains on data, but data=none. Choose data=mnist_5k, "
            "mnist, fashion_mnist or binary_teacher."
        )
    if not needs and data is not None:
        raise SweepError(
            f"Model {cfg.model.name!r} carries its own data; use data=none, not {cfg.data.name!r}."
        )
    if data is not None and data.x_train.shape[1] != model.input_dim:
        raise SweepError(
            f"Model {cfg.model.name!r} takes {model.input_dim} features but data "
            f"{cfg.data.name!r} has {data.x_train.shape[1]}."
        )


USER_ERRORS = (SweepError, optimizers.HyperparameterError, models.ModelError, DataError)
