"""The SQLite stores: WAL mode for both, and new MLflow stores copied from a migrated template."""

import sqlite3

from mlflow.tracking import MlflowClient

from sweeps.tracking import template as mlflow_template
from sweeps.storages.rdb import open_storage
from sweeps.tracking import client


def _journal_mode(path):
    with sqlite3.connect(path) as con:
        return con.execute("PRAGMA journal_mode").fetchone()[0]


def test_optuna_and_mlflow_stores_use_wal(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    open_storage(f"sqlite:///{tmp_path}/optuna.db").get_all_studies()
    client(f"sqlite:///{tmp_path}/mlflow.db").search_experiments()
    assert _journal_mode(tmp_path / "optuna.db") == "wal"
    assert _journal_mode(tmp_path / "mlflow.db") == "wal"


def test_a_seeded_store_is_what_mlflow_would_have_built(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    mlflow_template.seed(tmp_path / "a" / "seeded.db")
    assert list((tmp_path / "cache" / "gammasweep").glob("mlflow-*-empty.db"))
    seeded = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/a/seeded.db")
    built = MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/built.db")   # MLflow's own migrations

    def experiments(c):
        return [(e.experiment_id, e.name, e.artifact_location) for e in c.search_experiments()]

    assert experiments(seeded) == experiments(built)
    run = seeded.create_run(seeded.create_experiment("x"))
    seeded.log_metric(run.info.run_id, "loss", 0.5)
    assert seeded.get_run(run.info.run_id).data.metrics == {"loss": 0.5}


def test_seed_never_replaces_an_existing_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"somebody's store")
    mlflow_template.seed(db)
    assert db.read_bytes() == b"somebody's store"
    assert not list(tmp_path.glob(".mlflow.db.*"))   # no temporary copy left behind
