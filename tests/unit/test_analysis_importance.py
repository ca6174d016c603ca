"""Importances on synthetic studies whose answer is known: γ irrelevant, or γ decisive."""

import optuna
import pytest

from support.synthetic import GAMMAS, LRS, gamma_strong, grid, lr_only, make_study
from sweeps.analysis import importances, load_family, load_studies
from sweeps.analysis.importance import EVALUATORS, MIN_TRIALS

CELL = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"}


def _importances(objective, points, family="fam"):
    storage = optuna.storages.InMemoryStorage()
    make_study(storage, family, CELL, points, objective)
    trials, studies = load_family(storage, family), load_studies(storage, family)
    s = studies.iloc[0]
    return importances(trials, s["distributions"], s["direction"])


def _share(table, evaluator, param):
    return table[(table["evaluator"] == evaluator) & (table["param"] == param)]["importance"].item()


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_gamma_that_does_not_matter_gets_near_zero_importance(evaluator):
    table = _importances(lr_only, grid(lr=LRS, gamma=GAMMAS))
    assert _share(table, evaluator, "gamma") < 0.05
    assert _share(table, evaluator, "lr") > 0.95
    assert table["reason"].isna().all()


@pytest.mark.parametrize("evaluator", EVALUATORS)
def test_gamma_that_decides_the_loss_gets_high_importance(evaluator):
    table = _importances(gamma_strong, grid(lr=LRS, gamma=GAMMAS))
    assert _share(table, evaluator, "gamma") > 0.7
    assert sum(table[table["evaluator"] == evaluator]["importance"]) == pytest.approx(1.0)


def test_too_few_trials_give_nan_with_the_reason():
    table = _importances(lr_only, grid(lr=LRS[:2], gamma=GAMMAS[:3]))  # 6 trials
    assert table["importance"].isna().all()
    assert table["reason"].str.contains(f"only 6 complete trials .at least {MIN_TRIALS}").all()
    assert set(table["evaluator"]) == set(EVALUATORS)


def test_a_single_swept_parameter_gives_nan_with_the_reason():
    table = _importances(lr_only, grid(lr=LRS * 2))
    assert table["importance"].isna().all() and list(table["param"].unique()) == ["lr"]
    assert table["reason"].str.contains("1 swept parameter: nothing to compare").all()


def test_a_constant_objective_says_no_effect_instead_of_equal_shares():
    table = _importances(lambda p: {"value": 0.5, "diverged": False, "curve": {0: 1.0, 300: 0.5}},
                         grid(lr=LRS, gamma=GAMMAS))
    assert table["importance"].isna().all()
    assert table["reason"].str.contains("no parameter had an effect").all()


def test_a_grids_numeric_choices_enter_ranked_in_their_order_and_other_categoricals_stay():
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    from sweeps.analysis.importance import _as_evaluated, _as_evaluated_value

    gamma = CategoricalDistribution((0.99, 0.0, 1.0, 0.9))
    assert _as_evaluated(gamma) == FloatDistribution(0.0, 3.0)
    assert [_as_evaluated_value(g, gamma) for g in (0.0, 0.9, 0.99, 1.0)] == [0.0, 1.0, 2.0, 3.0]
    for unordered in (CategoricalDistribution(("adam", "sgd")), CategoricalDistribution((True, False))):
        assert _as_evaluated(unordered) is unordered and _as_evaluated_value("sgd", unordered) == "sgd"
