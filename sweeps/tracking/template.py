"""A new SQLite tracking database starts as a copy of an empty one MLflow migrated before.

MLflow builds a new SQLite store by running its whole history of schema migrations (~0.7 s in
WAL mode, ~1.5 s without), and every fresh output folder pays that again. The first time on a
machine, for each MLflow version, we let MLflow build an empty store in the user's cache
(``$XDG_CACHE_HOME/gammasweep``, else ``~/.cache/gammasweep``); after that a new store is a file
copy. The copy is published with ``os.link``, which fails if the file exists, so workers that
start together on one new database never overwrite each other's writes. Whatever goes wrong
(no cache folder, a file system without hard links) only means MLflow builds the store itself.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from sweeps.adapters import mlflow_private

log = logging.getLogger(__name__)


def seed(db: Path) -> None:
    """Create ``db`` from the template if it does not exist yet; never touch an existing file."""
    if db.exists() or db.name in ("", ":memory:"):
        return
    try:
        template = _template()
        fd, tmp = tempfile.mkstemp(prefix=f".{db.name}.", dir=db.parent)
        os.close(fd)
        try:
            shutil.copyfile(template, tmp)
            # where a store made here would put the "Default" experiment's artifacts
            mlflow_private.set_default_artifact_location(Path(tmp), str(Path.cwd() / "mlruns" / "0"))
            os.link(tmp, db)   # atomic, and refuses to replace a store another worker created
        finally:
            os.unlink(tmp)
    except FileExistsError:
        pass
    except Exception as e:  # noqa: BLE001 - a missed shortcut, never an error
        log.debug("MLflow store template not used for %s: %s: %s", db, type(e).__name__, e)


def _template() -> Path:
    import mlflow
    from mlflow.tracking import MlflowClient

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gammasweep"
    template = cache / f"mlflow-{mlflow.__version__}-empty.db"
    if not template.exists():
        cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".mlflow-", suffix=".db", dir=cache)
        os.close(fd)
        os.unlink(tmp)   # MLflow creates the file itself
        try:
            MlflowClient(tracking_uri=f"sqlite:///{tmp}").search_experiments()   # builds the schema
            with contextlib.closing(sqlite3.connect(tmp)) as con:
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")   # everything into the file itself
            os.replace(tmp, template)
        finally:
            for leftover in (tmp, tmp + "-wal", tmp + "-shm"):
                Path(leftover).unlink(missing_ok=True)
    return template
