"""K copies of one MLP trained as one computation: parameters stacked on a leading axis of K.

All members see the same minibatch x (B, d0), so the first layer can be ONE product of x with
the K first-layer weights side by side, x @ [W1_1 | … | W1_K] (B, K·d1), and its weight gradient
one product xᵀ @ dZ1 (d0, K·d1). For that, W1 lives in a (d0, K, d1) buffer and the optimizer sees
the view (K, d0, d1) of it (``concat_first=True``). The layers above are batched products
(K, B, h) @ (K, h, h'). No gradient for the input; buffers are allocated once per (K, rows, dtype);
float32 stays float32. Each member's arithmetic is that of ``MLP`` up to summation order.
With one BLAS thread the concatenated product is faster for small layers (binary_mlp, K = 64:
151 µs vs 266 µs for K batched products) and equal for mnist_mlp's; with two OpenBLAS threads on a
busy machine the large product may be split across threads and stall.
"""

import numpy as np

from . import layers
from .errors import ModelError
from .mlp import ACTIVATIONS, MLP

_MAX_CACHED = 8  # per K: acts, dacts, grads, ones of the batch; acts of an eval chunk and remainder
_EVAL_ELEMENTS = 1 << 21  # K · rows · widest layer per evaluation chunk: 8 MB of float32 per buffer


