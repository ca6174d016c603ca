"""What ``sweeps.adapters.mlflow_private`` relies on in MLflow's internals, on real SQLite stores.

Each test names the private thing it pins. A failure after an MLflow upgrade means the adapter's
function must change before pyproject.toml's bound on MLflow may be raised.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
import sys
from pathlib import Path

from mlflow.tracking import MlflowClient

from sweeps.adapters import mlflow_private

ROOT = Path(__file__).resolve().parents[2]
FIRST_CALL = """
import sys
from mlflow.tracking import MlflowClient

MODULE = "mlflow.store.tracking.sqlalchemy_store"
assert MODULE not in sys.modules
MlflowClient(tracking_uri="sqlite:///" + sys.argv[1]).search_experiments()
print(MODULE in sys.modules)
"""


def test_the_warm_up_imports_the_store_a_sqlite_clients_first_call_imports(tmp_path):
    """``mlflow.store.tracking.sqlalchemy_store``: what a ``sqlite:///`` client loads on its first call."""
    first = subprocess.run([sys.executable, "-c", FIRST_CALL, str(tmp_path / "m.db")], cwd=ROOT,
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and first.stdout.strip() == "True", first.stderr
    mlflow_private.import_sql_store()
    assert "mlflow.store.tracking.sqlalchemy_store" in sys.modules


def test_the_default_experiments_artifact_location_is_a_row_of_the_experiments_table(tmp_path, monkeypatch):
    """MLflow's SQLite schema: table ``experiments``, columns ``experiment_id`` and
    ``artifact_location``, the "Default" experiment at id 0 with its artifacts in
    ``<cwd>/mlruns/0`` (what ``mlflow_template.seed`` writes into a copy)."""
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "mlflow.db"
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    default = client.get_experiment("0")
    assert (default.name, default.artifact_location) == ("Default", str(tmp_path / "mlruns" / "0"))
    with contextlib.closing(sqlite3.connect(db)) as con:
        columns = {row[1] for row in con.execute("PRAGMA table_info(experiments)")}
    assert {"experiment_id", "name", "artifact_location"} <= columns

    elsewhere = str(tmp_path / "elsewhere" / "mlruns" / "0")
    mlflow_private.set_default_artifact_location(db, elsewhere)
    assert MlflowClient(tracking_uri=f"sqlite:///{db}").get_experiment("0").artifact_location == elsewhere
    run = client.create_run("0")   # the store still works, and runs of "Default" go there
    assert run.info.artifact_uri.startswith(elsewhere)


def test_the_schema_revisions_are_alembics_and_a_new_store_holds_the_newest(tmp_path, monkeypatch):
    """``mlflow/store/db_migrations/versions/*.py``, read as text: the same revisions and head as
    alembic finds in them, and the head is the ``alembic_version`` of a store this MLflow makes."""
    from alembic.script import ScriptDirectory

    head, known = mlflow_private.schema_revisions()
    import mlflow

    script = ScriptDirectory(str(Path(mlflow.__file__).parent / "store" / "db_migrations"))
    assert (head, known) == (script.get_current_head(), {r.revision for r in script.walk_revisions()})
    MlflowClient(tracking_uri=f"sqlite:///{tmp_path}/m.db").search_experiments()
    with contextlib.closing(sqlite3.connect(tmp_path / "m.db")) as con:
        assert con.execute("SELECT version_num FROM alembic_version").fetchall() == [(head,)]
