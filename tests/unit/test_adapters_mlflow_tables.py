"""What ``sweeps.adapters.mlflow_tables`` relies on: MLflow's SQLite schema, pinned by writing the
same run through ``MlflowClient`` and through the adapter and comparing every row they leave.

A failure after an MLflow upgrade means the adapter must change (and its revision join
``VERIFIED``) before pyproject.toml's bound on MLflow may be raised; until then an unverified
store is written through the client, so a newer MLflow is slower, never wrong.
"""

from __future__ import annotations

import contextlib
import sqlite3

import pytest
from mlflow.entities import Metric, Param, RunTag

from sweeps import tracking
from sweeps.adapters import mlflow_private, mlflow_tables
from sweeps.adapters.mlflow_tables import NewRun, RunResult

T0, T1, T2 = 1_700_000_000_000, 1_700_000_000_500, 1_700_000_009_000
TAGS = {"gammasweep.trial": "3", "mlflow.parentRunId": "p" * 32, "mlflow.source.git.commit": "abc"}
PARAMS = {"lr": "0.001", "gamma": "0.99", "optimizer": "rmsprop"}
METRICS = [("val_loss", 0.7, T1, 0), ("val_loss", 0.5, T1, 50), ("val_loss", 0.5, T1, 50),   # a duplicate
           ("val_loss", float("nan"), T1, 100), ("train_loss", float("inf"), T1, 100),
           ("train_loss", float("-inf"), T1, 0), ("final_val_loss", 0.45, T1, 0), ("diverged", 0.0, T1, 0)]
END_TAGS = {"gammasweep.state": "TRAINED", "mlflow.runName": "rmsprop γ=0.99 (trained) #3"}


@pytest.fixture
def store(tmp_path):
    db = tmp_path / "mlflow.db"
    client = tracking.client(f"sqlite:///{db}")   # a copy of a migrated empty store: as a sweep's
    experiment = client.create_experiment("e", artifact_location=(tmp_path / "art").as_uri())
    return db, client, experiment


def rows(db, run_id: str) -> dict[str, list]:
    """Every row of every table that refers to the run, its id replaced by "RUN"."""
    out = {}
    with contextlib.closing(sqlite3.connect(db)) as con:
        tables = [t for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
            if "run_uuid" in columns:
                found = con.execute(f"SELECT * FROM {table} WHERE run_uuid = ?", (run_id,)).fetchall()
                out[table] = sorted(tuple("RUN" if v == run_id else (v.replace(run_id, "RUN") if isinstance(v, str)
                                                                       else v) for v in row) for row in found)
    return out


def by_client(client, experiment) -> str:
    run = client.create_run(experiment, start_time=T0, tags=TAGS, run_name="rmsprop γ=0.99 #3").info.run_id
    client.log_batch(run, metrics=[Metric(k, v, t, s) for k, v, t, s in METRICS],
                     params=[Param(k, v) for k, v in PARAMS.items()], tags=[RunTag(k, v) for k, v in END_TAGS.items()])
    client.set_terminated(run, status="FINISHED", end_time=T2)
    return run


def test_the_installed_mlflows_schema_is_a_verified_one(store):
    """The revision a store of this MLflow holds is one whose rows this file checks."""
    db, _, _ = store
    head, _ = mlflow_private.schema_revisions()
    assert head in mlflow_tables.VERIFIED and mlflow_tables.writable(db)


def test_a_run_written_directly_leaves_the_rows_the_client_leaves(store):
    """Tables ``runs``, ``tags``, ``params``, ``metrics``, ``latest_metrics`` (NaN as 0 and is_nan,
    ±inf as ±float max, the latest value by step, a duplicate once, the run name in ``runs.name``),
    and nothing in any other table that refers to a run."""
    db, client, experiment = store
    theirs = by_client(client, experiment)
    new = NewRun("rmsprop γ=0.99 #3", dict(TAGS), T0)
    mlflow_tables.insert_runs(db, experiment, [new])
    ended = RunResult(new.run_id, dict(PARAMS), list(METRICS), dict(END_TAGS), "FINISHED", T2)
    mlflow_tables.write_results(db, [ended])
    assert rows(db, new.run_id) == rows(db, theirs)
    assert {k for k, v in rows(db, theirs).items() if v} == {"runs", "tags", "params", "metrics", "latest_metrics"}
    mine, client_run = client.get_run(new.run_id), client.get_run(theirs)
    assert mine.info.run_name == client_run.info.run_name == END_TAGS["mlflow.runName"]
    assert repr(mine.data.metrics) == repr(client_run.data.metrics)   # NaN included
    assert mine.data.params == client_run.data.params


def test_later_results_keep_the_latest_metric_as_the_client_does(store):
    """A second write to a run: the latest value per key moves only to a greater (step, timestamp, value)."""
    db, client, experiment = store
    theirs = by_client(client, experiment)
    new = NewRun("rmsprop γ=0.99 #3", dict(TAGS), T0)
    mlflow_tables.insert_runs(db, experiment, [new])
    mlflow_tables.write_results(db, [RunResult(new.run_id, dict(PARAMS), list(METRICS), dict(END_TAGS))])
    later = [("val_loss", 0.1, T1, 20), ("diverged", 1.0, T2, 0)]
    client.log_batch(theirs, metrics=[Metric(*m) for m in later])
    mlflow_tables.write_results(db, [RunResult(new.run_id, metrics=later, status="FINISHED", end_time=T2)])
    assert rows(db, new.run_id)["latest_metrics"] == rows(db, theirs)["latest_metrics"]


def test_what_mlflow_refuses_is_refused_and_nothing_is_written(store):
    """A changed param, a deleted run or experiment: refused whole, as the client refuses them."""
    db, client, experiment = store
    a, b = NewRun("a", {}, T0), NewRun("b", {}, T0)
    mlflow_tables.insert_runs(db, experiment, [a, b])
    mlflow_tables.write_results(db, [RunResult(a.run_id, {"lr": "0.1"})])
    with pytest.raises(ValueError, match="changing param values"):
        mlflow_tables.write_results(db, [RunResult(b.run_id, {"lr": "1"}, status="FINISHED", end_time=T2),
                                         RunResult(a.run_id, {"lr": "0.2"})])
    assert client.get_run(b.run_id).data.params == {} and client.get_run(b.run_id).info.status == "RUNNING"
    client.delete_run(b.run_id)
    with pytest.raises(LookupError):
        mlflow_tables.write_results(db, [RunResult(b.run_id, status="FINISHED", end_time=T2)])
    client.delete_experiment(experiment)
    with pytest.raises(LookupError, match="deleted"):
        mlflow_tables.insert_runs(db, experiment, [NewRun("c", {}, T0)])


def test_fits_uses_mlflows_own_checks():
    """``mlflow.utils.validation``: names with characters MLflow refuses, or too long, go to the client."""
    assert mlflow_tables.fits(RunResult("r", {"lr": "1"}, [("val_loss", 1.0, T1, 0)], {"a": "b"}))
    assert not mlflow_tables.fits(RunResult("r", metrics=[("bad$name", 1.0, T1, 0)]))
    assert not mlflow_tables.fits(RunResult("r", {"lr": "x" * 6001}))
    assert not mlflow_tables.fits(NewRun("n", {"k" * 251: "v"}, T0))
