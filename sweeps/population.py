"""How many trials one job trains stacked (``hydra.sweeper.population``).

Measured on 2 cores, float32, one BLAS thread (benchmarks/population.py): stacking K members
gives binary_mlp (1.1k parameters) 2.2x at K=4, 4.7x at 16, 5.4x at 64; the 2-D problems 54x at
K=256; mnist_mlp (110k parameters) 0.9-1.0x at every K, because its matrix products already
dominate a step and cost K times as much stacked. Hence ``auto``: K = 65536 / parameters, rounded
down to a power of two, at most 256, and 1 above 20k parameters.

``auto`` stacks only for samplers that do not learn from results (grid, random, QMC): K trials
are asked before any of them reports, so TPE, CMA-ES or GP would lose K-1 steps of feedback.
An explicit integer applies to every sampler.
"""

from __future__ import annotations

import math

import numpy as np
from omegaconf import DictConfig

from models.population import population_supported

from .builders import build_model
from .errors import SweepError

NON_ADAPTIVE = ("grid", "random", "qmc")
MAX_K, PARAMS_PER_STACK, LARGE = 256, 65_536, 20_000


def population_size(setting, sampler: str, cfg: DictConfig) -> int:
    if setting != "auto":
        try:
            k = int(setting)
        except (TypeError, ValueError):
            k = 0
        if k < 1:
            raise SweepError(
                f"hydra.sweeper.population must be 'auto' or an integer >= 1, but got {setting!r}."
            )
        return k
    model = build_model(cfg)
    if sampler not in NON_ADAPTIVE or not population_supported(model):
        return 1
    n = sum(p.size for p in model.init_params(np.random.default_rng(0), "float32").values())
    return 1 if n > LARGE else min(MAX_K, 2 ** int(math.log2(PARAMS_PER_STACK / n)))
