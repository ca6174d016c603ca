"""models.population_mlp: K stacked members compute what K separate MLPs compute."""

import numpy as np
import pytest

import models
from models.population_mlp import StackedMLP


def different_members(net, stack, k, rng):
    """Stacked params whose members all differ (biases too), and the members as plain dicts."""
    params = stack.init_params(rng, "float64", k)
    for p in params.values():
        p += 0.1 * rng.normal(size=p.shape)
    return params, [stack.member(params, i) for i in range(k)]


@pytest.mark.parametrize("concat_first", [True, False])
@pytest.mark.parametrize("name, activation", [("binary_mlp", "relu"), ("mnist_mlp", "relu"),
                                              ("binary_mlp", "sigmoid")])
def test_losses_grads_and_evaluation_equal_each_member_alone(name, activation, concat_first):
    net = models.create(name, activation=activation)
    net.eval_chunk = 16
    stack, rng, k = StackedMLP(net, concat_first=concat_first), np.random.default_rng(0), 4
    params, members = different_members(net, stack, k, rng)
    x = rng.normal(size=(8, net.input_dim))
    y = rng.integers(0, net.num_classes, 8)
    losses, grads = stack.loss_and_grads(params, x, y)
    test_loss, acc = stack.evaluate(params, x[:5].repeat(7, axis=0), y[:5].repeat(7))
    for i, one in enumerate(members):
        loss, g = net.loss_and_grads(one, x, y)
        assert losses[i] == pytest.approx(loss, rel=1e-12)
        for key in g:
            np.testing.assert_allclose(grads[key][i], g[key], rtol=1e-10, atol=1e-14, err_msg=key)
        ref = net.evaluate(one, x[:5].repeat(7, axis=0), y[:5].repeat(7))
        assert (test_loss[i], acc[i]) == pytest.approx(ref, rel=1e-12)


def test_take_keeps_the_layout_and_member_gives_contiguous_copies():
    net = models.create("binary_mlp")
    stack, rng = StackedMLP(net), np.random.default_rng(1)
    params, members = different_members(net, stack, 5, rng)
    kept = stack.take(params, [4, 1])
    assert kept["W1"].shape == (2, 100, 10) and kept["W1"].transpose(1, 0, 2).flags.c_contiguous
    for j, i in enumerate([4, 1]):
        for key, p in stack.member(kept, j).items():
            assert p.flags.c_contiguous and not np.shares_memory(p, kept[key])
            np.testing.assert_array_equal(p, members[i][key])


def test_float32_stays_float32():
    net = models.create("mnist_mlp")
    stack = StackedMLP(net)
    params = stack.init_params(np.random.default_rng(0), "float32", 3)
    x = np.random.default_rng(1).random((16, 784), dtype=np.float32)
    y = np.arange(16) % 10
    losses, grads = stack.loss_and_grads(params, x, y)
    assert losses.dtype == np.float64 and all(g.dtype == np.float32 for g in grads.values())
    with pytest.raises(models.ModelError, match="dtype float64 but the weights are float32"):
        stack.loss_and_grads(params, x.astype(np.float64), y)
