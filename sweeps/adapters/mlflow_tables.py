"""MLflow's SQL schema, written directly: a job's runs created in one transaction and their
results (params, metric histories, tags, end) written in one more.

``MlflowClient`` commits every call on its own through SQLAlchemy's ORM: creating a run, its
``log_batch`` (params, metrics and tags: three transactions) and ``set_terminated`` cost ~27 ms
a run on SQLite, more than a small model's training. These functions write the same rows with
``sqlite3`` into the tables ``runs``, ``tags``, ``params``, ``metrics`` and ``latest_metrics``,
as MLflow's ``SqlAlchemyStore`` writes them (``create_run``, ``log_batch``, ``update_run_info``):
NaN stored as 0 with ``is_nan``, ±inf as ±float max, a run's latest value per key the greatest
(step, timestamp, value), ``mlflow.runName`` kept in the run's ``name`` too, an identical metric
logged once. They are used only on a store whose schema revision is in ``VERIFIED``, the revisions
whose rows ``tests/unit/test_adapters_mlflow_tables.py`` compares with ``MlflowClient``'s; any
other store (an older or newer MLflow, a server, PostgreSQL) is written through the client.
"""

from __future__ import annotations

import contextlib
import functools
import math
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

# MLflow's alembic head revisions whose rows match the client's (tests/unit/test_adapters_mlflow_tables.py)
VERIFIED = frozenset({"dc11669786a5"})   # MLflow 3.17
_MAX_FLOAT = 1.7976931348623157e308
_RUN_NAME = "mlflow.runName"


@dataclass
class NewRun:
    """A run to create: as ``MlflowClient.create_run(experiment_id, run_name=name, tags=tags)``."""
    name: str
    tags: dict[str, str]
    start_time: int                      # ms since the epoch
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class RunResult:
    """What ``log_batch`` and ``set_terminated`` write to a run."""
    run_id: str
    params: dict[str, str] = field(default_factory=dict)
    metrics: list[tuple[str, float, int, int]] = field(default_factory=list)   # key, value, timestamp, step
    tags: dict[str, str] = field(default_factory=dict)
    status: str | None = None            # FINISHED, FAILED, KILLED: the run ends
    end_time: int | None = None


def writable(db: Path) -> bool:
    """True if ``db`` is an MLflow SQLite store whose schema revision is in ``VERIFIED``."""
    return _revision(str(Path(db).resolve())) in VERIFIED


@functools.lru_cache(maxsize=None)
def _revision(db: str) -> str | None:
    with contextlib.suppress(sqlite3.Error), contextlib.closing(_connect(db)) as con:
        row = con.execute("SELECT version_num FROM alembic_version").fetchone()
        return row[0] if row else None
    return None


def fits(run: NewRun | RunResult) -> bool:
    """True if MLflow's own checks (``mlflow.utils.validation``) take every key and value as it
    is; anything else goes through the client, which refuses (or truncates) it in its own way."""
    try:
        return (all(_metric_key(k) and isinstance(v, float) and isinstance(ts, int) and ts >= 0 and isinstance(s, int)
                    for k, v, ts, s in getattr(run, "metrics", ()))
                and all(_tag(k, str(v)) for k, v in run.tags.items())
                and all(_param(k, str(v)) for k, v in getattr(run, "params", {}).items()))
    except Exception:  # MlflowException: a name or a length MLflow refuses
        return False


@functools.lru_cache(maxsize=4096)
def _metric_key(key: str) -> bool:
    from mlflow.utils.validation import _validate_metric

    _validate_metric(key, 0.0, 0, 0)
    return True


@functools.lru_cache(maxsize=4096)
def _tag(key: str, value: str) -> bool:
    from mlflow.utils.validation import _validate_tag

    return _validate_tag(key, value).value == value


@functools.lru_cache(maxsize=4096)
def _param(key: str, value: str) -> bool:
    from mlflow.utils.validation import _validate_param

    return _validate_param(key, value).value == value


