"""A run's outcome (trained, diverged, collapsed) and the objective's penalty, on real runs."""

import math

import numpy as np
import pytest

import models
import optimizers
from models.data import load
from models.outcome import COLLAPSED, DIVERGED, TRAINED, classify, constant_predictor, objective, penalty
from models.train import train


def test_the_constant_predictor_of_balanced_classes_is_ln_of_their_number():
    y = np.repeat(np.arange(10), 50)
    assert constant_predictor(y, y, 10) == {"val_loss": pytest.approx(math.log(10)), "val_accuracy": 0.1}
    # imbalanced: the prior's cross-entropy, and the majority class's accuracy
    train_y, val_y = np.array([0, 0, 0, 1]), np.array([0, 1])
    out = constant_predictor(train_y, val_y, 2, split="test")
    assert out == {"test_loss": pytest.approx(-(math.log(0.75) + math.log(0.25)) / 2), "test_accuracy": 0.5}


def test_a_network_that_barely_moves_is_collapsed_and_scores_the_penalty():
    data = load("mnist_5k")
    r = train(models.create("mnist_mlp"), optimizers.create("sgd", lr=1e-9), data,
              steps=5, batch_size=64, eval_every=5, seed=0)
    assert not r.diverged and r.outcome == COLLAPSED
    assert r.baseline["val_loss"] == pytest.approx(constant_predictor(data.y_train, data.y_val, 10)["val_loss"])
    assert r.final["val_loss"] >= 0.99 * r.baseline["val_loss"]
    worst = max(r.initial["val_loss"], r.baseline["val_loss"])
    assert objective(r, "val_loss") == worst >= r.final["val_loss"] - 1e-6


def test_a_trained_run_scores_its_own_value_below_every_penalty():
    data = load("mnist_5k")
    r = train(models.create("mnist_mlp"), optimizers.create("rmsprop", lr=1e-3, gamma=0.99), data,
              steps=150, batch_size=128, eval_every=50, seed=0)
    assert r.outcome == TRAINED
    assert objective(r, "val_loss") == r.final["val_loss"] < r.baseline["val_loss"] <= penalty(
        r.initial, r.baseline, "val_loss", "minimize")
    assert objective(r, "val_accuracy", "maximize") == r.final["val_accuracy"] > r.baseline["val_accuracy"]


def test_a_diverged_run_is_diverged_whatever_its_metrics():
    r = train(models.create("quadratic"), optimizers.create("sgd", lr=1.5), steps=100, eval_every=10)
    assert r.outcome == DIVERGED and objective(r, "val_loss") == pytest.approx(r.initial["val_loss"])


@pytest.mark.parametrize("final, expected", [
    ({"val_loss": 2.30}, COLLAPSED),          # ln 10 = 2.3026 within 1%
    ({"val_loss": 2.42}, COLLAPSED),          # worse than the constant predictor
    ({"val_loss": 2.2}, TRAINED),
    ({"val_loss": math.nan}, COLLAPSED),
])
def test_classify_against_the_baseline(final, expected):
    assert classify(False, final, {"val_loss": math.log(10)}) == expected
    assert classify(True, final, {"val_loss": math.log(10)}) == DIVERGED


def test_the_penalty_is_the_worse_of_step_0_and_the_baseline_in_either_direction():
    initial, baseline = {"val_loss": 2.37, "val_accuracy": 0.08}, {"val_loss": 2.30, "val_accuracy": 0.11}
    assert penalty(initial, baseline, "val_loss", "minimize") == 2.37
    assert penalty(initial, baseline, "val_accuracy", "maximize") == 0.08
    with pytest.raises(ValueError, match="'test_loss'"):
        penalty(initial, baseline, "test_loss", "minimize")
