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
