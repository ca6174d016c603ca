"""answer.json and "Since the last report": what a rerun says changed, on synthetic answers."""

from __future__ import annotations

import copy

from sweeps.analysis import answer
from sweeps.analysis.sections.since_last import since_last_section
from sweeps.hydra.reporting import changed_verdicts

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
