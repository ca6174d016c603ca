"""The report says no more than its data: verdicts from paired confirmation runs only, and every
number of the answer sentence is the number in its table."""

from __future__ import annotations

import math
import re

import numpy as np
import optuna
import pytest
from optuna.distributions import IntDistribution
from optuna.trial import create_trial
from scipy import stats

from support.sweep_runner import run_sweep
from support.synthetic import GAMMAS, LRS, grid, make_study, outcome, sqlite_storage
from sweeps.analysis import analyse, load_family, load_studies
from sweeps.analysis.summary import summary
from sweeps.report import write_report
from sweeps import records

CELL = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"}
EFFECT = {0.0: 0.05, 0.5: 0.0, 0.9: 0.0, 0.99: 0.0, 0.999: 0.0}   # planted: only γ = 0 is worse


def _tuning(p):
    return outcome(0.3 + (math.log10(p["optimizer.lr"]) + 2) ** 2 * 0.01)


def _confirm(storage, tuned: optuna.Study, n: int, noise: float = 0.002) -> None:
    """Each γ's best setting re-run on seeds 1..n: a shared seed effect (paired) plus the planted
    effect plus independent noise; test loss recorded as the sweeper records it."""
    rng = np.random.default_rng(0)
    seed_effect = rng.normal(0, 0.05, size=n + 1)
    study = optuna.create_study(study_name=tuned.study_name + ".seeds", storage=storage)
    study.set_user_attr(records.IDENTITY, tuned.user_attrs[records.IDENTITY] | {"seeds_of": tuned.study_name})
    dists = tuned.trials[0].distributions | {"train.seed": IntDistribution(0, 2**31 - 1)}
    for gamma in GAMMAS:
        best = min((t for t in tuned.trials if t.params["optimizer.gamma"] == gamma), key=lambda t: t.value)
        for s in range(1, n + 1):
            v = 0.3 + EFFECT[gamma] + seed_effect[s] + rng.normal(0, noise)
            study.add_trial(create_trial(
                params=best.params | {"train.seed": s}, distributions=dists, value=v,
                user_attrs={"source_trial": best.number, "outcome": "trained", "seed": s,
                            "final": {"val_loss": v, "test_loss": v}}))


@pytest.fixture(scope="module")
def confirmed(tmp_path_factory):
    url, storage = sqlite_storage(tmp_path_factory.mktemp("protocol") / "optuna.db")
    tuned = make_study(storage, "fam", CELL, grid(lr=LRS, gamma=GAMMAS), _tuning)
    tuned.set_user_attr(records.PROTOCOL, {"reference_gamma": 0.99, "margin": 0.01, "alpha": 0.05})
    _confirm(storage, tuned, n=30)
    return url


def test_a_planted_effect_is_different_and_the_rest_equivalent(confirmed):
    a = analyse("fam", load_family(confirmed, "fam"), load_studies(confirmed, "fam"))
    verdicts = dict(zip(a.variants[0].confirmation["config"], a.variants[0].confirmation["verdict"]))
    assert verdicts == {0.0: "different", 0.5: "equivalent", 0.9: "equivalent", 0.999: "equivalent"}
    [line] = [x for x in summary(a) if "rmsprop**" in x and "Verdict" in x]
    assert "Verdict: **γ matters with lr re-tuned: 1 of 4 γ values differ from γ = 0.99**" in line


def test_every_number_of_the_answer_is_the_number_in_its_table(confirmed, tmp_path):
    text = write_report(storage=confirmed, family="fam", out_dir=str(tmp_path)).read_text(encoding="utf-8")
    answer = next(x for x in text.splitlines() if x.startswith("- **mnist_mlp/mnist_5k/rmsprop**")
                  and "Verdict" in x)
    evidence = answer.split("read off them): ", 1)[1].split(". Verdict", 1)[0]
    found = 0
    for claim in evidence.split("; "):
        verdict, items = claim.split(" at γ ", 1)
        for gamma, diff, low, high, n in re.findall(
                r"([\d.]+) \(([+-][\d.e-]+) \[([-\d.e]+), ([-\d.e]+)\], n = (\d+)\)", items):
            row = next(x for x in text.splitlines() if x.startswith(f"| {gamma} | {n} |"))
            cells = [c.strip() for c in row.strip("|").split("|")]
            assert cells[5] == diff and cells[6] == f"[{low}, {high}]" and cells[-1] == verdict, row
            found += 1
    assert found == 4


