"""Tuning on several seeds (``hydra.sweeper.seeds.tune``) and any factor (``protocol.factor``):
the pick by the mean over tuning seeds, its stability across single seeds and the tuned
difference's spread, on synthetic frames with a known answer; the same pick from Optuna trials
(the sweeper's stage) and from the analysis table (the report); the options refused up front; a
study tuned on one seed refused when the seed axis would be added."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import optuna
import pandas as pd
import pytest
from omegaconf import OmegaConf
from optuna.distributions import CategoricalDistribution, FloatDistribution

from sweeps import factor, records
from sweeps.analysis.tuning_seeds import (from_table, from_trials, picks, setting_of, single_seed_picks,
                                          stability, tuned_spread)
from sweeps.checks import check_sweeper
from sweeps.checks.sweeper import check_factor_swept, seeds_per
from sweeps.errors import SweepError
from sweeps.hydra.plan import StudyPlan, tuning_seeds, with_tuning_seeds
from sweeps.hydra.search_space import to_json
from sweeps.study import best_trials, open_study

ROOT = Path(__file__).resolve().parents[2]
SWEEPER = OmegaConf.load(ROOT / "conf/hydra/sweeper/gammasweep.yaml")
SEEDS = (0, 1000, 2000)


def frame(values: dict, untrained=()) -> pd.DataFrame:
    """``{(γ, lr): [value per seed]}`` as tuning_seeds' frame; ``untrained``: (γ, lr, seed)."""
    rows, number = [], 0
    for (g, lr), vs in values.items():
        for seed, v in zip(SEEDS, vs):
            rows.append({"group": g, "setting": setting_of({"optimizer.gamma": g, "optimizer.lr": lr}),
                         "seed": seed, "value": v, "trained": (g, lr, seed) not in untrained, "number": number})
            number += 1
    return pd.DataFrame(rows)


def lr_of(setting: str) -> float:
    return json.loads(setting)["optimizer.lr"]


# lr 0.1 wins on seed 0 alone, lr 0.01 on the mean (and on seeds 1000 and 2000)
NOISY = {(0.9, 0.1): [0.10, 0.50, 0.50], (0.9, 0.01): [0.20, 0.21, 0.22],
         (0.99, 0.1): [0.30, 0.31, 0.32], (0.99, 0.01): [0.40, 0.41, 0.42]}


def test_the_pick_is_the_best_mean_over_the_tuning_seeds_not_the_best_single_run():
    best = picks(frame(NOISY), "minimize").set_index("group")
    assert lr_of(best.loc[0.9, "setting"]) == 0.01
    assert best.loc[0.9, "mean"] == pytest.approx(0.21)
    assert lr_of(best.loc[0.99, "setting"]) == 0.1
    top2 = picks(frame(NOISY), "minimize", top_k=2)
    assert sorted(top2["rank"]) == [0, 0, 1, 1]
    # an accuracy is maximised: the other lr at γ = 0.9 (mean 0.367 > 0.21)
    assert lr_of(picks(frame(NOISY), "maximize").set_index("group").loc[0.9, "setting"]) == 0.1


def test_a_setting_with_an_untrained_seed_ranks_behind_every_fully_trained_one():
    values = {(0.9, 0.1): [0.10, 0.10, 0.30], (0.9, 0.01): [0.50, 0.50, 0.50], (0.9, 1.0): [2.0, 2.0, 2.0]}
    rows = frame(values, untrained={(0.9, 0.1, 2000), (0.9, 1.0, 0), (0.9, 1.0, 1000), (0.9, 1.0, 2000)})
    best = picks(rows, "minimize", top_k=3)
    assert [lr_of(s) for s in best["setting"]] == [0.01, 0.1]   # lr = 1 trained on no seed: never picked
    assert list(best["complete"]) == [True, False]


def test_a_setting_missing_a_seed_ranks_behind_those_with_all():
    rows = frame({(0.9, 0.1): [0.10, 0.10, 0.10], (0.9, 0.01): [0.50, 0.50, 0.50]})
    rows = rows[~((rows["seed"] == 2000) & (rows["setting"].map(lr_of) == 0.1))]
    assert lr_of(picks(rows, "minimize")["setting"].iloc[0]) == 0.01


def test_one_seed_is_todays_pick_the_best_trained_run():
    rows = frame({(0.9, 0.1): [0.3], (0.9, 0.01): [0.2], (0.9, 1.0): [0.1]}, untrained={(0.9, 1.0, 0)})
    assert lr_of(picks(rows, "minimize")["setting"].iloc[0]) == 0.01


