"""AdaGrad, exactly as torch.optim.Adagrad(initial_accumulator_value=0, lr_decay=0).

    s ← s + g²              s starts at 0
    θ ← θ − lr·g / (√s + ε)  ε added after the square root
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._base import Spec

DEFAULTS = {"lr": 0.01, "eps": 1e-10}


class AdagradState(NamedTuple):
    count: int
    sum_sq: np.ndarray  # s, the running sum of squared gradients


def init(param: np.ndarray, **_) -> AdagradState:
    return AdagradState(0, np.zeros_like(param))


def step(param, grad, state: AdagradState, *, lr, eps, **_) -> AdagradState:
    """s ← s + g²; θ ← θ − lr·g/(√s + ε), in place."""
    s = state.sum_sq
    tmp = np.multiply(grad, grad, dtype=param.dtype)
    s += tmp
    np.sqrt(s, out=tmp)
    np.add(tmp, eps, out=tmp)
    np.divide(grad, tmp, out=tmp)
    np.multiply(tmp, lr, out=tmp)
    param -= tmp
    return AdagradState(state.count + 1, s)


SPEC = Spec("adagrad", DEFAULTS, init, step)
