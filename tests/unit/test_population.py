"""models.population: K stacked members equal K separate models.train runs, member by member."""

import numpy as np
import pytest

import models
import optimizers
from models.data import load
from models.population import population_supported, train_population
from models.train import train
from support.population import HPS, K, assert_same, compare, member_optimizer

RISING = dict(lr=np.array([1e-3, 1e-2, 50.0]), gamma=np.array([0.5, 0.9, 0.9]),
              gamma_schedule="rising", gamma_tau=np.array([5.0, 10.0, 20.0]),
              initial_square_avg=np.array([0.0, 1.0, 0.0]), eps_in_sqrt=True)


@pytest.fixture(scope="module")
def teacher():
    return load("binary_teacher", dtype="float64", n_train=256, n_test=150)


@pytest.fixture(scope="module")
def digits():
    return load("mnist_5k", dtype="float64", n_train=256, n_test=100)


def small_chunks(net):
    net.eval_chunk = 64  # several evaluation chunks and a remainder, in both code paths
    return net


@pytest.mark.parametrize("opt_name", sorted(HPS))
def test_binary_mlp_members_equal_separate_runs(teacher, opt_name):
    pop = compare(small_chunks(models.create("binary_mlp")), opt_name, teacher)
    assert [r.diverged for r in pop] == [False, False, True]


def test_binary_mlp_rmsprop_variants_equal_separate_runs(teacher):
    pop = compare(models.create("binary_mlp"), "rmsprop", teacher, hps=RISING)
    assert [r.diverged for r in pop] == [False, False, True]


def test_sigmoid_binary_mlp_members_equal_separate_runs(teacher):
    compare(models.create("binary_mlp", activation="sigmoid"), "rmsprop", teacher)


@pytest.mark.parametrize("opt_name", ["rmsprop", "adam", "momentum"])
def test_mnist_mlp_members_equal_separate_runs(digits, opt_name):
    pop = compare(small_chunks(models.create("mnist_mlp")), opt_name, digits, steps=12,
                  eval_every=5)
    assert not pop[0].diverged and pop[2].diverged


@pytest.mark.parametrize("problem", ["quadratic", "rotated_quadratic", "linear_regression"])
@pytest.mark.parametrize("opt_name, hps", [
    ("rmsprop", dict(lr=np.array([0.01, 0.1, 0.3]), gamma=np.array([0.5, 0.9, 0.99]))),
    ("nesterov", dict(lr=np.array([0.01, 0.02, 0.05]), momentum=np.array([0.5, 0.9, 0.95]))),
])
def test_problem_members_equal_separate_runs(problem, opt_name, hps):
    compare(models.create(problem), opt_name, hps=hps, steps=60, eval_every=7)


@pytest.mark.parametrize("eval_every, how", [(2, "evaluation"), (3, "minibatch")])
def test_a_diverging_member_stops_alone(eval_every, how):
    # SGD lr=1.5 on the quadratic: y doubles in size each step, f(θ_4) first exceeds 100 f(θ_0);
    # an evaluation at step 4 catches it there, otherwise the loss check before step 5 does
    hps = dict(lr=np.array([0.1, 1.5, 0.5]))
    pop = compare(models.create("quadratic"), "sgd", hps=hps, steps=12, eval_every=eval_every)
    bad = pop[1]
    assert bad.diverged and bad.diverged_step == bad.steps_done == 4
    assert bad.history["step"][-1] == (3 if how == "minibatch" else 2)
    assert bad.final == {"train_loss": 6.45, "val_loss": 6.45}  # the penalty: step-0 metrics
    np.testing.assert_allclose(bad.params["theta"], bad.trajectory[-1])  # frozen where it stopped
    assert not pop[0].diverged and not pop[2].diverged and pop[0].steps_done == 12


def test_on_eval_stops_members(teacher):
    net, hps = models.create("binary_mlp"), HPS["rmsprop"]
    seen = []

    def on_eval(step, metrics):
        seen.append((step, [m is not None for m in metrics]))
        return np.array([0]) if step == 10 else None

    # the whole split every time: a stopped member's final is its last (subset) evaluation, while
    # the 10-step run it is compared with ends on the full split
    kw = dict(steps=25, batch_size=32, eval_every=10, seed=1, dtype="float64", eval_subset="all")
    pop = train_population(net, optimizers.create("rmsprop", **hps), teacher, k=K,
                           on_eval=on_eval, **kw)
    # member 2 diverges on its first minibatch check, so it is None from step 10 on
    assert seen == [(0, [True] * 3), (10, [True, True, False]), (20, [False, True, False]),
                    (25, [False, True, False])]
    stopped = pop[0]
    assert not stopped.diverged and stopped.steps_done == 10 and stopped.history["step"] == [0, 10]
    assert stopped.final == {k: v[-1] for k, v in stopped.history.items() if k != "step"}
    assert_same(stopped, train(net, member_optimizer("rmsprop", hps, 0), teacher,
                               **{**kw, "steps": 10}))
    assert_same(pop[1], train(net, member_optimizer("rmsprop", hps, 1), teacher, **kw))