def test_stability_counts_the_seeds_whose_own_pick_agrees_with_the_mean_pick():
    s = stability(frame(NOISY), "minimize").set_index("group")
    assert (s.loc[0.9, "agree"], s.loc[0.9, "n_seeds"], s.loc[0.9, "distinct"]) == (2, 3, 2)
    assert (s.loc[0.99, "agree"], s.loc[0.99, "distinct"]) == (3, 1)
    single = single_seed_picks(frame(NOISY), "minimize")
    assert lr_of(single[(single["group"] == 0.9) & (single["seed"] == 0)]["setting"].iloc[0]) == 0.1


def test_the_tuned_difference_spreads_over_the_single_seed_picks_on_validation():
    d = tuned_spread(frame(NOISY), 0.99, "minimize").set_index("group").loc[0.9]
    # mean picks: 0.21 − 0.31; seed 0 picks lr 0.1 at γ = 0.9 (mean 0.367): 0.367 − 0.31
    assert d["difference"] == pytest.approx(0.21 - 0.31)
    assert d["low"] == pytest.approx(0.21 - 0.31)
    assert d["high"] == pytest.approx((0.10 + 0.50 + 0.50) / 3 - 0.31)
    assert (d["n_seeds"], d["basis"]) == (3, "validation")


def test_the_tuned_difference_is_on_the_confirmation_runs_when_every_setting_was_rerun():
    rows = frame(NOISY)
    confirmed = {s: 1.0 + lr_of(s) for s in rows["setting"]}   # test means, unlike validation
    d = tuned_spread(rows, 0.99, "minimize", confirmed).set_index("group").loc[0.9]
    assert d["basis"] == "confirmation"
    assert d["difference"] == pytest.approx((1.01 - 1.1))
    assert (d["low"], d["high"]) == (pytest.approx(-0.09), pytest.approx(0.0))
    partly = {s: v for s, v in confirmed.items() if lr_of(s) == 0.01 or json.loads(s)["optimizer.gamma"] == 0.99}
    assert tuned_spread(rows, 0.99, "minimize", partly)["basis"].iloc[0] == "validation"


def test_the_stage_and_the_report_pick_the_same_setting():
    """``study.best_trials`` (Optuna trials) and ``from_table`` (the analysis's table) agree."""
    study = optuna.create_study(direction="minimize")
    dists = {"optimizer.gamma": CategoricalDistribution([0.9, 0.99]), "optimizer.lr": FloatDistribution(1e-3, 1.0),
             "train.seed": CategoricalDistribution(list(SEEDS))}
    table = []
    for (g, lr), vs in NOISY.items():
        for seed, v in zip(SEEDS, vs):
            t = optuna.trial.create_trial(params={"optimizer.gamma": g, "optimizer.lr": lr, "train.seed": seed},
                                          distributions=dists, value=v, user_attrs={records.OUTCOME: "trained"})
            study.add_trial(t)
            table.append({"state": "COMPLETE", "gamma": g, "setting": setting_of(t.params), "seed": seed,
                          "value": v, "outcome": "trained", "number": len(table)})
    staged = best_trials(study, ["optimizer.gamma"], 1)
    assert sorted((t.params["optimizer.gamma"], t.params["optimizer.lr"]) for t in staged) == [(0.9, 0.01), (0.99, 0.1)]
    reported = picks(from_table(pd.DataFrame(table), ["gamma"]), "minimize")
    assert set(reported["setting"]) == {setting_of(t.params) for t in staged}
    assert set(picks(from_trials(study.trials, ["optimizer.gamma"]), "minimize")["number"]) == {t.number for t in staged}


# options -------------------------------------------------------------------------------------------

def test_tuning_seeds_stay_apart_from_the_confirmation_seeds():
    assert tuning_seeds(0, 3) == [0, 1000, 2000]
    assert tuning_seeds(7, 1) == [7]
    confirmation = set(range(7 + 1, 7 + 999 + 1))
    assert not confirmation & set(tuning_seeds(7, 5))


