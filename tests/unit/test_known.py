"""The known answers' checks (sweeps/analysis/known.py) against independent computations."""

import math

import numpy as np
import pytest

import models
import optimizers
from models.train import train
from sweeps.analysis.known import edge_sentence, failure_edge, sgd_optimum, spacing


def test_sgds_analytic_optimum_is_what_the_engine_measures_on_the_rotated_quadratic():
    lr, k = sgd_optimum(1e-4)
    assert lr == pytest.approx(2 / 8.4) and lr == pytest.approx(0.238, abs=5e-4)
    for angle in (0.0, 22.5, 45.0):
        r = train(models.create("rotated_quadratic", angle=angle, tolerance=1e-4),
                  optimizers.create("sgd", lr=lr), steps=200, eval_every=200, dtype="float64")
        assert r.final["steps_to_tol"] == k
    assert k == math.ceil(math.log(1e-4) / (2 * math.log(19 / 21)))


def test_the_failure_edge_lies_between_the_last_failing_and_first_converging_gamma():
    gammas = [0.0, 0.1, 0.3, 0.45, 0.5, 0.6019, 0.99]
    ok = [False, False, False, False, True, True, True]
    assert failure_edge(gammas[::-1], ok[::-1]) == (0.45, 0.5)   # order does not matter
    assert edge_sentence(gammas, ok).startswith("The failure band's edge lies in (0.45, 0.5]")
    assert failure_edge(gammas, [True] * 7) == (None, 0.0)
    assert failure_edge(gammas, [False] * 7) is None


def test_spacing_reads_points_a_decade_from_the_values():
    assert spacing(10 ** np.arange(-4, 0.001, 1 / 8)) == "33 lr values in [0.0001, 1], 8 a decade (median spacing)"


def test_the_sections_state_the_edge_the_spacing_and_sgds_check_from_their_tables():
    import pandas as pd

    from sweeps.analysis.sections.answers import _reddi, _rotation

    lrs = 10 ** np.arange(-4, 0.001, 1 / 8)
    reddi = pd.DataFrame([{"model": "reddi", "data": "none", "convention": "pytorch", "gamma": g, "lr": lr,
                           "initial_val_loss": 2.0, "value": 1.9 if g < 0.45 else (0.01 if lr > 0.01 else 1.0)}
                          for g in (0.0, 0.3, 0.4, 0.45, 0.5, 0.99) for lr in lrs])
    text = _reddi(reddi)
    assert "The failure band's edge lies in (0.4, 0.45]" in text
    assert "| 0.4 | 0 of 33 |" in text and "| 0.45 | 16 of 33 |" in text   # the table's rows agree
    assert "33 lr values in [0.0001, 1], 8 a decade" in text
    rows = pd.DataFrame([{"angle": 45.0, "optimizer": opt, "lr": lr, "gamma": math.nan if opt == "sgd" else 0.9,
                          "outcome": "trained", "tolerance": 1e-4,
                          "final_steps_to_tol": 50 + 10 * abs(math.log10(lr / 0.237)) if opt == "sgd" else 20.0}
                         for opt in ("sgd", "rmsprop") for lr in lrs])
    text = _rotation(rows)
    assert "SGD's grid best lr = 0.237, analytic 0.238: steps 50 vs 47" in text
    assert "| 45 | sgd | 33 | 33 | 50 | 0.237 |" in text
