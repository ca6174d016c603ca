"""answer.json and "Since the last report": what a rerun says changed, on synthetic answers."""

from __future__ import annotations

import copy
import math

import numpy as np
import optuna
from optuna.distributions import IntDistribution
from optuna.trial import create_trial
from support.synthetic import LRS, grid, make_study, outcome, sqlite_storage

from sweeps import records
from sweeps.analysis import answer
from sweeps.analysis.sections.since_last import since_last_section
from sweeps.hydra.reporting import changed_verdicts
from sweeps.report import write_report

CELL = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"}

COMPARISON = "mnist_mlp/mnist_5k/rmsprop: γ=0 vs γ=0.99"
OLD = {
    "verdicts": [
        {"comparison": COMPARISON, "verdict": "inconclusive", "difference": 0.012,
         "interval": [-0.004, 0.028], "n": 5},
        {"comparison": "binary_mlp/binary_teacher/rmsprop: γ=0.9 vs γ=0.99", "verdict": "equivalent",
         "difference": -0.001, "interval": [-0.003, 0.001], "n": 5},
    ],
    "trials": {"default.mnist_mlp.mnist_5k.sgd": {"complete": 6, "pruned": 2, "fail": 0}},
    "environment": {"numpy": "2.1.0", "optuna": "5.0.0", "data:mnist_5k": "abc123", "code": "v1.0"},
}


def _new(**edits) -> dict:
    new = copy.deepcopy(OLD)
    for key, value in edits.items():
        new["verdicts"][0][key] = value
    return new


def test_nothing_changed_says_so_in_one_line():
    c = answer.changes(OLD, OLD)
    assert (c.new_trials, c.verdicts, c.moved, c.environment) == ({}, [], [], [])
    text = since_last_section(OLD, OLD)
    assert "No verdict changed." in text and "No new trials." in text
    assert "Environment" not in text and "interval" not in text
    assert changed_verdicts(OLD, OLD) == []


def test_a_changed_verdict_names_its_comparison_old_and_new():
    new = _new(verdict="different", difference=0.02, interval=[0.01, 0.03])
    assert answer.changes(OLD, new).verdicts == [(COMPARISON, "inconclusive", "different")]
    assert f"**{COMPARISON}**: inconclusive → **different**" in since_last_section(OLD, new)
    assert changed_verdicts(OLD, new) == [f"{COMPARISON}: inconclusive → different"]


def test_an_estimate_outside_its_previous_interval_is_named_but_one_inside_is_not():
    inside = _new(difference=0.027)
    assert answer.changes(OLD, inside).moved == []
    outside = _new(difference=0.05, interval=[0.03, 0.07])
    assert answer.changes(OLD, outside).moved == [(COMPARISON, 0.012, [-0.004, 0.028], 0.05)]
    text = since_last_section(OLD, outside)
    assert f"- {COMPARISON}: +0.012 [-0.004, 0.028] → +0.05" in text
    assert "No verdict changed." in text   # moved, but the same verdict: no exit 4
    assert changed_verdicts(OLD, outside) == []


def test_a_changed_environment_names_each_key_old_and_new():
    new = copy.deepcopy(OLD)
    new["environment"] |= {"numpy": "2.2.0", "data:mnist_5k": "def456"}
    del new["environment"]["code"]
    c = answer.changes(OLD, new)
    assert c.environment == [("code", "v1.0", None), ("data:mnist_5k", "abc123", "def456"),
                             ("numpy", "2.1.0", "2.2.0")]
    text = since_last_section(OLD, new)
    assert "- `numpy`: 2.1.0 → 2.2.0" in text and "- `code`: v1.0 → –" in text


def test_new_trials_are_counted_by_outcome_over_old_and_new_studies():
    new = copy.deepcopy(OLD)
    new["trials"] = {"default.mnist_mlp.mnist_5k.sgd": {"complete": 9, "pruned": 2, "fail": 1},
                     "default.binary_mlp.binary_teacher.sgd": {"complete": 4, "pruned": 3, "fail": 0}}
    assert answer.changes(OLD, new).new_trials == {"complete": 7, "pruned": 3, "fail": 1}
    assert "New trials: 7 complete, 3 pruned, 1 fail." in since_last_section(OLD, new)


def test_a_first_report_says_there_is_no_previous_answer_in_one_line():
    text = since_last_section(None, OLD)
    assert text.splitlines()[0] == "## Since the last report"
    assert [line for line in text.splitlines()[1:] if line] == [
        "No previous answer (`answer.json`): this is the family's first report."]
    assert changed_verdicts(None, OLD) == []


