"""Linear learning-rate warm-up, shared by every optimizer (``lr_warmup`` = W steps).

The update with 0-based index t (the t-th call of ``update``) uses

    lr_t = lr · min(1, (t + 1)/W)          W = 0 or 1: lr_t = lr (no warm-up)

so the first step takes lr/W, step W − 1 and every later one the full lr. This is PyTorch's
``torch.optim.lr_scheduler.LinearLR(opt, start_factor=1/W, end_factor=1.0, total_iters=W − 1)``
stepped once after every ``opt.step()``: its factor at scheduler epoch t is
1/W + (1 − 1/W)·min(t, W − 1)/(W − 1) = (t + 1)/W. (LinearLR cannot start at a factor of 0;
a first step of lr·0 would only waste a gradient.) W may be one value per trial of a population.
Every optimizer then equals torch's with that scheduler except ``momentum``, which keeps lr inside
its velocity (v ← μ·v − lr_t·g): torch's SGD(momentum) multiplies its buffer by the current lr
instead, and under a changing lr the two part (tests/unit/test_warmup.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULTS = {"lr_warmup": 0}


def active(step: int, warmup: Any) -> bool:
    """Whether the step with 0-based index ``step`` still takes a reduced lr for some trial."""
    return step + 1 < (warmup if isinstance(warmup, int) else np.max(warmup))


def factor(step: int, warmup: Any) -> Any:
    """min(1, (step + 1)/W): a Python float for a scalar W (so a scalar lr stays a Python float),
    an array of the per-trial W's shape otherwise."""
    if isinstance(warmup, np.ndarray):
        return np.minimum(1.0, (step + 1) / np.maximum(warmup, 1.0))
    return min(1.0, (step + 1) / max(warmup, 1))
