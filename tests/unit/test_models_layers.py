"""models.layers: stable losses at extreme logits, activations, initialisers — against references."""

import numpy as np
import pytest

from models import layers


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_cross_entropy_is_finite_and_exact_at_extreme_logits(dtype):
    logits = np.array([[1e4, -1e4, 0.0], [1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], dtype)
    y = np.array([0, 1, 2])
    loss, grad = layers.softmax_cross_entropy(logits, y)
    # per-row losses 0, 2e4, log 3 (exact in closed form)
    assert loss == pytest.approx((0 + 2e4 + np.log(3)) / 3, rel=1e-6)
    assert grad.dtype == dtype and np.all(np.isfinite(grad))
    expected = np.array([[0, 0, 0], [1, -1, 0], [1 / 3, 1 / 3, -2 / 3]]) / 3
    np.testing.assert_allclose(grad, expected, atol=1e-7)


def test_softmax_cross_entropy_matches_naive_formula_at_moderate_logits():
    rng = np.random.default_rng(0)
    logits, y = rng.normal(size=(7, 5)) * 3, rng.integers(0, 5, 7)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    loss, grad = layers.softmax_cross_entropy(logits.copy(), y)
    assert loss == pytest.approx(-np.mean(np.log(p[np.arange(7), y])), rel=1e-12)
    np.testing.assert_allclose(grad, (p - np.eye(5)[y]) / 7, atol=1e-15)
    total, hits = layers.softmax_cross_entropy_sum(logits, y)
    assert total == pytest.approx(7 * loss, rel=1e-12)
    assert hits == np.sum(logits.argmax(1) == y)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_cross_entropy_is_finite_and_exact_at_extreme_logits(dtype):
    z = np.array([[1e4], [1e4], [-1e4], [-1e4], [0.0]], dtype)
    y = np.array([1, 0, 1, 0, 1])
    loss, grad = layers.binary_cross_entropy(z, y)
    assert loss == pytest.approx((0 + 1e4 + 1e4 + 0 + np.log(2)) / 5, rel=1e-6)
    assert grad.shape == z.shape and grad.dtype == dtype
    np.testing.assert_allclose(grad[:, 0], np.array([0, 1, -1, 0, -0.5]) / 5, atol=1e-7)
    total, hits = layers.binary_cross_entropy_sum(z, y)
    assert hits == 2  # z > 0 predicts 1: rows 0 and 3 correct; 0 -> predicts 0, wrong for y=1


def test_binary_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z, y = rng.normal(size=(9, 1)) * 4, rng.integers(0, 2, 9)
    zt = torch.tensor(z, requires_grad=True)
    ref = torch.nn.functional.binary_cross_entropy_with_logits(zt[:, 0], torch.tensor(y * 1.0))
    ref.backward()
    loss, grad = layers.binary_cross_entropy(z.copy(), y)
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(grad, zt.grad.numpy(), atol=1e-15)


def test_sigmoid_is_stable_and_correct():
    z = np.array([-1e4, -30.0, -1.0, 0.0, 2.0, 1e4], dtype=np.float32)
    s = layers.sigmoid(z)
    assert s.dtype == np.float32 and np.all(np.isfinite(s))
    np.testing.assert_allclose(s[1:-1], 1 / (1 + np.exp(-z[1:-1].astype(float))), rtol=1e-6, atol=1e-12)
    assert s[0] == 0 and s[-1] == 1


def test_activation_backwards_match_finite_differences():
    rng = np.random.default_rng(2)
    z, da = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    for forward, backward in [(layers.relu_forward, layers.relu_backward),
                              (layers.sigmoid_forward, layers.sigmoid_backward)]:
        h = 1e-6
        fd = (forward(z + h) - forward(z - h)) / (2 * h) * da
        a = forward(z)
        np.testing.assert_allclose(backward(da.copy(), a), fd, atol=1e-8)
        buf = da.copy()  # in place, as the network calls it
        np.testing.assert_allclose(backward(buf, a, out=buf), fd, atol=1e-8)


def test_affine_backward_matches_finite_differences_and_skips_dx():
    rng = np.random.default_rng(3)
    x, W, b, dz = rng.normal(size=(5, 4)), rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(5, 3))
    dW, db, dx = layers.affine_backward(dz, x, W, dx=True)
    f = lambda x_, W_, b_: np.sum(layers.affine_forward(x_, W_, b_) * dz)  # noqa: E731
    h, E = 1e-6, lambda shape, i: np.eye(np.prod(shape))[i].reshape(shape) * h  # noqa: E731
    for grad, which in [(dW, 1), (db, 2), (dx, 0)]:
        args = [x, W, b]
        fd = np.zeros_like(grad)
        for i in range(grad.size):
            plus, minus = list(args), list(args)
            plus[which] = args[which] + E(grad.shape, i)
            minus[which] = args[which] - E(grad.shape, i)
            fd.flat[i] = (f(*plus) - f(*minus)) / (2 * h)
        np.testing.assert_allclose(grad, fd, rtol=1e-7, atol=1e-9)
    assert layers.affine_backward(dz, x, W)[2] is None


def test_he_init_std_and_xavier_bounds():
    rng = np.random.default_rng(4)
    W = layers.he_init(rng, 784, 100, "float32")
    assert W.shape == (784, 100) and W.dtype == np.float32
    assert W.std() == pytest.approx(np.sqrt(2 / 784), rel=0.02)
    assert abs(W.mean()) < 0.01 * np.sqrt(2 / 784) * 10
    V = layers.xavier_init(rng, 100, 10, "float64")
    limit = np.sqrt(6 / 110)
    assert np.all(np.abs(V) <= limit) and V.std() == pytest.approx(limit / np.sqrt(3), rel=0.1)


def test_init_is_the_same_draw_in_both_dtypes():
    a = layers.he_init(np.random.default_rng(5), 10, 10, "float32")
    b = layers.he_init(np.random.default_rng(5), 10, 10, "float64")
    np.testing.assert_array_equal(a, b.astype(np.float32))
