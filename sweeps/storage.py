"""Optuna's RDB storage: SQLite on one machine by default, PostgreSQL (or any RDB URL) to share."""

from __future__ import annotations

import functools
from pathlib import Path

import optuna
from optuna.storages import RDBStorage, RetryFailedTrialCallback

from .errors import SweepError


@functools.lru_cache(maxsize=None)
def open_storage(
    url: str,
    heartbeat_interval: int | None = None,
    grace_period: int | None = None,
    retry_failed_trials: int = 0,
) -> RDBStorage:
    """One storage (one connection pool) per URL and process, shared by the sweeper and tasks."""
    engine_kwargs: dict = {}
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Writers from several local processes wait for the file lock instead of failing.
        engine_kwargs["connect_args"] = {"timeout": 60}
    else:
        engine_kwargs["pool_pre_ping"] = True   # survive a database restart between trials
    callback = RetryFailedTrialCallback(max_retry=retry_failed_trials) if retry_failed_trials else None
    try:
        return RDBStorage(
            url,
            engine_kwargs=engine_kwargs,
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            failed_trial_callback=callback,
        )
    except Exception as e:  # SQLAlchemy's errors differ per driver; all mean "cannot open"
        raise SweepError(
            f"Cannot open the Optuna storage {_redact(url)!r} (hydra.sweeper.storage): "
            f"{type(e).__name__}: {str(e).splitlines()[0]}. Use a writable sqlite:///path.db "
            "or a reachable database URL such as postgresql://user:password@host:5432/db."
        ) from None


def _redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, creds = head.partition("//")
    return f"{scheme}//{creds.split(':', 1)[0]}:***@{tail}"
