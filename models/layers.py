"""Layer math for the MLPs: forward/backward pairs, stable losses on logits, initialisers.

Every function takes optional ``out=`` buffers so a network can reuse its arrays across steps;
with ``out=None`` they allocate and are plain functions (the tests use them that way).
Nothing here upcasts: float32 in gives float32 out (Python scalars are "weak" under NEP 50).
"""

import numpy as np


# ---------------------------------------------------------------------------- affine
def affine_forward(x, W, b, out=None):
    """z = x @ W + b.  x (B, i), W (i, o), b (o,) -> z (B, o)."""
    out = np.matmul(x, W, out=out)
    out += b
    return out


def affine_backward(dz, x, W, dW=None, db=None, dx=False):
    """Gradients of z = x @ W + b given dz (B, o).

    Returns (dW (i, o), db (o,), dx (B, i) or None). ``dx`` is False to skip the input gradient
    (the first layer never needs it), True to allocate it, or an array to write it into.
    """
    dW = np.matmul(x.T, dz, out=dW)  # (i, o)
    db = np.sum(dz, axis=0, out=db)  # (o,)
    if dx is False:
        return dW, db, None
    dx = np.matmul(dz, W.T, out=None if dx is True else dx)  # (B, i)
    return dW, db, dx


# ---------------------------------------------------------------------------- activations
def relu_forward(z, out=None):
    """a = max(z, 0); pass ``out=z`` to apply it in place."""
    return np.maximum(z, 0, out=out)


def relu_backward(da, a, out=None):
    """dz = da * (a > 0). Uses the *output* a, so the pre-activation need not be kept.

    ``out=da`` works in place. Multiplying by the boolean mask is ~6× faster than
    ``np.copyto(out, 0, where=a <= 0)`` at (128, 100).
    """
    return np.multiply(da, a > 0, out=out)


def sigmoid(z, out=None):
    """σ(z) = (1 + tanh(z/2)) / 2: one ufunc chain that never overflows, unlike 1/(1+exp(-z))."""
    out = np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def sigmoid_forward(z, out=None):
    """a = σ(z)."""
    return sigmoid(z, out=out)


def sigmoid_backward(da, a, out=None):
    """dz = da * a * (1 - a), from the output a = σ(z)."""
    out = np.multiply(da, a, out=out)  # safe with out=da: da is read before it is overwritten
    out *= 1 - a
    return out


# ---------------------------------------------------------------------------- losses
def softmax_cross_entropy(logits, y, dlogits=None, grad=True):
    """Mean cross-entropy of integer labels y (B,) under softmax(logits (B, C)).

    loss_i = logsumexp(z_i) - z_{i,y_i}, computed after subtracting the row max so exp never sees
    a positive argument (finite for logits of any magnitude). Returns (loss: float, dlogits (B, C)
    = (softmax - onehot) / B, or None when grad=False). ``dlogits`` may be a buffer to write into.
    """
    B = logits.shape[0]
    rows = np.arange(B)
    shifted = np.subtract(logits, logits.max(axis=1, keepdims=True), out=dlogits)  # (B, C) ≤ 0
    picked = shifted[rows, y]  # (B,) z_y - max
    np.exp(shifted, out=shifted)  # (B, C) in (0, 1]
    total = shifted.sum(axis=1)  # (B,) in [1, C]
    loss = float(np.mean(np.log(total) - picked))
    if not grad:
        return loss, None
    shifted /= total[:, None] * B  # softmax / B
    shifted[rows, y] -= 1.0 / B
    return loss, shifted


def softmax_cross_entropy_sum(logits, y):
    """Summed (not mean) loss and correct-count, for chunked evaluation without gradients."""
    shifted = logits - logits.max(axis=1, keepdims=True)  # (B, C)
    picked = shifted[np.arange(len(y)), y]
    loss = np.log(np.exp(shifted).sum(axis=1)) - picked
    return float(loss.sum(dtype=np.float64)), int(np.count_nonzero(logits.argmax(axis=1) == y))


def binary_cross_entropy(logits, y, dlogits=None, grad=True):
    """Mean binary cross-entropy of labels y (B,) in {0, 1} given logits (B, 1) or (B,).

    loss_i = softplus(z) - y z = max(z, 0) - y z + log1p(exp(-|z|)): exp only of non-positive
    numbers, so finite for logits of any magnitude. dlogits = (σ(z) - y) / B, same shape as logits.
    """
    z = logits.reshape(-1)  # (B,)
    B = z.shape[0]
    t = y.astype(z.dtype, copy=False)  # (B,) labels in the logits' dtype, no float64 creep
    loss = np.maximum(z, 0) - t * z + np.log1p(np.exp(-np.abs(z)))
    loss = float(np.mean(loss))
    if not grad:
        return loss, None
    dz = sigmoid(logits, out=dlogits)  # same shape as logits
    flat = dz.reshape(-1)
    flat -= t
    flat /= B
    return loss, dz


def binary_cross_entropy_sum(logits, y):
    """Summed loss and correct-count (prediction: logit > 0), for chunked evaluation."""
    z = logits.reshape(-1)
    t = y.astype(z.dtype, copy=False)
    loss = np.maximum(z, 0) - t * z + np.log1p(np.exp(-np.abs(z)))
    return float(loss.sum(dtype=np.float64)), int(np.count_nonzero((z > 0) == (y == 1)))


# ---------------------------------------------------------------------------- initialisers
# Draws are made in float64 and then cast, so one seed gives the same weights (up to rounding)
# in float32 and float64 — runs that differ only in dtype start from the same point.
def he_init(rng: np.random.Generator, fan_in: int, fan_out: int, dtype="float32"):
    """He/Kaiming normal (He et al. 2015), for ReLU: W ~ N(0, 2 / fan_in). Shape (fan_in, fan_out)."""
    std = np.sqrt(2.0 / fan_in)
    return (rng.standard_normal((fan_in, fan_out)) * std).astype(dtype)


def xavier_init(rng: np.random.Generator, fan_in: int, fan_out: int, dtype="float32"):
    """Xavier/Glorot uniform (Glorot & Bengio 2010), for sigmoid/tanh: U(±sqrt(6 / (in + out)))."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(dtype)
