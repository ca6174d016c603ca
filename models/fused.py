"""The MLP's element-wise passes fused into one loop each (numba), between numpy's matmuls.

A training step of the ReLU + softmax network spends its time in 14 matrix products and ~25
small element-wise passes (bias, ReLU, softmax, the loss, ReLU's mask, bias gradients), each a
ufunc call over a (128, 100) array, dominated by call overhead. Here each layer's passes are one
loop: bias + ReLU forward; softmax, cross-entropy, dlogits and the last bias gradient; ReLU's
mask and the bias gradient below it. Same formulas as models/layers.py, which stays the
reference (tests/unit/test_fused.py; exp and log may differ from numpy's in the last bit).
Switched like the optimizer kernels (optimizers/fused.py: ``GAMMASWEEP_KERNELS=numpy``).
"""

from __future__ import annotations

import math

import numpy as np

from optimizers import fused as kernels
from optimizers.fused import FLOATS, jit

from .errors import ModelError


def applies(mlp, x, head=True) -> bool:
    """Whether ``mlp``'s forward pass (``head=False``) or whole step can run here: ReLU, kernels
    on, float C-contiguous x, and for the step a softmax head."""
    return (kernels.ENABLED and mlp.activation == "relu" and (not head or mlp.head == "softmax")
            and x.dtype in FLOATS and x.flags.c_contiguous)


@jit
def _bias_relu(z, b):
    B, n = z.shape
    for i in range(B):
        for j in range(n):
            v = z[i, j] + b[j]
            z[i, j] = 0.0 if v < 0 else v  # NaN stays NaN, as with np.maximum


@jit
def _relu_back_db(da, a, db):
    B, n = da.shape
    db[:] = 0.0
    for i in range(B):
        for j in range(n):
            v = da[i, j] * (1.0 if a[i, j] > 0 else 0.0)  # a product, so NaN·0 stays NaN
            da[i, j] = v
            db[j] += v


@jit
def _softmax_ce(z, y, d, db):
    """Mean cross-entropy; d = (softmax − onehot)/B; db = d summed over the batch.
    A label outside [0, C) returns −1 − its row (a loss is never negative) instead of reading
    out of bounds."""
    B, C = z.shape
    for i in range(B):
        if y[i] < 0 or y[i] >= C:
            return -1.0 - i
    db[:] = 0.0
    total = 0.0
    for i in range(B):
        m = z[i, 0]
        for j in range(1, C):
            if z[i, j] > m:
                m = z[i, j]
        for j in range(C):
            d[i, j] = math.exp(z[i, j] - m)
        s = d[i, 0]
        for j in range(1, C):
            s += d[i, j]
        total += math.log(s) - (z[i, y[i]] - m)
        scale = s * B
        for j in range(C):
            d[i, j] /= scale
        d[i, y[i]] -= 1.0 / B
        for j in range(C):
            db[j] += d[i, j]
    return total / B


def forward(mlp, params, x, acts):
    """``MLP._forward`` with bias and ReLU in one pass: acts[l] filled, the logits returned."""
    last = mlp.num_layers
    a = x
    for l in range(1, last + 1):
        z = np.matmul(a, params[f"W{l}"], out=acts[l - 1])  # (B, d_l)
        if l < last:
            _bias_relu(z, params[f"b{l}"])
        else:
            z += params[f"b{l}"]
        a = z
    return a


def loss_and_grads(mlp, params, x, y, acts, dacts, grads):
    """``MLP.loss_and_grads`` with the fused passes: (mean loss, grads) written into the buffers."""
    last = mlp.num_layers
    a = forward(mlp, params, x, acts)
    loss = _softmax_ce(a, y, dacts[-1], grads[f"b{last}"])
    if loss < 0:
        row = int(-1 - loss)
        raise ModelError(f"{mlp.name}: label y[{row}] = {y[row]} is not a class; allowed: 0 to {mlp.num_classes - 1}.")
    dz = dacts[-1]  # (B, C)
    for l in range(last, 0, -1):
        a_in = x if l == 1 else acts[l - 2]
        np.matmul(a_in.T, dz, out=grads[f"W{l}"])  # (d_{l-1}, d_l)
        if l == 1:  # the input needs no gradient
            break
        da = np.matmul(dz, params[f"W{l}"].T, out=dacts[l - 2])  # (B, d_{l-1})
        _relu_back_db(da, a_in, grads[f"b{l - 1}"])
        dz = da
    return float(loss), grads
