"""What a network is evaluated on (``train.eval_subset``): a fixed prefix of the validation split
during training, the full split for the step-0 and final metrics.

Evaluation is overhead to training, so its examples are budgeted: ``auto`` sizes the subset so
that every evaluation of a run together costs at most ``EVAL_SHARE`` of its training time,
counting the full-split evaluation at the end (the step-0 one is computed once per process and
model, data, seed and dtype: every trial of a study starts from the same θ_0). A forward pass of
one example costs about ``FORWARD_COST`` of its training step (forward, backward and update):
0.36 on mnist_mlp with 10,000 validation examples, from benchmarks/eval_share.py's shares with
eval_subset all and auto. A split no larger than the subset is evaluated whole, once per
evaluation, exactly as without a subset (the presets' data: 1,000 validation examples).
"""

from __future__ import annotations

import math
from collections import OrderedDict

import numpy as np

EVAL_SHARE = 0.1    # the target: evaluation ≤ 10% of training time
FORWARD_COST = 0.45  # one example's forward pass / its training step: 0.36 measured on mnist_mlp, batch 128;
# the rest is margin for each evaluation's fixed cost: with 0.4, `auto` measured 9.8-10.8% on Fashion-MNIST
# (500 steps) once the training step had its numba kernels (models/fused.py)
MIN_SUBSET = 256    # fewer validation examples make a curve too noisy to prune on
_STEP0: OrderedDict = OrderedDict()   # (model, data, seed, dtype) -> full-split step-0 metrics
_STEP0_SIZE = 8


def subset_size(setting, n_val: int, steps: int, eval_every: int, batch_size: int) -> int:
    """Validation examples evaluated during training: ``auto``, ``all`` (or None), or a count."""
    if setting is None or setting == "all":
        return n_val
    if setting == "auto":
        evaluations = 1 + steps // eval_every + (steps % eval_every != 0)
        budget = EVAL_SHARE * steps * batch_size / FORWARD_COST   # examples forwarded
        n = math.floor((budget - n_val) / evaluations)             # the final full pass first
        return n_val if n >= n_val else min(n_val, max(MIN_SUBSET, n))
    if isinstance(setting, bool) or not isinstance(setting, (int, np.integer)) or setting < 1:
        raise ValueError(f"eval_subset must be 'auto', 'all' or an integer >= 1, got {setting!r}.")
    return min(int(setting), n_val)


def step0_full(model, data, seed: int, dtype) -> dict:
    """val_loss and val_accuracy of θ_0 (``init_params(default_rng(seed))``) on the full split."""
    key = (repr(model), data.fingerprint, int(seed), np.dtype(dtype).str)
    if key not in _STEP0:
        params = model.init_params(np.random.default_rng(seed), dtype)
        loss, acc = model.evaluate(params, data.x_val, data.y_val)
        _STEP0[key] = {"val_loss": float(loss), "val_accuracy": float(acc)}
        while len(_STEP0) > _STEP0_SIZE:
            _STEP0.popitem(last=False)
    return dict(_STEP0[key])