class StackedMLP:
    """The population version of ``mlp``: same layers, activation and head, K members at once."""

    def __init__(self, mlp: MLP, *, concat_first=True):
        if mlp.head not in _HEADS or mlp.activation not in ACTIVATIONS:
            raise ModelError(f"{mlp!r}: no stacked version of head {mlp.head!r} / activation "
                             f"{mlp.activation!r}; stacked heads: {sorted(_HEADS)}.")
        self.mlp = mlp
        self.sizes = mlp.sizes
        self.concat_first = concat_first
        self._act, self._act_back = ACTIVATIONS[mlp.activation][:2]
        self._loss, self._loss_sum = _HEADS[mlp.head]
        self._cache = {}  # (kind, K, rows, dtype) -> buffers, see _cached

    def __repr__(self):
        return f"StackedMLP({self.mlp!r})"

    # ------------------------------------------------------------------ parameters
    def init_params(self, rng, dtype, k):
        """``mlp.init_params(rng, dtype)`` repeated K times: every member starts from one point."""
        one = self.mlp.init_params(rng, dtype)
        params = self._empty(k, np.dtype(dtype))
        for key, p in params.items():
            p[...] = one[key]  # broadcasts over the K axis
        return params

    def take(self, params, rows):
        """New stacked params holding only ``rows`` (in that order), in this class's layout."""
        rows = np.asarray(rows)
        dtype = params["b1"].dtype
        out = self._empty(len(rows), dtype)
        for key, p in out.items():
            p[...] = params[key][rows]
        return out

    def member(self, params, row):
        """Member ``row``'s parameters as ``MLP`` holds them: fresh C-contiguous arrays."""
        return {key: p[row].copy() for key, p in params.items()}

    def _empty(self, k, dtype):
        params = {}
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            params[f"W{l}"] = self._weight(k, fan_in, fan_out, dtype, first=l == 1)
            params[f"b{l}"] = np.empty((k, fan_out), dtype)
        return params

    def _weight(self, k, fan_in, fan_out, dtype, first):
        if first and self.concat_first:
            return np.empty((fan_in, k, fan_out), dtype).transpose(1, 0, 2)  # (K, d0, d1) view
        return np.empty((k, fan_in, fan_out), dtype)

    # ------------------------------------------------------------------ buffers
    def _cached(self, key, make):
        """Buffers by (kind, K, rows, dtype); a new K (members left) or too many shapes clears all."""
        value = self._cache.get(key)
        if value is None:
            if len(self._cache) >= _MAX_CACHED or any(k[1] != key[1] for k in self._cache):
                self._cache.clear()
            value = self._cache[key] = make()
        return value

    def _acts_for(self, k, rows, dtype):
        """Layer outputs (K, rows, d_l); layer 1's is a view of (rows, K, d1) when concatenated."""
        return self._cached(("acts", k, rows, np.dtype(dtype)), lambda: [
            self._act_buffer(k, rows, n, dtype, l == 1) for l, n in enumerate(self.sizes[1:], 1)])

    def _dacts_for(self, k, rows, dtype):
        return self._cached(("dacts", k, rows, np.dtype(dtype)), lambda: [
            self._act_buffer(k, rows, n, dtype, l == 1) for l, n in enumerate(self.sizes[1:], 1)])

    def _act_buffer(self, k, rows, n, dtype, first):
        if first and self.concat_first:
            return np.empty((rows, k, n), dtype).transpose(1, 0, 2)
        return np.empty((k, rows, n), dtype)

    def _grads_for(self, k, dtype):
        return self._cached(("grads", k, 0, np.dtype(dtype)), lambda: self._empty(k, dtype))

    def _ones_for(self, k, rows, dtype):
        return self._cached(("ones", k, rows, np.dtype(dtype)), lambda: np.ones(rows, dtype))

    def _check(self, params, x):
        W1 = params["W1"]
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ModelError(f"{self.mlp.name}: x must have shape (batch, {self.sizes[0]}), "
                             f"got {x.shape}.")
        if x.dtype != W1.dtype:
            raise ModelError(f"{self.mlp.name}: x has dtype {x.dtype} but the weights are "
                             f"{W1.dtype}; convert the data once (Dataset.astype).")

    # ------------------------------------------------------------------ forward / backward
    def _first(self, x, W1, out):
        """z1 = x @ W1 for every member, written into out (K, rows, d1)."""
        if self.concat_first:
            np.matmul(x, _side_by_side(W1), out=_side_by_side(out))  # (rows, K·d1)
        else:
            np.matmul(x, W1, out=out)  # (rows, d0) @ (K, d0, d1), broadcast over K

    def _forward(self, params, x, acts):
        """Fill acts[l] (K, rows, d_{l+1}); the last holds the logits (K, rows, C)."""
        last = len(self.sizes) - 1
        z = acts[0]
        self._first(x, params["W1"], z)
        z += params["b1"][:, None, :]
        for l in range(2, last + 1):
            self._act(z, out=z)  # the layer below, in place
            z = layers.affine_forward(z, params[f"W{l}"], params[f"b{l}"][:, None, :],
                                      out=acts[l - 1])
        return z

    def loss_and_grads(self, params, x, y):
        """Per-member mean losses (K,) float64 and the stacked gradients (reused across calls)."""
        self._check(params, x)
        k, rows = params["b1"].shape[0], x.shape[0]
        acts, dacts = self._acts_for(k, rows, x.dtype), self._dacts_for(k, rows, x.dtype)
        grads = self._grads_for(k, x.dtype)
        logits = self._forward(params, x, acts)
        losses, dz = self._loss(logits, y, dacts[-1])  # (K,), (K, B, C)
        ones = self._ones_for(k, rows, x.dtype)  # (B,): bias gradients as ones @ dz
        for l in range(len(self.sizes) - 1, 1, -1):
            a_in, da = acts[l - 2], dacts[l - 2]  # (K, B, d_{l-1})
            np.matmul(a_in.transpose(0, 2, 1), dz, out=grads[f"W{l}"])  # (K, d_{l-1}, d_l)
            np.matmul(ones, dz, out=grads[f"b{l}"])  # (K, d_l); ~20× faster than sum(axis=1)
            np.matmul(dz, params[f"W{l}"].transpose(0, 2, 1), out=da)
            dz = self._act_back(da, a_in, out=da)
        if self.concat_first:  # one product for all members: xᵀ (d0, B) @ dZ1 (B, K·d1)
            dz1 = _side_by_side(dz)
            np.matmul(x.T, dz1, out=_side_by_side(grads["W1"]))
            np.matmul(ones, dz1, out=grads["b1"].reshape(-1))
        else:
            np.matmul(x.T, dz, out=grads["W1"])  # (d0, B) @ (K, B, d1)
            np.matmul(ones, dz, out=grads["b1"])
        return losses, grads

    def evaluate(self, params, x, y):
        """Per-member (mean loss, accuracy) over the whole set: two float64 arrays (K,)."""
        self._check(params, x)
        k, n = params["b1"].shape[0], x.shape[0]
        chunk = int(np.clip(_EVAL_ELEMENTS // (k * max(self.sizes[1:])), 64,
                            max(self.mlp.eval_chunk, 64)))
        total, correct = np.zeros(k), np.zeros(k, np.int64)
        for start in range(0, n, chunk):
            xb, yb = x[start : start + chunk], y[start : start + chunk]
            acts = self._acts_for(k, xb.shape[0], xb.dtype)
            loss_sum, hits = self._loss_sum(self._forward(params, xb, acts), yb)
            total += loss_sum
            correct += hits
        return total / n, correct / n


