"""A named lock shared by every worker of an Optuna storage, wherever the workers run.

The sweeper holds it while it counts a study's trials and asks for new ones, so that workers
sharing ``hydra.sweeper.max_trials`` never overshoot it, and while it finds or creates the study's
MLflow experiment and parent run, so that workers starting together make one of each.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a connection of the
  storage's own engine; the server drops it if the worker dies.
- SQLite: ``fcntl.flock`` on ``<database>.lock`` beside the database file (every process of the
  machine; the kernel drops it if the worker dies). One file per database serves every name.
- MySQL: ``GET_LOCK``. Anything else: a lock of this process only, with a warning.

Holds are short (one batch of ``study.ask``), so waiters poll; after ``timeout`` seconds they give up
with a SweepError that names the lock.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import sqlalchemy

from ..adapters import optuna_private
from ..errors import SweepError

log = logging.getLogger(__name__)

TIMEOUT = 600.0   # seconds; a batch of asks takes well under one
_POLL = 0.05      # seconds between tries of a held lock
_local = threading.Lock()


@contextlib.contextmanager
def storage_lock(study_or_storage: Any, name: str, timeout: float = TIMEOUT) -> Iterator[None]:
    """Hold the lock ``name`` of the study's storage (or of a storage) for the ``with`` block."""
    storage = optuna_private.backend(study_or_storage)
    engine = getattr(storage, "engine", None)   # RDBStorage's
    dialect = engine.dialect.name if engine is not None else None
    if dialect == "postgresql":
        lock = _postgres(engine, name, timeout)
    elif dialect == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        db = Path(engine.url.database)
        lock = _file(db.with_name(db.name + ".lock"), name, timeout)
    elif dialect in ("mysql", "mariadb"):
        lock = _mysql(engine, name, timeout)
    else:
        log.warning("No cross-process lock for storage %s: only workers of this process are serialised.",
                    dialect or type(storage).__name__)
        lock = _thread(name, timeout)
    with lock:
        yield


def lock_key(name: str) -> int:
    """A signed 64-bit key for ``name`` (PostgreSQL's advisory lock keys are bigints)."""
    digest = hashlib.blake2b(f"gammasweep:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextlib.contextmanager
def _postgres(engine: sqlalchemy.Engine, name: str, timeout: float) -> Iterator[None]:
    key = lock_key(name)
    with engine.connect() as conn:
        _wait(lambda: conn.execute(sqlalchemy.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar(),
              name, timeout)
        conn.commit()   # the lock belongs to the session, not to this transaction
        try:
            yield
        finally:
            with contextlib.suppress(sqlalchemy.exc.DBAPIError):   # a lost connection released it
                conn.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


@contextlib.contextmanager
def _mysql(engine: sqlalchemy.Engine, name: str, timeout: float) -> Iterator[None]:
    key = f"gammasweep:{lock_key(name)}"   # MySQL lock names are at most 64 characters
    with engine.connect() as conn:
        _wait(lambda: conn.execute(sqlalchemy.text("SELECT GET_LOCK(:k, 0)"), {"k": key}).scalar() == 1,
              name, timeout)
        try:
            yield
        finally:
            with contextlib.suppress(sqlalchemy.exc.DBAPIError):
                conn.execute(sqlalchemy.text("SELECT RELEASE_LOCK(:k)"), {"k": key})


@contextlib.contextmanager
def _file(path: Path, name: str, timeout: float) -> Iterator[None]:
    import fcntl

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:   # a new open file description: threads exclude each other too

        def take() -> bool:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        _wait(take, f"{name} ({path})", timeout)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


@contextlib.contextmanager
def _thread(name: str, timeout: float) -> Iterator[None]:
    if not _local.acquire(timeout=timeout):
        _timeout(name, timeout)
    try:
        yield
    finally:
        _local.release()


def _wait(take, name: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not take():
        if time.monotonic() > deadline:
            _timeout(name, timeout)
        time.sleep(_POLL)


def _timeout(name: str, timeout: float) -> None:
    raise SweepError(
        f"Waited {timeout:.0f} s for the storage lock {name!r}, which another worker of this study "
        "holds. A worker holds it only while it asks Optuna for a batch of trials, so that worker "
        "is probably hung: stop it, and this one can go on."
    )
