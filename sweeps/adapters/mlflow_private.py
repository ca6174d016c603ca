"""MLflow's private API: every use of it in gammasweep, each behind one small function.

- ``mlflow.store.tracking.sqlalchemy_store``, the SQL tracking store behind a ``sqlite:///`` URI,
  imported ahead of a job's first call to pay its import in a warm-up;
- MLflow's SQLite schema: the ``experiments`` table of a store copied from a template
  (``mlflow_template``) gets the artifact location of its "Default" experiment by an UPDATE,
  ``MlflowClient`` having no call that changes an experiment's artifact location;
- MLflow's alembic migration scripts (``mlflow/store/db_migrations/versions``): the schema
  revisions this MLflow knows, to refuse a store written by a newer one before MLflow opens it.

tests/unit/test_adapters_mlflow.py pins each behaviour relied on.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
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


def schema_revisions() -> tuple[str, frozenset[str]]:
    """The newest schema revision of the installed MLflow and every revision it can upgrade from:
    the ``version_num`` an MLflow SQL store holds in its ``alembic_version`` table is one of them,
    unless a newer MLflow wrote the store. Read as text from MLflow's alembic migration scripts
    (``mlflow/store/db_migrations/versions/*.py``, each with ``revision = "..."`` and
    ``down_revision = "..."``): loading them through alembic would import all of MLflow (~3 s)."""
    folder = Path(importlib.util.find_spec("mlflow").submodule_search_locations[0]) / "store" / "db_migrations" / "versions"
    revisions, parents = set(), set()
    for script in folder.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        revisions.update(_REVISION.findall(text))
        parents.update(_DOWN.findall(text))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"MLflow's migration scripts in {folder} have {len(heads)} heads: {sorted(heads)}")
    return heads.pop(), frozenset(revisions)


_REVISION = re.compile(r'^revision\s*=\s*["\']([0-9a-f]+)["\']', re.MULTILINE)
_DOWN = re.compile(r'^down_revision\s*=\s*["\']([0-9a-f]+)["\']', re.MULTILINE)
