"""The two MLPs: finite-difference gradients, the PyTorch reference, dtypes, buffers, errors."""

import numpy as np
import pytest

import models


def _rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def _fd_check(net, params, x, y, per_param=12, seed=0):
    """Central differences at ``per_param`` random entries of every array (all of the small ones)."""
    _, grads = net.loss_and_grads(params, x, y)
    grads = {k: g.copy() for k, g in grads.items()}  # the dict is reused by the next call
    rng, h = np.random.default_rng(seed), 1e-6
    for key, p in params.items():
        idx = np.arange(p.size) if p.size <= per_param else rng.choice(p.size, per_param, replace=False)
        fd = np.empty(len(idx))
        for j, i in enumerate(idx):
            old = p.flat[i]
            p.flat[i] = old + h
            up = net.loss_and_grads(params, x, y)[0]
            p.flat[i] = old - h
            down = net.loss_and_grads(params, x, y)[0]
            p.flat[i] = old
            fd[j] = (up - down) / (2 * h)
        assert _rel_error(grads[key].flat[idx], fd) < 1e-6, key


@pytest.mark.parametrize("name, n_in", [("binary_mlp", 100), ("mnist_mlp", 784)])
def test_gradients_match_finite_differences(name, n_in):
    net = models.create(name)
    rng = np.random.default_rng(0)
    params = net.init_params(rng, "float64")
    for k in params:  # nonzero biases so their gradients are exercised away from the init
        if k.startswith("b"):
            params[k] += 0.1 * rng.normal(size=params[k].shape)
    x = rng.normal(size=(5, n_in))
    y = rng.integers(0, net.num_classes, 5)
    _fd_check(net, params, x, y)


def test_sigmoid_variant_gradients_match_finite_differences():
    net = models.create("binary_mlp", activation="sigmoid")
    rng = np.random.default_rng(1)
    params = net.init_params(rng, "float64")
    _fd_check(net, params, rng.normal(size=(6, 100)), rng.integers(0, 2, 6))


def _torch_mnist(params, dtype):
    torch = pytest.importorskip("torch")
    layers = []
    for l in range(1, 6):
        lin = torch.nn.Linear(*params[f"W{l}"].shape, dtype=dtype)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(params[f"W{l}"].T.copy()))
            lin.bias.copy_(torch.from_numpy(params[f"b{l}"].copy()))
        layers += [lin, torch.nn.ReLU()]
    return torch.nn.Sequential(*layers[:-1])


@pytest.mark.parametrize("dtype, tol", [("float64", 1e-11), ("float32", 2e-5)])
def test_mnist_mlp_matches_torch(dtype, tol):
    torch = pytest.importorskip("torch")
    net = models.create("mnist_mlp")
    rng = np.random.default_rng(2)
    params = net.init_params(rng, dtype)
    params["b2"] += np.asarray(0.05 * rng.normal(size=100), dtype)
    x, y = rng.random((16, 784)).astype(dtype), rng.integers(0, 10, 16)
    ref = _torch_mnist(params, getattr(torch, dtype))
    out = ref(torch.from_numpy(x))
    ref_loss = torch.nn.functional.cross_entropy(out, torch.from_numpy(y))
    ref_loss.backward()
    loss, grads = net.loss_and_grads(params, x, y)
    assert loss == pytest.approx(ref_loss.item(), rel=tol)
    np.testing.assert_allclose(net.logits(params, x), out.detach().numpy(), rtol=tol, atol=tol)
    for l, lin in enumerate(ref[::2], start=1):
        assert grads[f"W{l}"].dtype == dtype
        assert _rel_error(grads[f"W{l}"], lin.weight.grad.numpy().T) < tol
        assert _rel_error(grads[f"b{l}"], lin.bias.grad.numpy()) < tol


def test_float32_stays_float32_and_grads_dict_is_reused():
    net = models.create("mnist_mlp")
    rng = np.random.default_rng(3)
    params = net.init_params(rng, "float32")
    assert all(p.dtype == np.float32 for p in params.values())
    x, y = rng.random((8, 784), dtype=np.float32), rng.integers(0, 10, 8)
    loss, grads = net.loss_and_grads(params, x, y)
    assert isinstance(loss, float) and all(g.dtype == np.float32 for g in grads.values())
    _, again = net.loss_and_grads(params, x, y)
    assert again is grads  # documented: the caller must not keep references across calls
    assert set(grads) == {f"{w}{l}" for l in range(1, 6) for w in "Wb"}


def test_evaluate_in_chunks_equals_one_pass():
    net = models.create("binary_mlp")
    rng = np.random.default_rng(4)
    params = net.init_params(rng, "float64")
    x, y = rng.normal(size=(1000, 100)), rng.integers(0, 2, 1000)
    net.eval_chunk = 300  # 300, 300, 300, 100
    loss, acc = net.evaluate(params, x, y)
    z = net.logits(params, x)[:, 0]
    ref = np.mean(np.logaddexp(0, z) - y * z)
    assert loss == pytest.approx(ref, rel=1e-12)
    assert acc == np.mean((z > 0) == (y == 1))
    assert loss == pytest.approx(net.loss_and_grads(params, x, y)[0], rel=1e-12)


def test_architectures_and_attributes():
    b, m = models.create("binary_mlp"), models.create("mnist_mlp")
    assert b.sizes == (100, 10, 10, 1) and (b.input_dim, b.num_classes) == (100, 2)
    assert m.sizes == (784, 100, 100, 100, 100, 10) and (m.input_dim, m.num_classes) == (784, 10)
    assert b.needs_data and m.needs_data
    p = m.init_params(np.random.default_rng(0), "float64")
    assert p["W1"].shape == (784, 100) and not p["b5"].any()
    assert p["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)  # He


def test_errors_name_the_bad_value():
    with pytest.raises(models.ModelError, match="'mlp'.*binary_mlp.*mnist_mlp"):
        models.create("mlp")
    with pytest.raises(models.ModelError, match="tanh"):
        models.create("mnist_mlp", activation="tanh")
    with pytest.raises(models.ModelError, match="width"):
        models.create("binary_mlp", width=5)
    net = models.create("mnist_mlp")
    params = net.init_params(np.random.default_rng(0), "float32")
    with pytest.raises(models.ModelError, match="float64.*float32"):
        net.loss_and_grads(params, np.zeros((2, 784)), np.zeros(2, np.int64))
    with pytest.raises(models.ModelError, match=r"\(batch, 784\)"):
        net.loss_and_grads(params, np.zeros((2, 100), np.float32), np.zeros(2, np.int64))
    assert issubclass(models.ModelError, ValueError)
    assert models.available() == sorted(models.available())
