"""One buffer behind a network's parameters: the optimizer's single pass equals the per-array one."""

import numpy as np
import pytest

import models
import optimizers
from models.flat import packed, whole


def test_packed_views_tile_one_buffer_in_order():
    views = packed({"W": (3, 2), "b": (2,)}, "float32")
    buf = whole(views)
    assert buf is not None and buf.shape == (8,) and buf.dtype == np.float32
    views["b"][...] = 7
    assert buf[6:].tolist() == [7, 7]


def test_whole_refuses_replaced_or_reordered_arrays():
    views = packed({"W": (3, 2), "b": (2,)}, "float64")
    assert whole({"b": views["b"], "W": views["W"]}) is None  # out of order
    assert whole({"W": views["W"]}) is None  # does not cover the buffer
    assert whole({"W": views["W"].copy(), "b": views["b"]}) is None  # replaced
    assert whole({"W": views["W"].T, "b": views["b"]}) is None  # same memory, other layout


@pytest.mark.parametrize("name", optimizers.available())
def test_one_pass_over_the_buffer_equals_array_by_array(name):
    net = models.create("binary_mlp")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 100)), rng.integers(0, 2, 64)
    flat_p = net.init_params(np.random.default_rng(1), "float64")
    loose_p = {k: v.copy() for k, v in flat_p.items()}  # separate arrays: the per-key path
    flat_opt, loose_opt = optimizers.create(name, lr=0.01), optimizers.create(name, lr=0.01)
    for _ in range(5):
        _, g = net.loss_and_grads(flat_p, x, y)
        flat_opt.update({"all": whole(flat_p)}, {"all": whole(g)})
        _, g = net.loss_and_grads(loose_p, x, y)
        loose_opt.update(loose_p, {k: v.copy() for k, v in g.items()})
    for k in flat_p:
        np.testing.assert_array_equal(flat_p[k], loose_p[k])


def test_train_updates_a_replaced_parameter_array_too():
    """A model whose params are separate arrays still trains, array by array."""
    class Loose:
        needs_data = True

        def __init__(self):
            self.net = models.create("binary_mlp")
            self.input_dim, self.num_classes = self.net.input_dim, self.net.num_classes

        def init_params(self, rng, dtype):
            return {k: v.copy() for k, v in self.net.init_params(rng, dtype).items()}

        def loss_and_grads(self, params, x, y):
            return self.net.loss_and_grads(params, x, y)

        def evaluate(self, params, x, y):
            return self.net.evaluate(params, x, y)

    from models.data import load
    from models.train import train

    data = load("binary_teacher", n_train=512, n_test=128)
    a = train(Loose(), optimizers.create("adam", lr=0.01), data, steps=20, batch_size=64, seed=3)
    b = train(models.create("binary_mlp"), optimizers.create("adam", lr=0.01), data, steps=20,
              batch_size=64, seed=3)
    assert a.final == b.final
