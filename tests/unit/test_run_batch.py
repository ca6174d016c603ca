"""A population job's MLflow runs written together (``sweeps.tracking.run_batch``), on real stores."""

from __future__ import annotations

import pytest

from sweeps import tracking
from sweeps.adapters import mlflow_tables
from sweeps.tracking.run_batch import RunBatch

HISTORY = [("val_loss", 0.7, 0), ("val_loss", 0.5, 50), ("train_loss", 0.6, 50)]


@pytest.fixture
def store(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    experiment = tracking.ensure_experiment(uri, "e", None)
    parent = tracking.client(uri).create_run(experiment).info.run_id
    return uri, experiment, parent


def statuses(uri, experiment) -> dict[str, str]:
    return {r.info.run_name: r.info.status for r in tracking.client(uri).search_runs([experiment])}


def test_runs_are_created_at_the_first_flush_and_ended_at_the_next(store):
    uri, experiment, parent = store
    batch = RunBatch(uri)
    ids = [batch.start_child(experiment, parent, f"m{i}", {"gammasweep.trial": i}) for i in range(3)]
    assert "m0" not in statuses(uri, experiment)
    assert batch.flush() == {}
    assert {statuses(uri, experiment)[f"m{i}"] for i in range(3)} == {"RUNNING"}
    for i, run_id in enumerate(ids):
        batch.log_all(run_id, {"lr": 0.1 * (i + 1)}, HISTORY, {"objective": 0.5}, {"gammasweep.state": "TRAINED"})
        batch.finish(run_id, "FAILED" if i == 2 else "FINISHED")
    assert statuses(uri, experiment)["m0"] == "RUNNING"
    assert batch.flush() == {}
    assert [statuses(uri, experiment)[f"m{i}"] for i in range(3)] == ["FINISHED", "FINISHED", "FAILED"]
    client = tracking.client(uri)
    run = client.get_run(ids[1])
    assert run.data.params == {"lr": "0.2"} and run.data.metrics == {"val_loss": 0.5, "train_loss": 0.6,
                                                                      "objective": 0.5}
    assert run.data.tags["mlflow.parentRunId"] == parent and run.data.tags["gammasweep.trial"] == "1"
    assert [(m.step, m.value) for m in client.get_metric_history(ids[1], "val_loss")] == [(0, 0.7), (50, 0.5)]


@pytest.mark.parametrize("why", ["unbatched", "unverified schema"])
def test_without_the_fast_path_every_call_is_written_at_once(store, monkeypatch, why):
    uri, experiment, parent = store
    if why == "unverified schema":
        monkeypatch.setattr(mlflow_tables, "VERIFIED", frozenset())
    batch = RunBatch(uri, batched=why != "unbatched")
    run_id = batch.start_child(experiment, parent, "m", {})
    assert statuses(uri, experiment)["m"] == "RUNNING"
    batch.log_all(run_id, {"lr": 1}, HISTORY)
    batch.finish(run_id)
    assert statuses(uri, experiment)["m"] == "FINISHED"
    assert batch.flush() == {}


def test_a_run_that_cannot_be_written_is_named_and_its_neighbours_are_written(store):
    """A deleted run refuses its results: the batch is written run by run through the client,
    which names the cause for that run alone."""
    uri, experiment, parent = store
    batch = RunBatch(uri)
    a, b = (batch.start_child(experiment, parent, name, {}) for name in "ab")
    batch.flush()
    tracking.client(uri).delete_run(b)
    for run_id in (a, b):
        batch.log_all(run_id, {"lr": 1}, HISTORY)
        batch.finish(run_id)
    errors = batch.flush()
    assert list(errors) == [b] and "deleted" in str(errors[b]).lower()
    assert tracking.client(uri).get_run(a).info.status == "FINISHED"