@pytest.mark.parametrize("change, named", [
    ({"seeds": {"tune": 0}}, "seeds.tune=0"),
    ({"seeds": {"tune": 3}}, "seeds.tune=3 needs the grid sampler"),
    ({"seeds": {"tune": 3, "n": 1000}, "sampler": {"name": "grid"}}, "seeds.n=1000"),
    ({"protocol": {"factor": "beta1"}}, "protocol.factor='beta1'"),
    ({"protocol": {"factor": "optimizer.beta1", "reference_gamma": 0.9}}, "declare that factor's reference"),
    ({"protocol": {"reference": 0.9, "reference_gamma": 0.99}}, "disagree"),
    ({"protocol": {"reference_gamma": 2.0}}, "reference_gamma=2.0"),
])
def test_a_bad_seeds_or_factor_option_is_refused_naming_it(change, named):
    with pytest.raises(SweepError) as e:
        check_sweeper(OmegaConf.merge(SWEEPER, change))
    assert named in str(e.value)


def test_the_factor_must_be_a_swept_choice_holding_the_reference():
    o = OmegaConf.merge(SWEEPER, {"seeds": {"n": 3}, "protocol": {"factor": "optimizer.beta1", "reference": 0.9}})
    plan = SimpleNamespace(name="f.adam", distributions={"optimizer.beta1": CategoricalDistribution([0.0, 0.9])})
    check_factor_swept(o, [plan])
    assert seeds_per(o) == ["optimizer.beta1"]
    with pytest.raises(SweepError, match=r"protocol.reference=0.5 is not one of optimizer.beta1's values"):
        check_factor_swept(OmegaConf.merge(o, {"protocol": {"reference": 0.5}}), [plan])
    interval = SimpleNamespace(name="f.adam", distributions={"optimizer.beta1": FloatDistribution(0.0, 0.99)})
    with pytest.raises(SweepError, match=r"sweeps it as an interval"):
        check_factor_swept(o, [interval])
    sgd = SimpleNamespace(name="f.sgd", distributions={})
    check_factor_swept(o, [plan, sgd])   # a study without the factor re-runs its best, compares nothing
    with pytest.raises(SweepError, match=r"no study of this part sweeps it \(f.sgd\)"):
        check_factor_swept(o, [sgd])
    check_factor_swept(OmegaConf.merge(o, {"seeds": {"n": 0}}), [interval])   # no confirmation: no comparison
    check_factor_swept(OmegaConf.merge(o, {"seeds": {"per": []}}), [sgd])     # re-runs not per factor value


def test_the_factor_defaults_to_gamma_and_older_protocols_read_as_gamma():
    assert factor.declared({}) == ("optimizer.gamma", 0.99)
    assert factor.declared({"reference_gamma": 0.9}) == ("optimizer.gamma", 0.9)
    assert factor.declared({"factor": "optimizer.beta1", "reference": 0.9}) == ("optimizer.beta1", 0.9)
    assert [factor.label(k) for k in ("optimizer.gamma", "optimizer.beta1", "optimizer.momentum", "model.options.angle")] \
        == ["γ", "β1", "μ", "angle"]
    assert seeds_per(SWEEPER) == ["optimizer.gamma"]


def test_a_study_tuned_on_one_seed_is_refused_when_tuning_seeds_are_added():
    dists = {"optimizer.gamma": CategoricalDistribution([0.9, 0.99])}
    plan = StudyPlan("f.m.d.rmsprop", [], dists, {"model": "m", "search_space": to_json(dists)},
                     OmegaConf.create({"train": {"seed": 0}}))
    assert with_tuning_seeds(plan, 1) is plan
    seeded = with_tuning_seeds(plan, 3)
    assert seeded.distributions["train.seed"].choices == (0, 1000, 2000)
    storage = optuna.storages.InMemoryStorage()
    open_study(plan.name, storage, "minimize", plan.identity)
    with pytest.raises(SweepError, match=r"search space of train.seed: study has none \(not swept\), "
                                         r"this run choice of 0, 1000, 2000"):
        open_study(plan.name, storage, "minimize", seeded.identity)
    with pytest.raises(SweepError, match="sweeps train.seed"):
        with_tuning_seeds(seeded, 3)


def test_a_population_job_holds_one_tuning_seed():
    """Trials that differ in their seed do not train stacked, so a batch's jobs are formed per seed."""
    from sweeps.jobs.population_task import stackable
    from sweeps.stages.trials import stackable_groups

    trials = [SimpleNamespace(number=i, params={"optimizer.lr": 10.0 ** -i, "train.seed": SEEDS[i % 3]})
              for i in range(9)]
    groups = stackable_groups(trials, 2)
    assert sorted(t.number for g in groups for t in g) == list(range(9))
    assert all(len(g) <= 2 and stackable(g) for g in groups)
    assert len(groups) == 6   # 3 seeds x ceil(3 / 2)
