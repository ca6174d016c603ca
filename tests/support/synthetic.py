"""Synthetic study families with known answers, built the way the sweeper builds studies.

A synthetic trial's "training" is a closed-form objective of its params: final test loss, whether
it diverged (then its value is the step-0 penalty, as in models/loop.py), and a loss curve
reported at steps 0, 50, ..., 300 like the sweeper's intermediate values.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import create_trial

from sweeps.study import study_name
from sweeps import records

PENALTY = 2.3          # the untrained (step-0) test loss: ln 10 for 10 classes
STEPS = tuple(range(0, 301, 50))
LRS = (1e-4, 1e-3, 1e-2, 1e-1, 1.0)
GAMMAS = (0.0, 0.5, 0.9, 0.99, 0.999)
DISTS = {
    "optimizer.lr": FloatDistribution(1e-4, 1.0, log=True),
    "optimizer.gamma": FloatDistribution(0.0, 1.0),
    "optimizer.eps": FloatDistribution(1e-10, 1e-2, log=True),
    "optimizer.initial_square_avg": CategoricalDistribution([0.0, 1.0]),
    "optimizer.gamma_schedule": CategoricalDistribution(["constant", "rising"]),
}


def sqlite_storage(path) -> tuple[str, optuna.storages.RDBStorage]:
    """A SQLite storage (URL, writer) that skips the fsync per write: tests build studies
    several times faster, and the code under test reads them back through the URL."""
    url = f"sqlite:///{path}"
    storage = optuna.storages.RDBStorage(url)
    with storage.engine.connect() as c:  # the pool's one connection, reused by every write
        c.exec_driver_sql("PRAGMA synchronous=OFF")
    return url, storage


def grid(**axes) -> list[dict]:
    """Every combination, keyed by config path: grid(lr=[...], gamma=[...]) -> optimizer.lr ..."""
    keys = [f"optimizer.{k}" for k in axes]
    return [dict(zip(keys, combo)) for combo in itertools.product(*axes.values())]


def curve(final: float, speed: float = 0.02) -> dict[int, float]:
    """A loss falling from the penalty towards ``final``, faster for larger ``speed``."""
    return {s: final + (PENALTY - final) * math.exp(-speed * s) for s in STEPS}


def outcome(value: float, diverged: bool = False, speed: float = 0.02) -> dict:
    if diverged:
        return {"value": PENALTY, "diverged": True, "curve": {0: PENALTY}}
    return {"value": value, "diverged": False, "curve": curve(value, speed)}


def make_study(storage, family: str, cell: dict, points: list[dict], objective, *,
               direction: str = "minimize", settings: dict | None = None,
               parent_run_id: str | None = None) -> optuna.Study:
    """A tuning study as the sweeper leaves it: identity, parent run, trials with user attrs."""
    name = study_name(family, cell)
    study = optuna.create_study(study_name=name, storage=storage, direction=direction)
    dists = {k: DISTS[k] for k in points[0]}
    study.set_user_attr(records.IDENTITY, {
        **cell, "data_fingerprint": "synthetic", "optimizer_settings": settings or {},
        "train": {"steps": 300, "batch_size": 32, "dtype": "float32", "divergence_factor": 100.0},
        "optimized_metric": "test_loss" if direction == "minimize" else "test_accuracy",
        "search_space": {k: optuna.distributions.distribution_to_json(d) for k, d in dists.items()},
    })
    if parent_run_id:
        study.set_user_attr(records.PARENT_RUN, parent_run_id)
    study.add_trials(_trial(p, dists, objective(p)) for p in points)
    return study


def make_seeds(storage, study: optuna.Study, sources: list[int], objective, seeds=(1, 2, 3),
               noise: float = 0.01, identity: bool = True) -> optuna.Study:
    """``<study>.seeds``: re-runs of the given tuning trials, value + seeded noise; with the
    sweeper's identity (the tuning study's plus ``seeds_of``) unless ``identity=False``."""
    s = optuna.create_study(study_name=study.study_name + ".seeds", storage=storage,
                            direction=study.direction.name.lower())
    if identity:
        s.set_user_attr(records.IDENTITY, study.user_attrs[records.IDENTITY] | {"seeds_of": study.study_name})
    rng = np.random.default_rng(0)
    rows = []
    for number in sources:
        t = study.trials[number]
        for seed in seeds:
            params = dict(t.params) | {"train.seed": seed}
            dists = dict(t.distributions) | {"train.seed": optuna.distributions.IntDistribution(0, 100)}
            out = objective(t.params)
            if not out["diverged"]:
                out = outcome(out["value"] + noise * rng.standard_normal())
            rows.append(_trial(params, dists, out, source_trial=number))
    s.add_trials(rows)
    return s


def _trial(params, dists, out, **extra):
    return create_trial(
        params=params, distributions=dists, value=out["value"],
        intermediate_values=out["curve"],
        user_attrs={"diverged": out["diverged"], "diverged_step": 120 if out["diverged"] else None,
                    "train_seconds": 0.1, **extra},
    )


def lr_only(p) -> dict:
    """Depends on lr alone (best at lr = 1e-2); diverges at lr = 1 whatever γ is."""
    lr = p["optimizer.lr"]
    return outcome(0.1 + (math.log10(lr) + 2) ** 2, diverged=lr >= 1.0)


def gamma_strong(p) -> dict:
    """Best at γ = 0.9 by a wide margin; lr matters a little; γ = 0 diverges at lr >= 0.1."""
    lr, g = p["optimizer.lr"], p["optimizer.gamma"]
    diverged = g == 0.0 and lr >= 0.1
    return outcome(0.1 + 0.01 * (math.log10(lr) + 2) ** 2 + 5 * (g - 0.9) ** 2, diverged,
                   speed=0.005 + 0.05 * g)


def gamma_one_objective(p):
    """γ < 1: gamma_strong. γ = 1, s₀ = 0: steps lr·g/ε, diverges except at lr = 1e-4.
    γ = 1, s₀ = 1: plain SGD, best 0.3 at lr = 0.1."""
    lr, g, s0 = p["optimizer.lr"], p["optimizer.gamma"], p["optimizer.initial_square_avg"]
    if g < 1:
        return gamma_strong(p)
    if s0 == 0.0:
        return outcome(1.5, diverged=lr > 1e-4)
    return outcome(0.3 + (math.log10(lr) + 1) ** 2)