@pytest.mark.parametrize("subset", [64, "all"])
def test_validation_subset_is_the_same_in_both_paths(teacher, subset):
    """The curve on a prefix of the validation split, final and initial (the penalty of the
    diverging member) on all of it, member by member as in separate runs."""
    pop = compare(models.create("binary_mlp"), "rmsprop", teacher, eval_subset=subset)
    ref = train(models.create("binary_mlp"), member_optimizer("rmsprop", HPS["rmsprop"], 0), teacher,
                steps=25, batch_size=32, eval_every=10, seed=3, dtype="float64", eval_subset="all")
    assert pop[2].diverged and pop[2].final["val_loss"] == pytest.approx(ref.initial["val_loss"], rel=1e-12)
    np.testing.assert_allclose(pop[0].final["val_loss"], ref.final["val_loss"], rtol=1e-9)   # full split
    same = np.isclose(pop[0].history["val_loss"], ref.history["val_loss"], rtol=1e-9)
    assert same.all() == (subset == "all")   # the curve is the subset's


def test_on_eval_errors_propagate_and_bad_indices_are_rejected():
    opt = dict(lr=np.array([0.1, 0.2]))

    def boom(step, metrics):
        raise KeyError("pruned")

    with pytest.raises(KeyError, match="pruned"):
        train_population(models.create("quadratic"), optimizers.create("sgd", **opt), k=2,
                         steps=5, on_eval=boom)
    with pytest.raises(ValueError, match=r"member indices in 0\.\.1, got 2"):
        train_population(models.create("quadratic"), optimizers.create("sgd", **opt), k=2,
                         steps=5, on_eval=lambda step, m: [2])


def test_float32_end_to_end(teacher):
    data = teacher.astype("float32")
    net, hps = models.create("binary_mlp"), HPS["adam"]
    seen = []
    pop = train_population(net, optimizers.create("adam", **hps), data, k=K, steps=20,
                           eval_every=10, on_eval=lambda s, m: seen.append(m))
    ref = train(net, member_optimizer("adam", hps, 0), data, steps=20, eval_every=10)
    assert all(p.dtype == np.float32 for r in pop for p in r.params.values())
    assert all(type(v) is float for ms in seen for m in ms if m for v in m.values())
    np.testing.assert_allclose(pop[0].history["val_loss"], ref.history["val_loss"], rtol=1e-4)
    for key, p in ref.params.items():
        np.testing.assert_allclose(pop[0].params[key], p, rtol=1e-3, atol=1e-5)


def test_shared_hyperparameters_give_identical_members():
    pop = train_population(models.create("rotated_quadratic"), optimizers.create("adam", lr=0.1),
                           k=2, steps=30, eval_every=10, dtype="float64")
    assert pop[0].history == pop[1].history
    np.testing.assert_array_equal(pop[0].trajectory, pop[1].trajectory)


def test_supported_models_and_argument_errors():
    assert all(population_supported(models.create(n)) for n in models.available())
    assert not population_supported(object())
    with pytest.raises(models.ModelError, match="no population version"):
        train_population(object(), optimizers.create("sgd"), k=1, steps=1)
    with pytest.raises(ValueError, match="lr holds 3 per-trial values, but k=2"):
        train_population(models.create("quadratic"),
                         optimizers.create("sgd", lr=np.array([0.1, 0.2, 0.3])), k=2, steps=1)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        train_population(models.create("quadratic"), optimizers.create("sgd"), k=0, steps=1)


def test_other_problems_fall_back_to_one_call_per_member():
    class Steeper(models.problems.Quadratic):  # no vectorised formula for a subclass
        def value_and_grad(self, theta):
            loss, grad = super().value_and_grad(theta)
            return 3 * loss, 3 * grad

    compare(Steeper(), "adam", hps=dict(lr=np.array([0.01, 0.1, 0.5])), steps=40, eval_every=9)
