"""models.train: determinism, evaluation schedule, divergence penalty, dtypes, callbacks."""

import math
import warnings

import numpy as np
import pytest

import models
import optimizers
from models.batches import EpochBatches
from models.data import Dataset
from models.train import train


def separable(n_train=4096, n_val=512, n_test=512, seed=0, dtype="float64"):
    """Linearly separable 100-feature data: label = [x · w > 0]."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=100)
    x = rng.normal(size=(n_train + n_val + n_test, 100)).astype(dtype)
    y = (x @ w > 0).astype(np.int64)
    tr, va = slice(0, n_train), slice(n_train, n_train + n_val)
    te = slice(n_train + n_val, None)
    return Dataset("separable", x[tr], y[tr], x[te], y[te], num_classes=2,
                   fingerprint="separable:test", x_val=x[va], y_val=y[va])


def run_binary(**kw):
    opts = dict(steps=60, batch_size=32, eval_every=20, seed=3)
    opts.update(kw)
    return train(models.create("binary_mlp"), optimizers.create("rmsprop", lr=0.01),
                 separable(), **opts)


def test_same_seed_same_history_other_seed_differs():
    a, b, c = run_binary(), run_binary(), run_binary(seed=4)
    assert a.history == b.history
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])
    assert a.history["train_loss"] != c.history["train_loss"]


def test_binary_mlp_learns_separable_data():
    r = run_binary(steps=300, eval_every=100, eval_subset="all")  # history on the whole split too
    h = r.history
    assert h["step"] == [0, 100, 200, 300] and not r.diverged and r.steps_done == 300
    assert h["val_loss"][-1] < 0.5 * h["val_loss"][0]
    assert h["train_loss"][-1] < 0.5 * h["train_loss"][0]
    assert r.final["val_accuracy"] > 0.9
    assert r.final == {k: v[-1] for k, v in h.items() if k != "step"}
    assert r.seconds > 0 and r.trajectory is None
    assert r.outcome == "trained" and "test_loss" not in r.final  # tuning never sees the test split


def test_the_test_split_is_scored_once_at_the_end_only_when_asked():
    seen = []
    r = run_binary(steps=300, eval_every=100, score_test=True, eval_subset="all",
                   on_eval=lambda step, m: seen.append(set(m)))
    assert all("test_loss" not in m for m in seen) and "test_loss" not in r.history
    data = separable(dtype="float32")
    loss, acc = models.create("binary_mlp").evaluate(r.params, data.x_test, data.y_test)
    assert r.final["test_loss"] == pytest.approx(loss) and r.final["test_accuracy"] == acc
    assert r.final["val_loss"] == r.history["val_loss"][-1] and r.final["test_loss"] != r.final["val_loss"]


def test_float32_end_to_end():
    seen = []
    r = run_binary(dtype="float32", on_eval=lambda step, m: seen.append((step, m)))
    assert all(p.dtype == np.float32 for p in r.params.values())
    assert [s for s, _ in seen] == r.history["step"] == [0, 20, 40, 60]
    assert all(isinstance(v, float) for _, m in seen for v in m.values())
    assert set(seen[0][1]) == {"train_loss", "val_loss", "val_accuracy"}


def test_on_eval_exceptions_propagate():
    class Stop(Exception):
        pass

    calls = []

    def on_eval(step, metrics):
        calls.append(step)
        if step == 40:
            raise Stop

    with pytest.raises(Stop):
        run_binary(on_eval=on_eval)
    assert calls == [0, 20, 40]


def _no_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    assert not caught, [str(w.message) for w in caught]
    return result


@pytest.mark.parametrize("lr", [1.5, 1e30])  # loss grows past 100× / overflows to inf and NaN
def test_divergence_on_quadratic_gives_finite_penalty(lr):
    problem = models.create("quadratic")
    r = _no_warnings(lambda: train(problem, optimizers.create("sgd", lr=lr), steps=200,
                                   eval_every=10, dtype="float32"))
    assert r.diverged and r.diverged_step == r.steps_done < 200
    start = problem.loss({"theta": problem.start})
    assert r.final == {"train_loss": pytest.approx(start), "val_loss": pytest.approx(start)}
    assert r.outcome == "diverged"
    assert all(math.isfinite(v) for vals in r.history.values() for v in vals)
    assert np.isfinite(r.trajectory).all() and len(r.trajectory) <= r.steps_done + 1
    np.testing.assert_allclose(r.trajectory[0], problem.start, rtol=1e-6)


def test_divergence_on_network_gives_untrained_metrics():
    r = _no_warnings(lambda: train(models.create("binary_mlp"), optimizers.create("sgd", lr=1e4),
                                   separable(), steps=100, batch_size=32, eval_every=10, eval_subset="all"))
    assert r.diverged and r.diverged_step is not None
    first = {k: v[0] for k, v in r.history.items() if k != "step"}
    assert r.final == first and all(map(math.isfinite, r.final.values()))
    assert r.outcome == "diverged" and r.initial == first


def test_divergence_on_the_subset_curve_gives_the_full_splits_untrained_metrics():
    net, data = models.create("binary_mlp"), separable()
    r = _no_warnings(lambda: train(net, optimizers.create("sgd", lr=1e4), data, steps=100,
                                   batch_size=32, eval_every=10, eval_subset=64))
    assert r.diverged and r.outcome == "diverged" and r.final == r.initial
    theta0 = net.init_params(np.random.default_rng(0), "float32")
    full = net.evaluate(theta0, data.astype("float32").x_val, data.y_val)
    sub = net.evaluate(theta0, data.astype("float32").x_val[:64], data.y_val[:64])
    assert (r.initial["val_loss"], r.initial["val_accuracy"]) == pytest.approx(full, rel=1e-6)
    assert (r.history["val_loss"][0], r.history["val_accuracy"][0]) == pytest.approx(sub, rel=1e-6)


def test_subset_curve_and_full_final():
    """During training the first ``eval_subset`` validation examples; at the end all of them."""
    net, data = models.create("binary_mlp"), separable()
    kw = dict(steps=30, batch_size=32, eval_every=10, dtype="float64")
    sub = train(net, optimizers.create("sgd", lr=0.1), data, eval_subset=100, **kw)
    full = train(net, optimizers.create("sgd", lr=0.1), data, eval_subset="all", **kw)
    assert sub.history["step"] == full.history["step"] == [0, 10, 20, 30]
    assert sub.final["val_loss"] == pytest.approx(full.final["val_loss"], rel=1e-12)
    assert sub.initial == pytest.approx(full.initial, rel=1e-12)
    assert sub.final["train_loss"] == full.final["train_loss"]
    x, y = data.x_val[:100], data.y_val[:100]
    assert sub.history["val_loss"][-1] == pytest.approx(net.evaluate(sub.params, x, y)[0], rel=1e-12)
    assert sub.history["val_loss"][-1] != pytest.approx(full.history["val_loss"][-1], rel=1e-6)
    covering = train(net, optimizers.create("sgd", lr=0.1), data, eval_subset=10_000, **kw)
    assert covering.history == full.history and covering.final == full.final


def test_auto_subset_keeps_evaluation_within_a_tenth_of_training():
    from models.eval_split import EVAL_SHARE, FORWARD_COST, MIN_SUBSET, subset_size

    assert subset_size("auto", 1000, 500, 50, 128) == 1000      # the presets' data: the whole split
    assert subset_size("all", 10_000, 500, 50, 128) == subset_size(None, 10_000, 500, 50, 128) == 10_000
    n = subset_size("auto", 10_000, 2000, 50, 128)               # Fashion-MNIST, 2000 steps
    assert MIN_SUBSET <= n < 10_000
    assert (10_000 + 41 * n) * FORWARD_COST <= EVAL_SHARE * 2000 * 128
    assert subset_size("auto", 10_000, 50, 50, 128) == MIN_SUBSET   # a floor for short runs
    assert subset_size(300, 200, 500, 50, 128) == 200
    for bad in (0, -1, "some", True, 1.5):
        with pytest.raises(ValueError, match="eval_subset"):
            subset_size(bad, 1000, 500, 50, 128)


def test_problem_trajectory_and_eval_schedule():
    problem = models.create("rotated_quadratic")
    r = train(problem, optimizers.create("sgd", lr=0.05), steps=250, eval_every=100,
              dtype="float64")
    assert r.history["step"] == [0, 100, 200, 250] and "val_accuracy" not in r.history
    assert r.history["train_loss"] == r.history["val_loss"]
    assert r.trajectory.shape == (251, 2)
    np.testing.assert_array_equal(r.trajectory[0], problem.start)
    np.testing.assert_array_equal(r.trajectory[-1], r.params["theta"])
    assert r.final["val_loss"] == pytest.approx(problem.loss(r.params))
    # SGD on a quadratic: θ_{k+1} = (I − lr H) θ_k exactly
    H = np.array([[4.2, -3.8], [-3.8, 4.2]])
    np.testing.assert_allclose(r.trajectory[1], (np.eye(2) - 0.05 * H) @ problem.start)


def test_zero_steps_and_argument_errors():
    r = train(models.create("quadratic"), optimizers.create("sgd"), steps=0)
    assert r.history["step"] == [0] and r.steps_done == 0 and r.trajectory.shape == (1, 2)
    with pytest.raises(ValueError, match="steps"):
        train(models.create("quadratic"), optimizers.create("sgd"), steps=-1)
    with pytest.raises(ValueError, match="eval_every"):
        train(models.create("quadratic"), optimizers.create("sgd"), steps=5, eval_every=0)
    with pytest.raises(models.ModelError, match="needs data"):
        train(models.create("binary_mlp"), optimizers.create("sgd"), steps=5)
    with pytest.raises(models.ModelError, match="takes no data"):
        train(models.create("quadratic"), optimizers.create("sgd"), separable(), steps=5)
    with pytest.raises(models.ModelError, match="784 features"):
        train(models.create("mnist_mlp"), optimizers.create("sgd"), separable(), steps=5)
    with pytest.raises(ValueError, match="batch_size"):
        run_binary(batch_size=10_000)


def test_epoch_batches_sample_without_replacement():
    x = np.arange(10.0)[:, None] * np.ones((1, 3))
    batches = EpochBatches(x, np.arange(10), 3, np.random.default_rng(0))
    for _ in range(4):  # epochs of 3 full batches; one example dropped per epoch
        seen = np.concatenate([batches.next()[1].copy() for _ in range(3)])
        assert len(set(seen)) == 9
    xb, yb = batches.next()
    np.testing.assert_array_equal(xb[:, 0], yb)
