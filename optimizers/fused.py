"""One-pass kernels (numba) for element-wise updates over a whole parameter buffer or a population.

numpy spends one pass over memory per ufunc: RMSprop's step is nine passes over the parameters
(g², ·(1 − γ), γ·s, +, √, + ε, ÷, ·lr, −=), which on the MNIST network cost a third of the matrix
products. A compiled loop does the same arithmetic, in the same order and the same dtype, in one
pass (tests/unit/test_fused.py holds it to the numpy path, which stays the reference).

``GAMMASWEEP_KERNELS=numpy`` switches the kernels off (read once, at import; tests set ``ENABLED``);
without numba installed they are off. numba is imported and a kernel compiled on its first call
only (cached on disk), so a process that never runs one pays nothing.
A population (K trials stacked on the leading axis, per-trial hyperparameters (K, 1, …, 1) float64)
has its own kernel, ``rmsprop_members``: there numpy computes each operation with a float64
hyperparameter in float64 and rounds it into the float32 buffer, so the kernel rounds after every
operation as numpy's ``out=`` does. (One operation in float64 then rounded to float32 equals the
float32 operation itself — double rounding is harmless for + − × ÷ √ when 53 ≥ 2·24 + 2 — so a
scalar hyperparameter, rounded to the dtype first as NEP 50 does, goes through the same code.)
``error_model="numpy"`` lets division by zero give inf like numpy instead of raising, which also
lets the loop vectorise; no fastmath: NaN and inf must survive for the divergence checks.
"""

from __future__ import annotations

import importlib.util
import math
import os
import warnings

import numpy as np

ENV = "GAMMASWEEP_KERNELS"
CHOICES = ("numba", "numpy")
_CHOICE = os.environ.get(ENV, "numba")
if _CHOICE not in CHOICES:
    warnings.warn(f"{ENV}={_CHOICE!r} is not a kernel choice; allowed: {', '.join(CHOICES)}. "
                  f"Using numba's kernels where numba is installed.", stacklevel=2)
ENABLED = _CHOICE != "numpy" and importlib.util.find_spec("numba") is not None
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


@jit
def _rmsprop_members(p, g, s, lr, gamma_t, one_minus, eps, eps_in_sqrt, bias_correction, norm):
    """p, g, s: (K, a, b) views of any strides; each hyperparameter (K,) or (1,) float64."""
    r = p.dtype.type  # numpy's out=: every operation's result rounded into the buffer's dtype
    for k in range(p.shape[0]):
        lr_k, eps_k = lr[k % lr.size], eps[k % eps.size]
        gm_k, om_k, n_k = gamma_t[k % gamma_t.size], one_minus[k % one_minus.size], norm[k % norm.size]
        for i in range(p.shape[1]):
            for j in range(p.shape[2]):
                gi = g[k, i, j]
                t = r(gi * gi)
                if bias_correction:
                    si = r(s[k, i, j] + r(r(t - s[k, i, j]) / n_k))
                else:
                    si = r(r(s[k, i, j] * gm_k) + r(t * om_k))
                s[k, i, j] = si
                den = r(math.sqrt(r(si + eps_k))) if eps_in_sqrt else r(r(math.sqrt(si)) + eps_k)
                p[k, i, j] = r(p[k, i, j] - r(r(gi / den) * lr_k))


def members(param, grad, s, *hyperparameters) -> bool:
    """Whether ``rmsprop_members`` applies: kernels on, one float dtype, a leading trial axis and
    at most two more, hyperparameters Python scalars or per-trial float64 arrays."""
    dtype = param.dtype
    return (ENABLED and dtype in FLOATS and 1 <= param.ndim <= 3
            and grad.dtype == dtype and s.dtype == dtype and grad.shape == s.shape == param.shape
            and all(type(v) in (int, float, bool) or (isinstance(v, np.ndarray) and v.dtype == np.float64
                                                       and v.size in (1, param.shape[0]))
                    for v in hyperparameters))


def rmsprop_members(param, grad, s, *, lr, gamma_t, one_minus, eps, eps_in_sqrt, bias_correction, norm):
    """RMSprop's step for K stacked trials in one pass, as the numpy path rounds it."""
    def hp(v):  # (K,) or (1,) float64; a scalar first rounded to the dtype (NEP 50's weak scalar)
        if isinstance(v, np.ndarray):
            return v.reshape(-1)
        return np.array([param.dtype.type(v)], np.float64)

    def three(a):  # (K,) → (K, 1, 1), (K, d) → (K, 1, d): views, strides kept
        return a[:, None, None] if a.ndim == 1 else a[:, None, :] if a.ndim == 2 else a

    _rmsprop_members(three(param), three(grad), three(s), hp(lr), hp(gamma_t), hp(one_minus), hp(eps),
                     bool(eps_in_sqrt), bool(bias_correction), hp(norm))