def test_the_first_screen_leads_with_the_verdicts_and_their_table_numbers(confirmed, tmp_path):
    text = write_report(storage=confirmed, family="fam", out_dir=str(tmp_path)).read_text(encoding="utf-8")
    screen = text.split("\n## ", 1)[0].splitlines()
    assert len(screen) <= 15 and screen[0] == "# gammasweep report: fam"
    assert "How sensitive is RMSprop to γ?" in screen[2]
    [bullet] = [x for x in screen if x.startswith("- **mnist_mlp/mnist_5k/rmsprop**")]
    claims = re.findall(r"γ = ([\d.]+) (\*\*different\*\*|\*\*equivalent\*\*|inconclusive) "
                        r"\(([+-][\d.e-]+) \[([-\d.e]+), ([-\d.e]+)\], n = (\d+)\)", bullet)
    assert len(claims) == 4
    for gamma, verdict, diff, low, high, n in claims:
        row = next(x for x in text.splitlines() if x.startswith(f"| {gamma} | {n} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[5] == diff and cells[6] == f"[{low}, {high}]" and cells[-1] == verdict.strip("*"), row
    assert any(x.startswith("Evidence: ") and "paired seeds" in x for x in screen)
    image = next(x for x in screen if x.startswith("!["))
    assert (tmp_path / image.split("](", 1)[1].rstrip(")")).is_file()   # the one figure exists


def test_a_reviewer_re_deriving_the_differences_gets_the_same_answer(confirmed):
    """Independent code: numpy differences by seed, the t quantile at α/(2m), Bonferroni by hand."""
    trials = load_family(confirmed, "fam")
    seeds = trials[trials["role"] == "seeds"].pivot(index="seed", columns="gamma", values="final_test_loss")
    others = [g for g in seeds.columns if g != 0.99]
    m = len(others)
    a = analyse("fam", trials, load_studies(confirmed, "fam"))
    t = a.variants[0].confirmation.set_index("config")
    for g in others:
        d = (seeds[g] - seeds[0.99]).to_numpy()
        half = stats.t.ppf(1 - 0.05 / (2 * m), len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
        assert t.loc[g, "mean_diff"] == pytest.approx(d.mean(), rel=1e-12)
        assert (t.loc[g, "ci_low"], t.loc[g, "ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half),
                                                                           rel=1e-9)
        p = stats.ttest_rel(seeds[g], seeds[0.99]).pvalue
        assert t.loc[g, "p_diff_adj"] == pytest.approx(min(1.0, m * p), rel=1e-9)


@pytest.mark.slow
def test_a_tuning_only_study_states_no_verdict(tmp_path):
    """The default's TPE part alone: 8 trials, no confirmation runs — the report cannot decide."""
    run_sweep(tmp_path, "model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.n_trials=8",
              "hydra.sweeper.parts=[]", "train.steps=30", "train.eval_every=10", "hydra.sweeper.report=true")
    text = (tmp_path / "reports" / "default" / "report.md").read_text(encoding="utf-8")
    screen = text.split("\n## ", 1)[0]
    assert "has no paired confirmation runs, so it states no verdict" in screen
    answer = next(x for x in text.splitlines() if x.startswith("- **binary_mlp"))
    assert "No verdict: no confirmation runs" in answer
    for word in ("different", "equivalent", "inconclusive", "insensitive", "γ matters"):
        assert word not in answer and word not in screen


def test_the_schedule_verdict_pairs_each_schedules_best_confirmation_runs(tmp_path):
    """Rising planted 0.03 better than constant on every seed: *different*, with the right sign."""
    from sweeps.analysis.schedule import schedule_verdict

    url, storage = sqlite_storage(tmp_path / "optuna.db")
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(0, 0.05, size=11)
    for schedule, shift in (("constant", 0.0), ("rising", -0.03)):
        cell = CELL | {"optimizer.gamma_schedule": schedule}
        tuned = make_study(storage, "fam", cell, grid(lr=LRS, gamma=(0.9,)), _tuning,
                           settings={"gamma_schedule": schedule})
        best = min(tuned.trials, key=lambda t: t.value)
        study = optuna.create_study(study_name=tuned.study_name + ".seeds", storage=storage)
        study.set_user_attr(records.IDENTITY, tuned.user_attrs[records.IDENTITY] | {"seeds_of": tuned.study_name})
        dists = best.distributions | {"train.seed": IntDistribution(0, 2**31 - 1)}
        for s in range(1, 11):
            v = 0.3 + shift + seed_effect[s] + rng.normal(0, 0.002)
            study.add_trial(create_trial(params=best.params | {"train.seed": s}, distributions=dists, value=v,
                                         user_attrs={"source_trial": best.number, "outcome": "trained",
                                                     "seed": s, "final": {"test_loss": v}}))
    [row] = schedule_verdict(load_family(url, "fam")).to_dict("records")
    assert row["verdict"].startswith("different") and row["n_pairs"] == 10
    assert row["constant_pick"] == row["rising_pick"] == "best re-run on validation"
    assert row["constant_seed_n"] == row["rising_seed_n"] == 10
    assert row["test_diff"] == pytest.approx(-0.03, abs=0.003) and row["ci_high"] < 0


def test_diverged_confirmation_runs_are_counted_apart_and_the_margin_is_relative(tmp_path):
    """γ = 0.9 diverges on seeds 1-4 of 8 (stored with a penalty test loss of 9.9): its losses are
    compared on seeds 5-8 only, its failures by the exact test, and the declared relative margin
    is 2 % of γ = 0.99's mean test loss."""
    url, storage = sqlite_storage(tmp_path / "optuna.db")
    tuned = make_study(storage, "fam", CELL, grid(lr=LRS, gamma=(0.9, 0.99)), _tuning)
    tuned.set_user_attr(records.PROTOCOL, {"reference_gamma": 0.99, "margin": {"relative": 0.02},
                                           "alpha": 0.05})
    study = optuna.create_study(study_name=tuned.study_name + ".seeds", storage=storage)
    study.set_user_attr(records.IDENTITY, tuned.user_attrs[records.IDENTITY] | {"seeds_of": tuned.study_name})
    dists = tuned.trials[0].distributions | {"train.seed": IntDistribution(0, 2**31 - 1)}
    ref = {s: 0.3 + 0.01 * s for s in range(1, 9)}
    for gamma in (0.9, 0.99):
        best = min((t for t in tuned.trials if t.params["optimizer.gamma"] == gamma), key=lambda t: t.value)
        for s in range(1, 9):
            failed = gamma == 0.9 and s <= 4
            v = 9.9 if failed else ref[s] + (0.001 * s if gamma == 0.9 else 0.0)
            study.add_trial(create_trial(
                params=best.params | {"train.seed": s}, distributions=dists, value=v,
                user_attrs={"source_trial": best.number, "outcome": "diverged" if failed else "trained",
                            "seed": s, "final": {"val_loss": v, "test_loss": v}}))
    a = analyse("fam", load_family(url, "fam"), load_studies(url, "fam"))
    r = a.variants[0]
    assert r.protocol["margin"] == pytest.approx(0.02 * np.mean(list(ref.values())))
    [x] = r.confirmation.to_dict("records")
    assert (x["n"], x["n_seeds"], x["failed"], x["ref_failed"]) == (4, 8, 4, 0)
    assert x["mean_diff"] == pytest.approx(0.001 * np.mean([5, 6, 7, 8]))   # 9.9 never enters
    assert x["p_fail"] == pytest.approx(stats.binomtest(4, 4, 0.5).pvalue)
    means = r.confirm_means.set_index("config")
    assert means.loc[0.9, "n_trained"] == 4 and means.loc[0.9, "mean"] < 1
    text = write_report(storage=url, family="fam", out_dir=str(tmp_path / "report")).read_text(encoding="utf-8")
    assert "γ = 0.9: 4 of 8 did not train (reference 0 of 8; exact p = 0.12" in text
    assert "2% of the reference's mean test_loss" in text
