"""Sensitivity curves, the lr × γ map, divergence rate and steps to target on known objectives."""

import math

import numpy as np
import optuna
import pandas as pd
import pytest

from support.synthetic import (
    GAMMAS, LRS, PENALTY, gamma_strong, grid, lr_only, make_seeds, make_study, outcome,
)
from sweeps.analysis import curve, divergence_rate, gamma_variants, load_family, lr_gamma, steps_to_target
from sweeps.analysis.speed import first_step, target

CELL = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"}


def _variant(objective, points, seeds_of=None, **kw):
    storage = optuna.storages.InMemoryStorage()
    study = make_study(storage, "fam", CELL, points, objective, **kw)
    if seeds_of:
        make_seeds(storage, study, [t.number for t in study.trials if seeds_of(t.params)], objective)
    [v] = gamma_variants(load_family(storage, "fam"))
    return v


def moving_lr(p):
    """The best lr moves with γ (lr* = 10^(4γ − 4)) and every γ reaches 0.1 at its own lr."""
    lr, g = p["optimizer.lr"], p["optimizer.gamma"]
    return outcome(0.1 + (math.log10(lr) - (4 * g - 4)) ** 2)


def test_gamma_free_objective_gives_a_flat_retuned_curve():
    c = curve(_variant(lr_only, grid(lr=LRS, gamma=GAMMAS)))
    assert list(c["gamma"]) == list(GAMMAS) and (c["n"] == 5).all()
    assert np.allclose(c["best"], 0.1) and np.allclose(c["best_lr"], 1e-2)
    assert np.allclose(c["fixed_best"], 0.1) and (c["fixed_n"] == 1).all()


def test_gamma_that_moves_the_best_lr_is_flat_retuned_but_steep_at_fixed_lr():
    c = curve(_variant(moving_lr, grid(lr=LRS, gamma=(0.0, 0.25, 0.5, 0.75))))
    assert np.allclose(c["best"], 0.1)
    assert np.allclose(c["best_lr"], [1e-4, 1e-3, 1e-2, 1e-1])
    # fixed at lr = 1e-4 (the best trial's, the first of the ties): 0.1 + (4γ)^2 in decades
    assert np.allclose(c["fixed_best"], [0.1, 1.1, 4.1, 9.1])


def test_strong_gamma_objective_has_its_best_at_0_9_and_marks_all_diverged_points():
    c = curve(_variant(gamma_strong, grid(lr=LRS, gamma=GAMMAS)))
    best = c.loc[c["best"].idxmin()]
    assert best["gamma"] == 0.9 and best["best"] == pytest.approx(0.1)
    assert list(c["best_diverged"]) == [True, False, False, False, False]  # γ = 0: penalty < 4.15
    assert c["best"].iloc[0] == PENALTY


def test_seed_band_is_the_spread_of_the_rerun_at_each_gamma():
    v = _variant(gamma_strong, grid(lr=LRS, gamma=GAMMAS), seeds_of=lambda p: p["optimizer.lr"] == 1e-2)
    c = curve(v)
    assert (c["seed_n"] == 3).all()
    assert np.allclose(c["seed_mean"].iloc[1:], c["best"].iloc[1:], atol=0.03)  # noise σ = 0.01
    assert (c["seed_min"] <= c["seed_mean"]).all() and (c["seed_mean"] <= c["seed_max"]).all()
    assert c["seed_std"].iloc[2] > 0


def test_continuous_gamma_is_binned_and_lr_fixed_within_a_quarter_decade():
    rng = np.random.default_rng(1)
    points = [{"optimizer.lr": float(10 ** rng.uniform(-4, 0)), "optimizer.gamma": float(rng.uniform(0, 1))}
              for _ in range(120)]
    v = _variant(lr_only, points)
    c = curve(v)
    assert c["n"].sum() == 120 and len(c) <= 8
    assert c["span"].iloc[0] == "[0, 0.5)"
    lr_star = c["fixed_lr"].iloc[0]
    done = v.tuning
    near = done[(np.log10(done["lr"]) - math.log10(lr_star)).abs() <= 0.25]
    assert c["fixed_n"].sum() == len(near)


def test_lr_gamma_map_has_one_cell_per_pair_and_marks_divergence():
    m = lr_gamma(_variant(gamma_strong, grid(lr=LRS, gamma=GAMMAS)))
    assert len(m) == 25 and (m["n"] == 1).all()
    diverged = m[m["all_diverged"]]
    assert set(zip(diverged["lr"], diverged["gamma"])) == {(0.1, 0.0), (1.0, 0.0)}


def test_divergence_rate_counts_complete_runs_per_gamma():
    d = divergence_rate(_variant(gamma_strong, grid(lr=LRS, gamma=GAMMAS)))
    assert list(d["n_diverged"]) == [2, 0, 0, 0, 0]
    assert list(d["rate"]) == [0.4, 0, 0, 0, 0] and (d["n"] == 5).all()


def test_first_step_is_direction_aware():
    c = {0: 2.0, 50: 1.0, 100: 0.5, 150: 0.4}
    assert first_step(c, 0.9, "minimize") == 100
    assert math.isnan(first_step(c, 0.1, "minimize"))  # never reached
    assert first_step({0: 0.1, 50: 0.6, 100: 0.9}, 0.8, "maximize") == 100


def test_steps_to_target_uses_the_quantile_target_and_skips_diverged_runs():
    v = _variant(gamma_strong, grid(lr=LRS, gamma=GAMMAS))
    ok = v.tuning[~v.tuning["diverged"]]["value"]
    assert target(v) == pytest.approx(ok.quantile(0.25))
    s = steps_to_target(v)
    # by hand: curve = final + (2.3 − final)·exp(−(0.005 + 0.05γ)·step); first step ≤ target
    for row in s.itertuples():
        runs = v.tuning[(v.tuning["gamma"] == row.gamma) & ~v.tuning["diverged"]]
        def loss(r, step):
            return r.value + (2.3 - r.value) * math.exp(-(0.005 + 0.05 * r.gamma) * step)

        firsts = [next((st for st in range(0, 301, 50) if loss(r, st) <= row.target), None)
                  for r in runs.itertuples()]
        reached = [f for f in firsts if f is not None]
        assert row.n_reached == len(reached)
        assert (row.steps == min(reached)) if reached else math.isnan(row.steps)
    assert s.set_index("gamma").loc[0.9, "steps"] == 100


def test_empty_variant_tables_have_their_columns():
    v = _variant(gamma_strong, grid(lr=LRS, gamma=GAMMAS))
    v.tuning = v.tuning.iloc[:0]
    for table in (curve(v), lr_gamma(v), divergence_rate(v), steps_to_target(v)):
        assert isinstance(table, pd.DataFrame) and table.empty and len(table.columns) > 3
