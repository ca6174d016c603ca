"""Tunability, the γ = 1 verdict, the schedule verdict, the optimizer table and the summary."""

import math

import optuna
import pytest

from support.synthetic import (
    GAMMAS, LRS, gamma_one_objective, gamma_strong, grid, lr_only, make_seeds, make_study, outcome,
)
from sweeps.analysis import (
    analyse, gamma_one, gamma_variants, load_family, load_studies, optimizer_table, schedule_verdict,
    summary, tunability,
)

NET = {"model": "mnist_mlp", "data": "mnist_5k"}


def _family(*studies, seeds=None):
    """studies: (optimizer, points, objective[, kwargs]); seeds: {optimizer: predicate on params}."""
    storage = optuna.storages.InMemoryStorage()
    for optimizer, points, objective, *kw in studies:
        kwargs = kw[0] if kw else {}
        s = make_study(storage, "fam", NET | {"optimizer": optimizer}, points, objective, **kwargs)
        if seeds and optimizer in seeds:
            make_seeds(storage, s, [t.number for t in s.trials if seeds[optimizer](t.params)], objective)
    return storage, load_family(storage, "fam")


def _negated(objective):
    """The same problem as an accuracy to maximise."""
    def f(p):
        out = objective(p)
        return out | {"value": -out["value"], "curve": {k: -v for k, v in out["curve"].items()}}
    return f


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
def test_tunability_is_the_gain_of_the_best_gamma_over_each_default(direction):
    objective = gamma_strong if direction == "minimize" else _negated(gamma_strong)
    _, trials = _family(("rmsprop", grid(lr=LRS, gamma=GAMMAS), objective, {"direction": direction}))
    t = tunability(gamma_variants(trials)[0]).set_index("name")
    # best: γ = 0.9 at lr 1e-2 (0.1); at γ = 0.99 the best is 0.1 + 5·0.09² = 0.1405
    assert t.loc["PyTorch", "d"] == pytest.approx(5 * 0.09 ** 2)
    assert t.loc["Keras", "d"] == pytest.approx(0.0)
    assert t.loc["PyTorch", "best_gamma"] == 0.9 and t.loc["PyTorch", "n_default"] == 5


def test_tunability_with_seeds_gives_the_difference_of_seed_means_and_its_error():
    _, trials = _family(("rmsprop", grid(lr=LRS, gamma=GAMMAS), gamma_strong),
                        seeds={"rmsprop": lambda p: p["optimizer.lr"] == 1e-2})
    t = tunability(gamma_variants(trials)[0]).set_index("name")
    assert t.loc["PyTorch", "seed_d"] == pytest.approx(0.0405, abs=0.03)
    assert 0 < t.loc["PyTorch", "seed_se"] < 0.02


def test_tunability_says_why_when_the_default_was_not_swept():
    _, trials = _family(("rmsprop", grid(lr=LRS, gamma=(0.0, 0.5, 0.9)), gamma_strong))
    t = tunability(gamma_variants(trials)[0]).set_index("name")
    assert math.isnan(t.loc["PyTorch", "d"])
    assert "γ = 0.99 is not among the swept values (0, 0.5, 0.9)" in t.loc["PyTorch", "reason"]


def test_gamma_one_verdict_under_both_conventions():
    points = grid(lr=LRS, gamma=GAMMAS + (1.0,), initial_square_avg=(0.0, 1.0))
    _, trials = _family(("rmsprop", points, gamma_one_objective), ("sgd", grid(lr=LRS), lr_only))
    g1 = gamma_one(trials).set_index("initial_square_avg")
    assert list(g1.index) == [0.0, 1.0]
    zero, one = g1.loc[0.0], g1.loc[1.0]
    assert zero["best_at_1"] == 1.5 and zero["lr_at_1"] == 1e-4 and zero["divergence_at_1"] == 0.8
    assert one["best_at_1"] == pytest.approx(0.3) and one["lr_at_1"] == 0.1 and one["divergence_at_1"] == 0
    assert zero["best_below_1"] == pytest.approx(0.1) and zero["gamma_below_1"] == 0.9
    assert zero["d"] == pytest.approx(1.4) and one["d"] == pytest.approx(0.2)
    assert "lr·g/ε" in zero["explanation"] and "plain SGD" in one["explanation"]
    assert one["sgd_best"] == pytest.approx(0.1)
    # descriptive: outcome counts; a verdict needs paired confirmation runs (confirmation.py)
    assert zero["verdict"] == "1 of 5 trained, 4 diverged, 0 collapsed"
    assert one["verdict"] == "5 of 5 trained, 0 diverged, 0 collapsed"


