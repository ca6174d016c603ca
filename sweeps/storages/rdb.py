"""Optuna's RDB storage: SQLite on one machine by default, PostgreSQL (or any RDB URL) to share."""

from __future__ import annotations

import contextlib
import copy
import functools
import logging
import time
import warnings
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import optuna
import sqlalchemy.exc
from optuna.storages import BaseStorage, RDBStorage, RetryHeartbeatStaleTrialCallback
from optuna.trial import FrozenTrial

from . import sqlite_wal
from ..errors import SweepError, redact
from ..redaction import guard_handlers
from sweeps import disk_full, records

log = logging.getLogger(__name__)
T = TypeVar("T")

# Opening a storage is tried this often, waiting BACKOFF * 2**i seconds between tries: a database
# that is restarting gets a few seconds, an unreachable one fails the sweep in about three.
ATTEMPTS, BACKOFF = 3, 1.0


class StaleTrials:
    """The storage's ``heartbeat_stale_trial_callback``: re-queue a killed worker's trial.

    ``heartbeat.fail_stale`` calls it once for each RUNNING trial whose worker died and that
    this process failed; it re-queues the trial (same params, a new number) up
    to ``max_retry`` times, and remembers it so that the sweeper can close its MLflow run.
    """

    def __init__(self, max_retry: int):
        self.max_retry = max_retry
        with warnings.catch_warnings():   # experimental since Optuna 2.8, and stable in use
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            self.retry = RetryHeartbeatStaleTrialCallback(max_retry=max_retry) if max_retry else None
        self.failed: list[FrozenTrial] = []

    def owes(self, trial: FrozenTrial) -> bool:
        """Is a retry of this failed trial allowed (retries on, its chain shorter than max_retry)?"""
        return self.retry is not None and len(retry_history(trial)) < self.max_retry

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        why = trial.user_attrs.get(records.ERROR, "no heartbeat for the grace period")
        log.warning("Trial %d of %s: %s. Failed it%s.",
                    trial.number, study.study_name, why, ", and re-queued it" if self.retry else "")
        if self.retry is not None:   # the retry inherits system attrs, but not the owner: it has none yet
            retry = copy.copy(trial)
            retry.system_attrs = {k: v for k, v in trial.system_attrs.items() if k != records.OWNER}
            self.retry(study, retry)
        self.failed.append(trial)

    def drain(self) -> list[FrozenTrial]:
        failed, self.failed = self.failed, []
        return failed


def retry_history(trial: FrozenTrial) -> list[int]:
    """The numbers of the trials that ``trial`` retries, the first failed one first; empty for a
    trial that retries none (``RetryHeartbeatStaleTrialCallback.retry_history``)."""
    return retried_numbers([trial])


def retried_numbers(trials: list[FrozenTrial]) -> list[int]:
    """The numbers of the trials that any of ``trials`` retries (their retry histories, joined)."""
    with warnings.catch_warnings():   # experimental since Optuna 3.0, and stable in use
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return [n for t in trials for n in RetryHeartbeatStaleTrialCallback.retry_history(t)]


# Refused, timed out, DNS, locked; or, on a new database, another worker creating Optuna's tables
# at the same moment (PostgreSQL: a duplicate pg_type row or "relation already exists").
_TRANSIENT = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError)


# libpq's settings (seconds unless named): 10 s to connect; a connection whose peer vanished (a
# host down, a network lost) is found dead by TCP keepalives after ~25 s idle, or after 30 s of
# unacknowledged data (tcp_user_timeout, ms, libpq >= 12), rather than when the OS gives up
# (~15 min), so every wait on the database ends and the lost-database handling takes over.
POSTGRES_CONNECT = {"connect_timeout": 10, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                    "keepalives_count": 3, "tcp_user_timeout": 30000}


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
        sqlite_wal.install()
        # Writers from several local processes wait for the file lock instead of failing.
        engine_kwargs["connect_args"] = {"timeout": 60}
    else:
        engine_kwargs["pool_pre_ping"] = True   # survive a database restart between trials
        if url.startswith(("postgresql", "postgres")):
            engine_kwargs["connect_args"] = POSTGRES_CONNECT
    callback = StaleTrials(retry_failed_trials) if heartbeat_interval else None
    guard_handlers()   # Optuna's and SQLAlchemy's loggers print through handlers of their own
    for attempt in range(ATTEMPTS):
        try:
            with warnings.catch_warnings():   # heartbeat_interval is "experimental" since 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return RDBStorage(
                    url,
                    engine_kwargs=engine_kwargs,
                    heartbeat_interval=heartbeat_interval,
                    grace_period=grace_period,
                    heartbeat_stale_trial_callback=callback,
                )
        except _TRANSIENT as e:
            if attempt + 1 == ATTEMPTS:
                raise SweepError(_cannot_open(url, e, f" after {ATTEMPTS} attempts")) from None
            log.warning("Cannot open the Optuna storage %s (%s); retrying.", redact(url), _first_line(e))
            time.sleep(BACKOFF * 2**attempt)
        except Exception as e:  # SQLAlchemy's errors differ per driver; all mean "cannot open"
            raise SweepError(_cannot_open(url, e, "")) from None
    raise AssertionError("unreachable")


