"""A population job's MLflow runs in two writes: all created before training, all logged and ended
after it, each write one transaction (``adapters.mlflow_tables``).

Through ``MlflowClient`` a run costs four transactions (create, ``log_batch``'s params, metrics and
tags; ``set_terminated``) of ~7 ms each on SQLite, so K members cost 4K commits and more time than
their stacked training. A ``RunBatch`` keeps the calls of its members and writes them at
``flush``. It does so only on a SQLite store of a verified schema (``mlflow_tables.writable``)
and for runs whose keys and values MLflow takes as they are; everything else goes through the
client at once, as an unbatched ``RunBatch`` does with every call.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any, Iterable

from sweeps.adapters import mlflow_tables
from sweeps.adapters.mlflow_tables import NewRun, RunResult
from sweeps.tracking import runs


class RunBatch:
    def __init__(self, tracking_uri: str, batched: bool = True):
        self.uri = tracking_uri
        db = Path(tracking_uri.removeprefix("sqlite:///")) if tracking_uri.startswith("sqlite:///") else None
        runs.client(tracking_uri)   # the store exists, migrated, before its schema is read
        self.db = db if batched and db is not None and mlflow_tables.writable(db) else None
        self.new: list[tuple[str, NewRun]] = []          # (experiment id, run)
        self.results: dict[str, RunResult] = {}         # run id -> what its calls logged, in order

    def start_child(self, experiment_id: str, parent_run_id: str | None, name: str, tags: dict[str, Any]) -> str:
        run = NewRun(name, runs.child_tags(parent_run_id, tags), _now())
        if self.db is None or not mlflow_tables.fits(run):
            return runs.start_child(self.uri, experiment_id, parent_run_id, name, tags)
        self.new.append((experiment_id, run))
        self.results[run.run_id] = RunResult(run.run_id)
        return run.run_id

    def log_all(self, run_id: str, params: dict[str, Any] | None = None,
                history: Iterable[tuple[str, float, int]] = (), metrics: dict[str, float] | None = None,
                tags: dict[str, Any] | None = None) -> None:
        if run_id not in self.results:
            runs.log_all(self.uri, run_id, params, history, metrics, tags)
            return
        now, r = _now(), self.results[run_id]
        r.params |= {k: str(v) for k, v in (params or {}).items()}
        r.metrics += [(k, float(v), now, int(s)) for k, v, s in history]
        r.metrics += [(k, float(v), now, 0) for k, v in (metrics or {}).items()]
        r.tags |= {k: str(v) for k, v in (tags or {}).items()}

    def finish(self, run_id: str, status: str = "FINISHED") -> None:
        if run_id not in self.results:
            runs.finish(self.uri, run_id, status)
            return
        self.results[run_id].status, self.results[run_id].end_time = status, _now()

    def flush(self) -> dict[str, Exception]:
        """Write what was kept: the new runs, then the logged results. Returns the runs whose
        results could not be written (each tried again through the client, which said why)."""
        by_experiment: dict[str, list[NewRun]] = {}
        for experiment_id, run in self.new:
            by_experiment.setdefault(experiment_id, []).append(run)
        for experiment_id, new in by_experiment.items():
            mlflow_tables.insert_runs(self.db, experiment_id, new)
        self.new = []
        done = [r for r in self.results.values() if r.params or r.metrics or r.tags or r.status]
        if not done:
            return {}
        for r in done:
            del self.results[r.run_id]
        if all(mlflow_tables.fits(r) for r in done):
            try:
                mlflow_tables.write_results(self.db, done)
                return {}
            except (sqlite3.Error, LookupError, ValueError):
                pass   # written through the client instead: its errors name the run and the cause
        errors = {}
        for r in done:
            try:
                runs.log_all(self.uri, r.run_id, r.params, tags=r.tags,
                             history=[(k, v, s) for k, v, _, s in r.metrics])
                if r.status:
                    runs.finish(self.uri, r.run_id, r.status)
            except Exception as e:  # this run's error, not its neighbours'
                errors[r.run_id] = e
        return errors


def _now() -> int:
    return int(time.time() * 1000)
