"""The family run: found again by its tag, adopting parents made before it, and the answer's numbers."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from sweeps import records, tracking
from sweeps.tracking.family_run import family_run, key_numbers, nest


def test_a_family_has_one_run_and_old_parents_are_adopted(tmp_path):
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    experiment = tracking.ensure_experiment(uri, "gammasweep-fam", None)
    c = tracking.client(uri)
    old_parent = c.create_run(experiment, run_name="fam.quadratic.sgd",
                              tags={records.STUDY_TAG: "fam.quadratic.sgd"}).info.run_id
    first = family_run(uri, experiment, "fam")
    assert family_run(uri, experiment, "fam") == first          # a resumed invocation: the same run
    assert family_run(uri, experiment, "other") != first        # another family: its own run
    nest(uri, old_parent, first)
    assert c.get_run(old_parent).data.tags[records.PARENT_TAG] == first
    run = c.get_run(first)
    assert run.info.run_name == "fam" and run.data.tags[records.FAMILY_TAG] == "fam"
    assert records.PARENT_TAG not in run.data.tags


def test_key_numbers_are_the_verdict_counts_and_each_comparisons_difference():
    table = pd.DataFrame({"config": [0.9, 0.99], "mean_diff": [0.01, float("nan")],
                          "verdict": ["equivalent", "inconclusive"], "n": [5, 5]})
    variant = SimpleNamespace(variant=SimpleNamespace(name="quadratic/rmsprop", column="gamma"), confirmation=table)
    beta1 = SimpleNamespace(variant=SimpleNamespace(name="mnist/adam", column="beta1"), confirmation=table)
    empty = SimpleNamespace(variant=SimpleNamespace(name="x", column="gamma"), confirmation=pd.DataFrame())
    assert key_numbers([variant, beta1, empty]) == {
        "verdicts_different": 0.0, "verdicts_equivalent": 2.0, "verdicts_inconclusive": 2.0,
        "diff.quadratic/rmsprop.gamma_0.9": 0.01, "diff.mnist/adam.beta1_0.9": 0.01,
    }