# A database lost mid-sweep: SQLAlchemy's errors, or Optuna's wrapper of a failed commit.
_LOST = (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError, optuna.exceptions.StorageInternalError)
# How long a worker waits for a database that went away (a restart takes seconds), retrying
# with backoff (0.5 s doubling to 8 s); the pool's pre-ping then replaces the dead connections.
RIDE_OUT = 45.0


def riding_out(call: Callable[[], T], what: str, patience: float = RIDE_OUT) -> T:
    """``call()``, retried while the database is away, for up to ``patience`` seconds."""
    deadline, delay = time.monotonic() + patience, 0.5
    while True:
        try:
            return call()
        except _LOST as e:
            if time.monotonic() + delay > deadline or disk_full.caused(e):   # a full disk stays full
                raise
            log.warning("The Optuna storage does not answer while %s (%s); retrying in %.1f s.",
                        what, _first_line(e), delay)
            time.sleep(delay)
            delay = min(2 * delay, 8.0)


@contextlib.contextmanager
def storage_errors(url: str) -> Iterator[None]:
    """Turn a database lost in the middle of a sweep into one paragraph (a SweepError: exit 2)."""
    try:
        yield
    except _LOST as e:
        raise SweepError(
            f"Lost the Optuna storage {redact(url)!r} (hydra.sweeper.storage) in the middle of the "
            f"sweep, and it did not come back within {RIDE_OUT:.0f} s: {_first_line(e)}. Finished "
            "trials are safe in it. Trials this worker was running stay RUNNING until another worker "
            "fails and retries them (set hydra.sweeper.heartbeat_interval, grace_period and "
            "retry_failed_trials); run the same command again once the database is back."
        ) from None


def _cannot_open(url: str, e: Exception, tries: str) -> str:
    cause = e.__cause__ if isinstance(e, ImportError) and e.__cause__ else e
    hint = (
        " The PostgreSQL driver is missing: pip install -e '.[scale]' (psycopg2-binary) and name it "
        "in the URL, postgresql+psycopg2://... (a bare postgresql:// means psycopg 3 to SQLAlchemy 2.1)."
        if isinstance(e, ImportError) and url.startswith(("postgresql", "postgres")) else ""
    )
    return (
        f"Cannot open the Optuna storage {redact(url)!r} (hydra.sweeper.storage){tries}: "
        f"{type(cause).__name__}: {_first_line(cause)}.{hint} Use a writable sqlite:///path.db "
        "or a reachable database URL such as postgresql+psycopg2://user@host:5432/db (user:password@ "
        "with a password, percent-encoded); "
        "no trial was started or changed."
    )


def lost_storage(outcome: object) -> str | None:
    """Why a job failed, if it failed because the Optuna storage was away (not the trial's fault:
    it is failed and retried like a dead worker's trial); else None."""
    if isinstance(outcome, _LOST):
        return f"the Optuna storage was away ({type(outcome).__name__}: {_first_line(outcome)})"
    return None


def _first_line(e: BaseException) -> str:
    text = str(e).strip()
    # psycopg2's message follows SQLAlchemy's "(psycopg2.OperationalError) " prefix.
    return (text.splitlines() or [""])[0].strip() or type(e).__name__



def open_existing(url: str) -> BaseStorage:
    """Open a storage to read; a missing SQLite file is an error, never a new empty database."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise SweepError(
                f"There is no Optuna storage at {str(path)!r} ({url}): the file does not exist. "
                "Run a sweep first (python sweep.py -m), or point at the one it wrote with "
                "--output-dir DIR (the sweep's output_dir, holding optuna.db) or --storage URL "
                "(hydra.sweeper.storage)."
            )
        from sweeps.checks import check_sqlite

        check_sqlite(url, "hydra.sweeper.storage")   # damaged, locked, another program's: left unchanged
    elif url.startswith("sqlite:"):
        raise SweepError(f"Cannot read the Optuna storage {url!r}: a SQLite URL is sqlite:///path/to/optuna.db.")
    return open_storage(url)
