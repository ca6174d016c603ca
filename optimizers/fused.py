"""One-pass kernels (numba) for element-wise updates over a whole parameter buffer.

numpy spends one pass over memory per ufunc: RMSprop's step is nine passes over the parameters
(g², ·(1 − γ), γ·s, +, √, + ε, ÷, ·lr, −=), which on the MNIST network cost a third of the matrix
products. A compiled loop does the same arithmetic, in the same order and the same dtype, in one
pass (tests/test_fused.py holds it to the numpy path, which stays the reference).

``GAMMASWEEP_KERNELS=numpy`` switches the kernels off (read once, at import; tests set ``ENABLED``);
without numba installed they are off. numba is imported and a kernel compiled on its first call
only (cached on disk), so a process that never runs one pays nothing.
``error_model="numpy"`` lets division by zero give inf like numpy instead of raising, which also
lets the loop vectorise; no fastmath: NaN and inf must survive for the divergence checks.
"""

from __future__ import annotations

import importlib.util
import math
import os

import numpy as np

ENV = "GAMMASWEEP_KERNELS"
CHOICES = ("numba", "numpy")
ENABLED = os.environ.get(ENV, "numba") != "numpy" and importlib.util.find_spec("numba") is not None
FLOATS = (np.dtype("float32"), np.dtype("float64"))


def jit(fn):
    """``fn`` compiled by numba on its first call (and cached on disk)."""
    compiled = None

    def call(*args):
        nonlocal compiled
        if compiled is None:
            import numba

            compiled = numba.njit(cache=True, error_model="numpy")(fn)
        return compiled(*args)

    call.__name__, call.__doc__, call.py_func = fn.__name__, fn.__doc__, fn
    return call


def flat_scalars(*arrays: np.ndarray, scalars=()) -> bool:
    """Whether a kernel applies: kernels on, float32/float64 C-contiguous arrays of one dtype,
    and hyperparameters that are Python scalars (per-trial arrays stay on the numpy path)."""
    dtype = arrays[0].dtype
    return (ENABLED and dtype in FLOATS
            and all(a.dtype == dtype and a.flags.c_contiguous for a in arrays)
            and all(type(v) in (int, float, bool) for v in scalars))  # np.float64 would upcast


@jit
def _rmsprop(p, g, s, lr, gamma, one_minus, eps, eps_in_sqrt, bias_correction, norm):
    for i in range(p.size):
        gi = g[i]
        t = gi * gi
        if bias_correction:
            si = s[i] + (t - s[i]) / norm
        else:
            si = s[i] * gamma + t * one_minus
        s[i] = si
        den = math.sqrt(si + eps) if eps_in_sqrt else math.sqrt(si) + eps
        p[i] -= (gi / den) * lr


def rmsprop(param, grad, s, *, lr, gamma_t, one_minus, eps, eps_in_sqrt, bias_correction, norm):
    """RMSprop's step in one pass, as optimizers/rmsprop.py's numpy path writes it."""
    c = param.dtype.type
    _rmsprop(param.reshape(-1), grad.reshape(-1), s.reshape(-1), c(lr), c(gamma_t), c(one_minus),
             c(eps), bool(eps_in_sqrt), bool(bias_correction), c(norm))