def _side_by_side(a):
    """(K, r, c) view of an (r, K, c) buffer -> the (r, K·c) matrix it is; never a copy."""
    m = a.transpose(1, 0, 2)
    if not m.flags.c_contiguous:
        raise AssertionError("the first layer's arrays lost their (rows, K, d1) layout")  # a bug
    return m.reshape(m.shape[0], -1)


# ---------------------------------------------------------------------------- stacked heads
# layers.py's losses, with the mean (and its 1/B in the gradient) taken per member.
def softmax_cross_entropy(logits, y, dlogits):
    """Per-member mean cross-entropy (K,) float64 and dlogits (K, B, C) = (softmax - onehot)/B."""
    B = logits.shape[1]
    rows = np.arange(B)
    shifted = np.subtract(logits, logits.max(axis=2, keepdims=True), out=dlogits)  # ≤ 0
    picked = shifted[:, rows, y]  # (K, B)
    np.exp(shifted, out=shifted)
    total = shifted.sum(axis=2)  # (K, B) in [1, C]
    losses = np.mean(np.log(total) - picked, axis=1).astype(np.float64)
    shifted /= total[:, :, None] * B
    shifted[:, rows, y] -= 1.0 / B
    return losses, shifted


def softmax_cross_entropy_sum(logits, y):
    """Per-member summed loss (K,) float64 and correct count (K,) for chunked evaluation."""
    shifted = logits - logits.max(axis=2, keepdims=True)  # (K, n, C)
    picked = shifted[:, np.arange(len(y)), y]
    loss = np.log(np.exp(shifted).sum(axis=2)) - picked  # (K, n)
    hits = np.count_nonzero(logits.argmax(axis=2) == y, axis=1)
    return loss.sum(axis=1, dtype=np.float64), hits


def binary_cross_entropy(logits, y, dlogits):
    """Per-member mean binary cross-entropy (K,) float64 of logits (K, B, 1); dlogits (σ(z) - y)/B."""
    z = logits.reshape(logits.shape[0], -1)  # (K, B)
    B = z.shape[1]
    t = y.astype(z.dtype, copy=False)
    loss = np.maximum(z, 0) - t * z + np.log1p(np.exp(-np.abs(z)))
    losses = np.mean(loss, axis=1).astype(np.float64)
    dz = layers.sigmoid(logits, out=dlogits)
    flat = dz.reshape(z.shape)
    flat -= t
    flat /= B
    return losses, dz


def binary_cross_entropy_sum(logits, y):
    """Per-member summed loss (K,) float64 and correct count (K,) (prediction: logit > 0)."""
    z = logits.reshape(logits.shape[0], -1)
    t = y.astype(z.dtype, copy=False)
    loss = np.maximum(z, 0) - t * z + np.log1p(np.exp(-np.abs(z)))
    hits = np.count_nonzero((z > 0) == (y == 1), axis=1)
    return loss.sum(axis=1, dtype=np.float64), hits


_HEADS = {
    "softmax": (softmax_cross_entropy, softmax_cross_entropy_sum),
    "binary": (binary_cross_entropy, binary_cross_entropy_sum),
}