def test_a_comparison_that_is_new_is_not_a_change(tmp_path):
    new = copy.deepcopy(OLD)
    new["verdicts"].append({"comparison": "mnist_mlp/mnist_5k/rmsprop: γ=1 vs γ=0.99",
                            "verdict": "different", "difference": 0.5, "interval": [0.4, 0.6], "n": 5})
    assert answer.changes(OLD, new).verdicts == []


def test_the_file_round_trips_and_a_missing_or_broken_one_reads_as_none(tmp_path):
    assert answer.read(tmp_path) is None
    answer.write(tmp_path, OLD)
    assert answer.read(tmp_path) == OLD
    assert [p.name for p in tmp_path.iterdir()] == ["answer.json"]
    (tmp_path / "answer.json").write_text("{cut sh", encoding="utf-8")
    assert answer.read(tmp_path) is None


def _family(tmp_path) -> str:
    """A tuning study over γ and lr, each γ's best re-run on 6 paired seeds (test loss recorded
    as the sweeper records it): γ = 0 worse by 0.05, the others alike."""
    url, storage = sqlite_storage(tmp_path / "optuna.db")
    gammas = (0.0, 0.9, 0.99)
    tuned = make_study(storage, "fam", CELL, grid(lr=LRS, gamma=gammas),
                       lambda p: outcome(0.3 + (math.log10(p["optimizer.lr"]) + 2) ** 2 * 0.01))
    tuned.set_user_attr(records.PROTOCOL, {"reference_gamma": 0.99, "margin": 0.01, "alpha": 0.05})
    seeds = optuna.create_study(study_name=tuned.study_name + ".seeds", storage=storage)
    seeds.set_user_attr(records.IDENTITY, tuned.user_attrs[records.IDENTITY] | {"seeds_of": tuned.study_name})
    dists = tuned.trials[0].distributions | {"train.seed": IntDistribution(0, 100)}
    rng = np.random.default_rng(0)
    for gamma in gammas:
        best = min((t for t in tuned.trials if t.params["optimizer.gamma"] == gamma), key=lambda t: t.value)
        for s in range(1, 7):
            v = 0.3 + (0.05 if gamma == 0.0 else 0.0) + 0.01 * s + rng.normal(0, 0.002)
            seeds.add_trial(create_trial(
                params=best.params | {"train.seed": s}, distributions=dists, value=v,
                user_attrs={"source_trial": best.number, "outcome": "trained", "seed": s,
                            "final": {"val_loss": v, "test_loss": v}}))
    return url


def test_the_answer_holds_the_numbers_the_report_prints_and_the_family_s_environment(tmp_path):
    url = _family(tmp_path)
    text = write_report(storage=url, family="fam", out_dir=str(tmp_path / "r")).read_text(encoding="utf-8")
    found = answer.read(tmp_path / "r")
    assert "No previous answer" in text
    assert {v["comparison"]: v["verdict"] for v in found["verdicts"]} == {
        "mnist_mlp/mnist_5k/rmsprop: γ=0 vs γ=0.99": "different",
        "mnist_mlp/mnist_5k/rmsprop: γ=0.9 vs γ=0.99": "equivalent"}
    for v in found["verdicts"]:   # the confirmation table's row of that γ: the same printed numbers
        gamma = v["comparison"].split("γ=")[1].split(" ")[0]
        row = next(x for x in text.splitlines() if x.startswith(f"| {gamma} | {v['n']} |"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert float(cells[5]) == v["difference"] and cells[-1] == v["verdict"]
        assert [float(x) for x in cells[6].strip("[]").split(", ")] == v["interval"]
    assert found["trials"] == {"fam.mnist_mlp.mnist_5k.rmsprop": {"complete": 15, "pruned": 0, "fail": 0},
                               "fam.mnist_mlp.mnist_5k.rmsprop.seeds": {"complete": 18, "pruned": 0, "fail": 0}}
    env = found["environment"]
    assert env["data:mnist_5k"] == "synthetic" and env["numpy"] == np.__version__
    assert env["optuna"] == optuna.__version__ and {"mlflow", "hydra-core", "scipy", "statsmodels", "code"} <= set(env)

    again = write_report(storage=url, family="fam", out_dir=str(tmp_path / "r")).read_text(encoding="utf-8")
    since = again.split("## Since the last report", 1)[1].split("\n## ", 1)[0]
    assert "No new trials." in since and "No verdict changed." in since and "Environment" not in since
