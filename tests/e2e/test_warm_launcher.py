"""Both cores (`workers=both`): the warm joblib launcher runs a study as one process would."""

import os
import pickle

import pytest
from optuna.trial import TrialState

from support.sweep_runner import load, mlflow_runs, run_sweep
from sweeps.launch.warm_joblib import Shipped


def test_a_shipped_object_is_unpickled_once_per_process():
    shipped = Shipped({"loader": [1, 2, 3]})
    first, again = pickle.loads(pickle.dumps(shipped)), pickle.loads(pickle.dumps(shipped))
    assert first == {"loader": [1, 2, 3]} and again is first      # a worker's later jobs reuse it
    assert pickle.loads(pickle.dumps(Shipped({"loader": []}))) == {"loader": []}   # a new token


@pytest.mark.slow
def test_two_workers_run_every_grid_point_once_with_one_parent_run_and_resume(tmp_path):
    grid = ["model=quadratic", "optimizer=rmsprop", "workers=both", "hydra.sweeper.population=1",
            "hydra.sweeper.sampler.name=grid", "optimizer.gamma=choice(0.9,1.0)",
            "optimizer.lr=tag(log,interval(0.001,0.1))", "optimizer.eps=1e-8", "hydra.sweeper.grid_points=5",
            "hydra.sweeper.pruner.name=none"]
    run_sweep(tmp_path, *grid, "hydra.sweeper.n_trials=6")
    run_sweep(tmp_path, *grid, "hydra.sweeper.n_trials=100")   # resumes: the other 4 points
    study = load(tmp_path, "default.quadratic.rmsprop")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 10
    points = sorted((t.params["optimizer.gamma"], round(t.params["optimizer.lr"], 6)) for t in study.trials)
    assert len(set(points)) == 10, "a grid point ran twice"
    # each ran in a worker process, not the sweeper's, and reported through the storage
    workers = {t.user_attrs["job_process"] for t in study.trials}
    assert workers and all(not w.endswith(f":{os.getpid()}") for w in workers)
    assert all(t.intermediate_values for t in study.trials)

    runs = mlflow_runs(tmp_path, "gammasweep-default")
    parents = [r for r in runs if "gammasweep.study" in r.data.tags]
    children = [r for r in runs if "gammasweep.trial" in r.data.tags]
    assert len(parents) == 1 and parents[0].info.status == "FINISHED"
    assert len(children) == 10 and {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    assert parents[0].data.metrics["n_complete"] == 10
