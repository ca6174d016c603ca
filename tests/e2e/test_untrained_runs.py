"""Runs that did not train do not pose as results in MLflow, and the terminal names every trial's study.

One tiny grid sweep on the quadratic: lr = 5 diverges, lr = 1e-3 is pruned at its first
evaluation (median pruner against one earlier trial), lr = 0.05 and 0.1 train.
"""

from __future__ import annotations

import re

import pytest
from support.sweep_runner import load, mlflow_runs, run_sweep

STUDY = "default.quadratic.sgd"
ARGS = ["model=quadratic", "optimizer=sgd", "optimizer.lr=choice(0.1,0.05,5.0,0.001)",
        "hydra.sweeper.sampler.name=grid", "hydra.sweeper.n_trials=4", "hydra.sweeper.population=1",
        "hydra.sweeper.pruner.name=median", "hydra.sweeper.pruner.n_startup_trials=1",
        "hydra.sweeper.pruner.n_warmup_steps=0"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("untrained")
    proc = run_sweep(out, *ARGS)
    outcomes = {t.user_attrs.get("outcome", t.state.name.lower()) for t in load(out, STUDY).trials}
    assert {"trained", "diverged", "pruned"} <= outcomes, outcomes   # the cases under test happened
    return out, proc


def test_only_trained_runs_carry_the_objective_metric(swept):
    out, _ = swept
    children = [r for r in mlflow_runs(out, "gammasweep-default") if "gammasweep.trial" in r.data.tags]
    assert len(children) == 4
    result_keys = {"val_loss", "train_loss", "final_val_loss", "final_train_loss", "best_val_loss", "objective"}
    for run in children:
        outcome, metrics = run.data.tags["outcome"], run.data.metrics
        if outcome == "trained":
            assert result_keys <= set(metrics), metrics
            assert not any(k.startswith("last_") for k in metrics)
            continue
        assert not result_keys & set(metrics), (outcome, metrics)
        assert {"last_val_loss", "last_train_loss"} <= set(metrics), (outcome, metrics)
        if outcome == "diverged":   # the value Optuna got, under its own name
            assert metrics["penalty"] == pytest.approx(load(out, STUDY).trials[
                int(run.data.tags["gammasweep.trial"])].value)


def test_a_pruned_run_keeps_its_curve_up_to_where_it_stopped(swept):
    out, _ = swept
    from mlflow.tracking import MlflowClient

    client = MlflowClient(f"sqlite:///{out}/mlflow.db")
    (pruned,) = [r for r in mlflow_runs(out, "gammasweep-default") if r.data.tags.get("outcome") == "pruned"]
    steps = [m.step for m in client.get_metric_history(pruned.info.run_id, "last_val_loss")]
    assert steps == [0, 5]


def test_every_trial_has_one_line_naming_its_study_and_no_raw_dicts(swept):
    _, proc = swept
    text = proc.stdout + proc.stderr
    lines = re.findall(rf"{re.escape(STUDY)} #(\d+) sgd lr=\S+: (.*)", text)
    assert sorted(int(n) for n, _ in lines) == [0, 1, 2, 3], text
    kinds = {rest.rsplit("(", 1)[-1].split(",")[0] if "(" in rest else rest for _, rest in lines}
    assert kinds == {"trained", "diverged", "pruned at step 5"}, kinds
    assert "{'" not in text and "Trial #" not in text
    assert f"{STUDY}: 4 new trials; in all 2 trained, 1 diverged, 1 pruned; best val_loss = " in text
