"""The finer lr grid around each best (sweeps/stages/refine.py): which points it adds, and that a
second pass adds none."""

import math

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState, create_trial

from sweeps import records
from sweeps.stages.refine import LR, fine_points, to_add

COARSE = [1e-4, 10 ** -3.5, 1e-3, 10 ** -2.5, 1e-2, 10 ** -1.5, 1e-1]   # half a decade apart
DIST = {LR: FloatDistribution(1e-4, 1e-1, log=True), "optimizer.gamma": CategoricalDistribution([0.9, 0.99]),
        "optimizer.eps": CategoricalDistribution([1e-8, 1e-4])}


def trial(lr, gamma, value, eps=1e-8, outcome="trained", state=TrialState.COMPLETE):
    return create_trial(params={LR: lr, "optimizer.gamma": gamma, "optimizer.eps": eps}, distributions=DIST,
                        value=value if state == TrialState.COMPLETE else None, state=state,
                        user_attrs={records.OUTCOME: outcome} if state == TrialState.COMPLETE else {})


def loss(lr, best):  # a valley in log lr with its minimum at ``best``
    return (math.log10(lr) - math.log10(best)) ** 2


def test_fine_points_are_aligned_to_whole_decades_and_strictly_inside():
    assert fine_points(1e-3, 1e-2, 8) == pytest.approx([10 ** (-3 + j / 8) for j in range(1, 8)])
    assert fine_points(10 ** -2.5, 10 ** -1.5, 8) == pytest.approx([10 ** (j / 8) for j in range(-19, -12)])
    pts = np.log10(fine_points(10 ** -2.5, 10 ** -1.5, 8))
    assert np.all(np.diff(pts) == pytest.approx(1 / 8))


def test_each_gamma_gets_points_within_one_coarse_step_of_its_own_best():
    trials = ([trial(lr, 0.9, loss(lr, 3e-3)) for lr in COARSE]
              + [trial(lr, 0.99, loss(lr, 0.09)) for lr in COARSE]
              + [trial(lr, 0.99, 0.0, eps=1e-4, outcome="diverged") for lr in COARSE])  # diverged: never an anchor
    added = to_add(trials, ["optimizer.gamma"], COARSE, 8, "minimize")
    by = {g: sorted(p[LR] for p in added if p["optimizer.gamma"] == g) for g in (0.9, 0.99)}
    # γ = 0.9: best coarse lr 10^-2.5, window (10^-3, 10^-2): 7 aligned points; 0.99: best 0.1 at the
    # grid's edge, window (10^-1.5, 10^-1) one-sided: 3 points (10^-1.375 ... 10^-1.125)
    assert by[0.9] == pytest.approx([10 ** (-3 + j / 8) for j in range(1, 8) if j != 4])  # 10^-2.5 is coarse
    assert by[0.99] == pytest.approx([10 ** (-1.5 + j / 8) for j in range(1, 4)])
    assert {p["optimizer.eps"] for p in added} == {1e-8}   # the anchor's other values held


def test_a_coarse_value_rounded_by_the_grid_is_not_added_again():
    # the sweeper's coarse grid rounds to 12 decimals (sweeps/hydra/search_space.py): 10^-4.75 is
    # stored as 1.7782794e-05, 7e-9 away from 10^-4.75 in relative terms
    coarse = [float(np.float64(v).round(12)) for v in np.geomspace(1e-5, 1e-4, 5)]
    dist = {LR: FloatDistribution(1e-5, 1e-4, log=True), "optimizer.gamma": CategoricalDistribution([0.9, 0.99]),
            "optimizer.eps": CategoricalDistribution([1e-8, 1e-4])}
    trials = [create_trial(params={LR: lr, "optimizer.gamma": 0.9, "optimizer.eps": 1e-8}, distributions=dist,
                           value=loss(lr, coarse[2]), user_attrs={records.OUTCOME: "trained"}) for lr in coarse]
    added = sorted(p[LR] for p in to_add(trials, ["optimizer.gamma"], coarse, 16, "minimize"))
    # a quarter decade either side of 10^-4.5 at 16 a decade: 7 aligned points, the coarse 10^-4.5 not among them
    assert added == pytest.approx([10 ** (-4.75 + j / 16) for j in range(1, 8) if j != 4], rel=1e-9)


def test_maximize_picks_the_largest_value():
    trials = [trial(lr, 0.9, -loss(lr, 3e-4)) for lr in COARSE]
    added = to_add(trials, ["optimizer.gamma"], COARSE, 8, "maximize")
    assert min(p[LR] for p in added) > 1e-4 and max(p[LR] for p in added) < 1e-3


def test_no_trained_coarse_run_means_nothing_to_refine():
    trials = [trial(lr, 0.9, 1.0, outcome="diverged") for lr in COARSE]
    assert to_add(trials, ["optimizer.gamma"], COARSE, 8, "minimize") == []


def test_a_second_pass_adds_nothing_once_the_points_are_queued_or_done():
    study = optuna.create_study()
    for lr in COARSE:
        study.add_trial(trial(lr, 0.9, loss(lr, 3e-3)))
    first = to_add(study.get_trials(), ["optimizer.gamma"], COARSE, 8, "minimize")
    assert len(first) == 6
    for params in first[:3]:          # three finished, one of them now the best of all
        study.add_trial(trial(params[LR], 0.9, -1.0))
    for params in first[3:]:          # three still queued
        study.enqueue_trial(params)
    assert to_add(study.get_trials(), ["optimizer.gamma"], COARSE, 8, "minimize") == []


def test_with_tuning_seeds_the_anchor_is_the_best_mean_and_every_seed_runs_each_point():
    dist = DIST | {"train.seed": CategoricalDistribution([0, 1000, 2000])}

    def seeded(lr, seed, value, outcome="trained"):
        return create_trial(params={LR: lr, "optimizer.gamma": 0.9, "optimizer.eps": 1e-8, "train.seed": seed},
                            distributions=dist, value=value, user_attrs={records.OUTCOME: outcome})

    trials = []
    for lr in COARSE:
        trials += [seeded(lr, s, loss(lr, 1e-3) + 0.01 * i) for i, s in enumerate((0, 1000, 2000))]
    # 10^-1.5 is best on one seed alone, far worse on the others: the mean keeps 1e-3
    trials[3 * 5] = seeded(COARSE[5], 0, -0.5)
    # 10^-3.5 trained on two seeds only: ranked behind settings that trained on all
    trials[3 * 1 + 2] = seeded(COARSE[1], 2000, 9.0, outcome="diverged")
    added = to_add(trials, ["optimizer.gamma"], COARSE, 8, "minimize")
    lrs = sorted({p[LR] for p in added})
    assert lrs == pytest.approx([10 ** (-3.5 + j / 8) for j in range(1, 8) if j != 4])
    assert sorted(p["train.seed"] for p in added) == sorted([0, 1000, 2000] * 6)
    study = optuna.create_study()
    for t in trials:
        study.add_trial(t)
    for p in added[:5]:
        study.enqueue_trial(p)
    assert len(to_add(study.get_trials(), ["optimizer.gamma"], COARSE, 8, "minimize")) == 18 - 5
