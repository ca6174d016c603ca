"""A fully connected network with hand-written backprop and reused buffers.

Speed comes from doing no more work than the math needs:
- no gradient for the input x (the first layer's dx is skipped);
- activations, their gradients and the gradient dict are allocated once per (batch size, dtype)
  and written with ``out=`` on every call;
- activations are applied in place, and ReLU's backward reads the mask from its output;
- parameters and gradients each live in one buffer (models/flat.py), so the optimizer updates
  them in one pass;
- float32 stays float32 (weights, data and buffers share one dtype; a mismatch is an error rather
  than a silent cast).
"""

import numpy as np

from . import flat, fused, layers
from .errors import ModelError

ACTIVATIONS = {  # name: (forward, backward from the output, initialiser); the stacked MLP uses them too
    "relu": (layers.relu_forward, layers.relu_backward, layers.he_init),
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, layers.xavier_init),
}
_HEADS = {
    # head: (loss with grad, summed loss and correct count for evaluation)
    "softmax": (layers.softmax_cross_entropy, layers.softmax_cross_entropy_sum),
    "binary": (layers.binary_cross_entropy, layers.binary_cross_entropy_sum),
}
_MAX_CACHED_SHAPES = 4  # training batch, eval chunk, eval remainder, one spare


class MLP:
    """sizes[0] → … → sizes[-1]; activation on hidden layers, a loss head on the logits.

    ``loss_and_grads`` returns the SAME dict of gradient arrays on every call (overwritten in
    place): use it before the next call and copy it if you need to keep it.
    """

    needs_data = True

    def __init__(self, name, sizes, *, activation="relu", head="softmax", eval_chunk=2048):
        if activation not in ACTIVATIONS:
            raise ModelError(
                f"{name}: unknown activation={activation!r}; allowed: {sorted(ACTIVATIONS)}."
            )
        if head not in _HEADS:
            raise ModelError(f"{name}: unknown head={head!r}; allowed: {sorted(_HEADS)}.")
        self.name = name
        self.sizes = tuple(int(s) for s in sizes)
        self.activation = activation
        self.head = head
        self.input_dim = self.sizes[0]
        # a binary head has one logit but two classes
        self.num_classes = 2 if head == "binary" else self.sizes[-1]
        self.eval_chunk = int(eval_chunk)
        self._act, self._act_back, self._init = ACTIVATIONS[activation]
        self._loss, self._loss_sum = _HEADS[head]
        self._buffers = {}  # (batch, dtype) -> (acts, dacts)
        self._grads = {}  # dtype -> grads dict

    @property
    def num_layers(self):
        return len(self.sizes) - 1

    def __repr__(self):
        arrows = " → ".join(map(str, self.sizes))
        return f"MLP({self.name}: {arrows}, {self.activation}, {self.head} head)"

    # ------------------------------------------------------------------ parameters
    def init_params(self, rng: np.random.Generator, dtype="float32"):
        """{"W1": (d0, d1), "b1": (d1,), ...}: weights from the activation's init, biases 0.

        The arrays are views into one buffer laid out like the gradients (see models/flat.py).
        """
        params = flat.packed(self._shapes(), dtype)
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            params[f"W{l}"][...] = self._init(rng, fan_in, fan_out, dtype)
        return params

    def _shapes(self):
        shapes = {}
        for l, (fan_in, fan_out) in enumerate(zip(self.sizes[:-1], self.sizes[1:]), start=1):
            shapes[f"W{l}"], shapes[f"b{l}"] = (fan_in, fan_out), (fan_out,)
        return shapes

    # ------------------------------------------------------------------ buffers
    def _buffers_for(self, batch, dtype):
        key = (batch, np.dtype(dtype))
        bufs = self._buffers.get(key)
        if bufs is None:
            if len(self._buffers) >= _MAX_CACHED_SHAPES:
                self._buffers.clear()
            acts = [np.empty((batch, n), dtype) for n in self.sizes[1:]]  # (B, d_l), l = 1..L
            dacts = [np.empty((batch, n), dtype) for n in self.sizes[1:]]
            bufs = self._buffers[key] = (acts, dacts)
        return bufs

    def _grads_for(self, dtype):
        grads = self._grads.get(np.dtype(dtype))
        if grads is None:
            grads = self._grads[np.dtype(dtype)] = flat.packed(self._shapes(), dtype)
        return grads

    def _check(self, params, x):
        W1 = params["W1"]
        if x.ndim != 2 or x.shape[1] != self.input_dim:
            raise ModelError(
                f"{self.name}: x must have shape (batch, {self.input_dim}), got {x.shape}."
            )
        if x.dtype != W1.dtype:
            raise ModelError(
                f"{self.name}: x has dtype {x.dtype} but the weights are {W1.dtype}; convert the "
                f"data once (Dataset.astype) rather than casting on every step."
            )

    # ------------------------------------------------------------------ forward / backward
    def _forward(self, params, x, acts):
        """Fill acts[l] with layer l+1's output; the last one holds the logits (B, C)."""
        if fused.applies(self, x, head=False):  # evaluation's forward, bias and ReLU in one pass
            return fused.forward(self, params, x, acts)
        a = x  # (B, d0)
        last = self.num_layers
        for l in range(1, last + 1):
            z = layers.affine_forward(a, params[f"W{l}"], params[f"b{l}"], out=acts[l - 1])
            if l < last:
                self._act(z, out=z)  # (B, d_l), in place
            a = z
        return a

    def loss_and_grads(self, params, x, y):
        """Mean loss over the batch and the gradient dict (reused across calls; do not keep it)."""
        self._check(params, x)
        acts, dacts = self._buffers_for(x.shape[0], x.dtype)
        grads = self._grads_for(x.dtype)
        if fused.applies(self, x):  # the same step with its element-wise passes fused (numba)
            return fused.loss_and_grads(self, params, x, y, acts, dacts, grads)
        logits = self._forward(params, x, acts)
        loss, dz = self._loss(logits, y, dlogits=dacts[-1])  # (B, C)
        for l in range(self.num_layers, 0, -1):
            W = params[f"W{l}"]
            if l == 1:  # the input needs no gradient
                layers.affine_backward(dz, x, W, grads["W1"], grads["b1"], dx=False)
                break
            a_in = acts[l - 2]  # (B, d_{l-1}) output of the layer below
            da = dacts[l - 2]
            layers.affine_backward(dz, a_in, W, grads[f"W{l}"], grads[f"b{l}"], dx=da)
            dz = self._act_back(da, a_in, out=da)  # (B, d_{l-1}), in place
        return loss, grads

    def logits(self, params, x):
        """Logits (B, C) as a fresh array (for tests and inspection)."""
        self._check(params, x)
        acts, _ = self._buffers_for(x.shape[0], x.dtype)
        return self._forward(params, x, acts).copy()

    def evaluate(self, params, x, y):
        """(mean loss, accuracy) over the whole set, in chunks of ``eval_chunk`` rows."""
        self._check(params, x)
        n = x.shape[0]
        total_loss, correct = 0.0, 0
        for start in range(0, n, self.eval_chunk):
            xb, yb = x[start : start + self.eval_chunk], y[start : start + self.eval_chunk]
            acts, _ = self._buffers_for(xb.shape[0], xb.dtype)
            loss_sum, hits = self._loss_sum(self._forward(params, xb, acts), yb)
            total_loss += loss_sum
            correct += hits
        return total_loss / n, correct / n