def test_schedule_verdict_compares_the_best_of_each_schedule():
    def objective(p):
        out = gamma_strong(p)
        rising = p["optimizer.gamma_schedule"] == "rising"
        return outcome(out["value"] - 0.05) if rising and not out["diverged"] else out

    points = grid(lr=LRS, gamma=GAMMAS, gamma_schedule=("constant", "rising"))
    _, trials = _family(("rmsprop", points, objective))
    [row] = schedule_verdict(trials).to_dict("records")
    assert row["constant_best"] == pytest.approx(0.1) and row["rising_best"] == pytest.approx(0.05)
    assert row["d"] == pytest.approx(0.05) and row["constant_n"] == row["rising_n"] == 25
    assert row["verdict"].startswith("inconclusive")  # no paired confirmation runs: no verdict


def test_schedule_rows_use_one_pick_and_say_when_constant_gamma_sits_on_the_grid_edge():
    """Constant γ is best at the grid's largest γ: the row says so, in the table and the sentence."""
    from sweeps.analysis.sections.verdicts import schedule_section
    from sweeps.analysis.summary import schedule_sentence

    def objective(p):
        out = gamma_strong(p)
        if p["optimizer.gamma_schedule"] == "constant":
            return outcome(0.3 - 0.1 * p["optimizer.gamma"] + 0.01 * (math.log10(p["optimizer.lr"]) + 2) ** 2)
        return out

    points = grid(lr=LRS, gamma=GAMMAS, gamma_schedule=("constant", "rising"))
    storage, trials = _family(("rmsprop", points, objective))
    t = schedule_verdict(trials)
    [row] = t.to_dict("records")
    assert row["constant_gamma"] == max(GAMMAS) and row["constant_on_edge"]
    assert row["constant_pick"] == row["rising_pick"] == "best tuning run (none re-run)"
    assert "largest γ of the grid" in schedule_sentence(row)
    a = analyse("fam", trials, load_studies(storage, "fam"))
    assert "(grid edge)" in schedule_section(a) and "the grid's edge, not an interior optimum" in schedule_section(a)


def test_optimizer_table_has_every_study_best_and_its_seed_spread():
    _, trials = _family(("rmsprop", grid(lr=LRS, gamma=GAMMAS), gamma_strong), ("sgd", grid(lr=LRS), lr_only),
                        seeds={"rmsprop": lambda p: (p["optimizer.lr"], p["optimizer.gamma"]) == (1e-2, 0.9)})
    t = optimizer_table(trials).set_index("optimizer")
    assert t.loc["rmsprop", "best"] == pytest.approx(0.1) and t.loc["rmsprop", "n"] == 25
    assert t.loc["rmsprop", "seed_n"] == 3 and t.loc["rmsprop", "seed_source"] == 12
    assert "gamma=0.9" in t.loc["rmsprop", "best_params"]
    assert t.loc["sgd", "seed_n"] == 0 and t.loc["sgd", "divergence_rate"] == 0.2


def test_summary_states_the_answer_from_the_numbers():
    storage, trials = _family(("rmsprop", grid(lr=LRS, gamma=GAMMAS), gamma_strong),
                              ("adam", grid(lr=LRS, gamma=GAMMAS), lr_only))
    a = analyse("fam", trials, load_studies(storage, "fam"))
    lines = summary(a)
    rms = next(line for line in lines if "rmsprop**" in line)
    adam = next(line for line in lines if "adam**" in line)
    assert lines.index(rms) < lines.index(adam)                # RMSprop, the question, first
    assert "swept γ ∈ {0, 0.5, 0.9, 0.99, 0.999}" in rms and "best 0.1 at γ 0.9" in rms and "fANOVA 0.9" in rms
    # no confirmation runs: no test, so no verdict, whatever the tuning runs look like
    for line in (rms, adam):
        assert "No verdict: no confirmation runs" in line and "inconclusive" not in line
        assert "different" not in line and "equivalent" not in line and "insensitive" not in line
    assert any("No confirmation runs" in line for line in lines)
    best = next(line for line in lines if "Best tuning run of the 2 studies on mnist_mlp/mnist_5k" in line)
    assert "with test_loss 0.1" in best and "no verdict" in best


def test_the_failure_sentence_reads_its_numbers_from_the_table():
    """γ = 1 fails on all 5 seeds, the reference on none: the sentence gives 5 of 5, 0 of 5 and the
    exact p the table holds (binomial 5 of 5: 0.0625), and the loss comparison has no pair."""
    import numpy as np
    import pandas as pd

    from sweeps.analysis.stats import compare_paired
    from sweeps.analysis.summary import failure_clause

    base = np.linspace(0.3, 0.4, 5)
    runs = pd.DataFrame({"config": [0.99] * 5 + [1.0] * 5, "seed": list(range(5)) * 2,
                         "value": [*base, *[np.nan] * 5], "trained": [True] * 5 + [False] * 5})
    t = compare_paired(runs, reference=0.99, margin=0.01, direction="minimize")
    [x] = t.to_dict("records")
    assert (x["n"], x["verdict"]) == (0, "inconclusive")
    assert failure_clause(t).endswith(
        f"γ = 1: 5 of 5 did not train (reference 0 of 5; exact p = {x['p_fail']:.2g}, Holm {x['p_fail_holm']:.2g}).")
    assert f"{x['p_fail']:.2g}" == "0.062"