def insert_runs(db: Path, experiment_id: str, runs: list[NewRun]) -> None:
    """Create ``runs`` (RUNNING) in the experiment, in one transaction. Raises ``LookupError`` if
    the experiment is missing or deleted (nothing is written)."""
    with _transaction(db) as con:
        row = con.execute("SELECT artifact_location, lifecycle_stage FROM experiments WHERE experiment_id = ?",
                          (int(experiment_id),)).fetchone()
        if row is None or row[1] != "active":
            raise LookupError(f"experiment {experiment_id} is {'deleted' if row else 'missing'}")
        location = row[0].rstrip("/")
        con.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, "
            "start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) "
            "VALUES (?, ?, 'UNKNOWN', '', '', ?, 'RUNNING', ?, NULL, '', 'active', ?, ?, NULL)",
            [(r.run_id, r.tags.get(_RUN_NAME, r.name), r.tags.get("mlflow.user", "unknown"), r.start_time,
              f"{location}/{r.run_id}/artifacts", int(experiment_id)) for r in runs])
        con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
                        [(k, str(v), r.run_id) for r in runs for k, v in ({_RUN_NAME: r.name} | r.tags).items()])


def write_results(db: Path, results: list[RunResult]) -> None:
    """Log every result's params, metrics and tags and end its run, in one transaction. Raises
    ``LookupError`` if a run is missing or not active, ``ValueError`` if a param already has
    another value (MLflow refuses both); nothing is written then."""
    with _transaction(db) as con:
        ids = [r.run_id for r in results]
        found = dict(con.execute(f"SELECT run_uuid, lifecycle_stage FROM runs WHERE run_uuid IN "
                                 f"({','.join('?' * len(ids))})", ids).fetchall()) if ids else {}
        if any(found.get(i) != "active" for i in ids):
            raise LookupError(f"runs not active: {sorted(i for i in ids if found.get(i) != 'active')}")
        for r in results:
            _write(con, r)


def _write(con: sqlite3.Connection, r: RunResult) -> None:
    old = dict(con.execute("SELECT key, value FROM params WHERE run_uuid = ?", (r.run_id,)).fetchall())
    clash = {k: (old[k], v) for k, v in r.params.items() if k in old and old[k] != str(v)}
    if clash:
        raise ValueError(f"run {r.run_id}: changing param values is not allowed: {clash}")
    con.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                    [(k, str(v), r.run_id) for k, v in r.params.items() if k not in old])
    rows = list(dict.fromkeys((k, *_stored(v), int(ts), int(step)) for k, v, ts, step in r.metrics))
    con.executemany("INSERT OR IGNORE INTO metrics (key, value, is_nan, timestamp, step, run_uuid) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [(*row, r.run_id) for row in rows])
    latest: dict[str, tuple] = {}
    for key, value, is_nan, ts, step in rows:
        if key not in latest or (step, ts, value) > (latest[key][3], latest[key][2], latest[key][0]):
            latest[key] = (value, is_nan, ts, step)
    con.executemany(
        "INSERT INTO latest_metrics (key, value, is_nan, timestamp, step, run_uuid) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, "
        "timestamp = excluded.timestamp, step = excluded.step "
        "WHERE (excluded.step, excluded.timestamp, excluded.value) > (step, timestamp, value)",
        [(k, *v, r.run_id) for k, v in latest.items()])
    con.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?) "
                    "ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value",
                    [(k, str(v), r.run_id) for k, v in r.tags.items()])
    if _RUN_NAME in r.tags:
        con.execute("UPDATE runs SET name = ? WHERE run_uuid = ?", (str(r.tags[_RUN_NAME]), r.run_id))
    if r.status is not None:
        con.execute("UPDATE runs SET status = ?, end_time = ? WHERE run_uuid = ?", (r.status, r.end_time, r.run_id))


def _stored(value: float) -> tuple[float, int]:
    """(value, is_nan) as MLflow stores a metric: NaN as 0, ±inf as ±float max."""
    value = float(value)
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return math.copysign(_MAX_FLOAT, value), 0
    return value, 0


def _connect(db: str) -> sqlite3.Connection:
    con = sqlite3.connect(db, timeout=30, isolation_level=None)
    con.execute("PRAGMA synchronous=NORMAL")   # as every connection of the sweep (storages/sqlite_wal.py)
    return con


@contextlib.contextmanager
def _transaction(db: Path):
    with contextlib.closing(_connect(str(db))) as con:
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
