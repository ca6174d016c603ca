"""MLflow's private API: every use of it in gammasweep, each behind one small function.

- ``mlflow.store.tracking.sqlalchemy_store``, the SQL tracking store behind a ``sqlite:///`` URI,
  imported ahead of a job's first call to pay its import in a warm-up;
- MLflow's SQLite schema: the ``experiments`` table of a store copied from a template
  (``mlflow_template``) gets the artifact location of its "Default" experiment by an UPDATE,
  ``MlflowClient`` having no call that changes an experiment's artifact location.

tests/unit/test_adapters_mlflow.py pins each behaviour relied on.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path


def import_sql_store() -> None:
    """Import MLflow's SQL tracking store (``mlflow.store.tracking.sqlalchemy_store``, ~0.8 s),
    the module ``MlflowClient`` loads on its first call to a ``sqlite:///`` store."""
    import mlflow.store.tracking.sqlalchemy_store  # noqa: F401


def set_default_artifact_location(db: Path, location: str) -> None:
    """Set the artifact location of the "Default" experiment (id 0) of the SQLite tracking store
    ``db`` to ``location``: raw SQL on MLflow's ``experiments`` table (columns ``experiment_id``,
    ``artifact_location``), committed before it returns."""
    with contextlib.closing(sqlite3.connect(db)) as con, con:
        con.execute("UPDATE experiments SET artifact_location = ? WHERE experiment_id = 0", (location,))
