"""Where a sweep writes: the output folder, the Optuna storage and the MLflow store, checked without
changing them. A SQLite file is read read-only: a damaged one, a locked one, another program's
database and an MLflow store of a newer MLflow are refused before Optuna or MLflow opens them
(both would add their tables and switch the file to WAL; MLflow retries a bad store for minutes)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sweeps.errors import SweepError, redact

TRACKING_SCHEMES = ("sqlite:///", "http://", "https://", "file:", "postgresql", "mysql", "mssql")
_SQLITE_HEADER = b"SQLite format 3\x00"
# Seconds a check waits for another process's lock on a SQLite file (a commit holds it for
# milliseconds; a lock held this long is another program's transaction).
LOCK_WAIT = 10
# Tables that mark a store: Optuna's storage, MLflow's tracking store. Either is accepted for
# both settings (one file may hold both); a file with tables and neither is another program's.
_MARKS = {"Optuna": {"studies", "version_info"}, "MLflow": {"experiments", "runs"}}
_SETTINGS = {"hydra.sweeper.storage": "Optuna storage", "mlflow.tracking_uri": "MLflow store"}


def check_output_dir(path: Any) -> None:
    """The folder everything is written to exists (it is created) and takes a file."""
    if path is None or not str(path).strip():
        raise SweepError(
            f"output_dir={path!r} is not allowed: it must name a folder (the stores' URLs are built on it, "
            "and an empty one would put them at the root of the file system). The default is ./outputs, "
            "or GAMMASWEEP_OUTPUT_DIR."
        )
    try:
        folder = Path(str(path))
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise SweepError(
            f"output_dir={str(path)!r} cannot be written to ({e.strerror or type(e).__name__}). Set "
            "output_dir (or GAMMASWEEP_OUTPUT_DIR) to a folder you can write; nothing was started."
        ) from None


def check_storage_url(url: Any) -> None:
    """``hydra.sweeper.storage``: a database URL naming a database that outlives the process."""
    if not isinstance(url, str) or "://" not in url:
        raise SweepError(
            f"hydra.sweeper.storage={redact(str(url))!r} is not a database URL: use sqlite:///path.db "
            "(the default, under output_dir) or a database URL such as postgresql://user@host/db."
        )
    check_sqlite(url, "hydra.sweeper.storage")


def check_tracking_uri(uri: Any) -> None:
    if not isinstance(uri, str) or not uri.startswith(TRACKING_SCHEMES):
        raise SweepError(
            f"mlflow.tracking_uri={redact(str(uri))!r} is not supported: use sqlite:///path.db (the "
            "default), the http:// or https:// URL of an `mlflow server`, or a database URL "
            "(postgresql://...)."
        )
    if uri.startswith("file:") and os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() not in ("true", "1"):
        raise SweepError(
            f"mlflow.tracking_uri={redact(uri)!r} is not supported: this MLflow ({_mlflow_version()}) refuses "
            "a file store unless MLFLOW_ALLOW_FILE_STORE=true is set. Use sqlite:///path.db (the "
            "default) or the URL of an `mlflow server`."
        )
    check_sqlite(uri, "mlflow.tracking_uri")


def _mlflow_version() -> str:
    from importlib.metadata import version

    return version("mlflow")


def check_artifact_location(location: Any) -> None:
    """``mlflow.artifact_location``: null, a URI MLflow resolves (s3://, ...), or a folder that can be
    made and written to."""
    if location is None or (isinstance(location, str) and "://" in location and not location.startswith("file:")):
        return
    path = str(location).removeprefix("file://").removeprefix("file:")
    try:
        Path(path).mkdir(parents=True, exist_ok=True)
        if not os.access(path, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as e:
        raise SweepError(
            f"mlflow.artifact_location={location!r} cannot be written to ({e.strerror or type(e).__name__}): "
            "use null (mlartifacts/ beside a SQLite store) or a writable folder; nothing was started."
        ) from None


def check_sqlite(url: str, setting: str) -> None:
    """A SQLite store is a file in a writable folder and, if the file exists, a sound database of
    its kind, not locked by another process; nothing is written to it."""
    if not url.startswith("sqlite:"):
        return
    path = url.removeprefix("sqlite:///") if url.startswith("sqlite:///") else ""
    if path in ("", ":memory:") or path.startswith(("file::memory:", ":memory:?")) or "mode=memory" in path:
        raise SweepError(
            f"{setting}={redact(url)!r} is not allowed: it names no file, and an in-memory SQLite "
            "database vanishes with the process (workers could not share it either). Use "
            "sqlite:///path/to/file.db (the default is under output_dir)."
        )
    db = Path(path)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(db.parent, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as e:
        raise SweepError(
            f"{setting}={redact(url)!r}: its folder {str(db.parent)!r} cannot be written to "
            f"({e.strerror or type(e).__name__}). Use a sqlite:///path.db in a writable folder; "
            "nothing was started."
        ) from None
    if not db.exists() or db.stat().st_size == 0:
        return
    what = _SETTINGS.get(setting, "store")
    try:
        tables, revision = _read(db)
    except sqlite3.OperationalError as e:
        if "locked" in str(e):
            raise _locked(url, db, setting) from None
        problem = f"{type(e).__name__}: {e}"
    except (OSError, sqlite3.Error) as e:
        problem = f"{type(e).__name__}: {e}"
    else:
        problem = None
    if problem:
        raise SweepError(
            f"{setting}={redact(url)!r}: {str(db)!r} is not a usable SQLite database ({problem}). "
            "Restore it from a backup, or move it aside to start afresh (its studies or runs are in "
            "it); nothing was started or changed."
        )
    if tables and not any(marks <= tables for marks in _MARKS.values()):
        shown = ", ".join(sorted(tables)[:10]) + (f", ... ({len(tables)} in all)" if len(tables) > 10 else "")
        raise SweepError(
            f"{setting}={redact(url)!r}: {str(db)!r} is a SQLite database of another program (its tables: "
            f"{shown}), not an {what}; it was left unchanged. Point {setting} at another file, or move "
            "this one aside."
        )
    if setting == "mlflow.tracking_uri" and revision is not None and _MARKS["MLflow"] <= tables:
        _check_mlflow_revision(url, db, revision)
    if not _writable(db):
        raise _locked(url, db, setting)


def _locked(url: str, db: Path, setting: str) -> SweepError:
    return SweepError(
        f"{setting}={redact(url)!r}: {str(db)!r} is locked by another process, which held its lock for "
        f"the {LOCK_WAIT} s this waited (a lock, not damage). Let that process finish, or stop it (`fuser "
        f"{db!s}` names it), then run the same command again; nothing was started or changed."
    )


def _writable(db: Path) -> bool:
    """Can this process take the write lock within ``LOCK_WAIT`` seconds? Taken and given back
    (BEGIN IMMEDIATE, ROLLBACK): nothing is written. A WAL database lets readers in while another
    process holds an exclusive transaction, so reading it proves nothing about writing."""
    try:
        with contextlib.closing(sqlite3.connect(db, timeout=LOCK_WAIT, isolation_level=None)) as con:
            con.execute("BEGIN IMMEDIATE")
            con.execute("ROLLBACK")
    except sqlite3.OperationalError as e:
        if "locked" in str(e) or "busy" in str(e):
            return False
        raise
    return True


def _read(db: Path) -> tuple[set[str], str | None]:
    """The tables of ``db`` and its alembic revision (None without one), after a quick check of its
    pages; read-only, waiting at most ``LOCK_WAIT`` seconds for another process's lock."""
    with open(db, "rb") as f:
        if f.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
            raise sqlite3.DatabaseError("it does not start with the SQLite header")
    uri = f"{db.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=LOCK_WAIT)) as con:
        found = [r[0] for r in con.execute("PRAGMA quick_check(3)").fetchall()]
        if found != ["ok"]:
            raise sqlite3.DatabaseError("quick_check: " + "; ".join(found))
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = None
        if "alembic_version" in tables:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    return tables, revision


def _check_mlflow_revision(url: str, db: Path, revision: str) -> None:
    """An MLflow store written by a newer MLflow than this one: MLflow would fail on it after
    minutes of retries. An older revision is fine (MLflow upgrades it, as it always does)."""
    from sweeps.adapters import mlflow_private

    head, known = mlflow_private.schema_revisions()
    if revision not in known:
        raise SweepError(
            f"mlflow.tracking_uri={redact(url)!r}: {str(db)!r} has MLflow schema revision {revision!r}, "
            f"which the installed MLflow {_mlflow_version()} (newest schema revision {head!r}) does not "
            "know: a newer MLflow wrote it. Upgrade MLflow (pip install -U mlflow) to use it, or point "
            "mlflow.tracking_uri at another file; it was left unchanged."
        )
