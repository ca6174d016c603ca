"""How many trials one job trains stacked (``hydra.sweeper.population``).

Measured on 2 cores, float32, one BLAS thread (benchmarks/population.py): stacking K members
gives binary_mlp (1.1k parameters) 2.2x at K=4, 4.7x at 16, 5.4x at 64; the 2-D problems 54x at
K=256; mnist_mlp (110k parameters) 0.9-1.0x at every K, because its matrix products already
dominate a step and cost K times as much stacked. Hence ``auto``: K = 65536 / parameters, rounded
down to a power of two, at most 256, and 1 above 20k parameters.

``auto`` stacks K trials throughout for samplers that do not learn from results (grid, random,
QMC). TPE, CMA-ES and GP learn from every result, so stacking would cost them K-1 steps of
feedback, except in their start-up: their first ``n_startup_trials`` are independent random
draws, the same draws whether they are asked one by one or together. So for them ``auto``
stacks only those (``Population.startup_only``; the sweeper caps each batch at the start-up
trials still to ask) and then runs one trial per job. An explicit integer applies to every
sampler throughout.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import optuna
from omegaconf import DictConfig
from optuna.trial import TrialState

from models.population import population_supported

from sweeps.jobs.builders import build_model
from sweeps.errors import SweepError

NON_ADAPTIVE = ("grid", "random", "qmc")
# their first n_startup_trials are independent random draws; Optuna's defaults for the count
RANDOM_START = {"tpe": 10, "cmaes": 1, "gp": 10}
MAX_K, PARAMS_PER_STACK, LARGE = 256, 65_536, 20_000


class Population(NamedTuple):
    k: int                      # trials per job, at most
    startup_only: bool = False  # only while the sampler's start-up trials are being asked


def population_size(setting, sampler: str, cfg: DictConfig) -> Population:
    if setting != "auto":
        try:
            k = int(setting)
        except (TypeError, ValueError):
            k = 0
        if k < 1:
            raise SweepError(
                f"hydra.sweeper.population must be 'auto' or an integer >= 1, but got {setting!r}."
            )
        return Population(k)
    model = build_model(cfg)
    if (sampler not in NON_ADAPTIVE and sampler not in RANDOM_START) or not population_supported(model):
        return Population(1)
    n = sum(p.size for p in model.init_params(np.random.default_rng(0), "float32").values())
    k = 1 if n > LARGE else min(MAX_K, 2 ** int(math.log2(PARAMS_PER_STACK / n)))
    return Population(k, startup_only=sampler in RANDOM_START)


def next_batch(population: Population, study: optuna.Study, sampler: dict, n_jobs: int) -> tuple[int, int]:
    """(trials to ask, trials per job) for the next batch of ``n_jobs`` jobs.

    K per job; for a learning sampler, as many as its start-up trials not yet asked (running and
    queued ones count as asked) spread over the jobs, then one trial per job.
    """
    if not population.startup_only:
        return n_jobs * population.k, population.k
    name = str(sampler.get("name", "tpe")).lower()
    n_startup = int(sampler.get("n_startup_trials", RANDOM_START.get(name, 0)))
    states = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING, TrialState.WAITING)
    left = n_startup - len(study.get_trials(deepcopy=False, states=states))
    if left <= 1:
        return n_jobs, 1
    k = min(population.k, -(-left // n_jobs))
    return min(n_jobs * k, left), k
