"""Many of a study's rows in one transaction, not one per value: a finished trial's record, and
the first heartbeats of a batch of trials.

Optuna commits every ``trial.set_user_attr`` and ``trial.report`` on its own: a SELECT of the
trial, an upsert through the ORM and a commit, about a millisecond each on SQLite. A trial of 20
evaluations that records a dozen attributes at its end pays some 30 of them; this checks the
trial once (refused the same way if it is no longer RUNNING) and writes the rows with two
multi-row upserts into Optuna's own tables, in Optuna's own stored forms. A batch of 32 freshly
asked trials likewise gets its owners and first heartbeats in one. SQLite and PostgreSQL
(the storages the project documents); any other storage gets the public calls one by one.
"""

from __future__ import annotations

import json
from typing import Any

import optuna
import sqlalchemy
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from optuna.storages import RDBStorage
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session


def record(trial: optuna.Trial, user_attrs: dict[str, Any], intermediate: dict[int, float]) -> None:
    """Set ``user_attrs`` and report ``intermediate`` (step -> value) of a live trial at once."""
    values = {int(step): float(v) for step, v in intermediate.items()
              if int(step) not in trial._cached_frozen_trial.intermediate_values}
    rdb = _rdb(trial.storage)
    if rdb is None:
        for key, value in user_attrs.items():
            trial.set_user_attr(key, value)
        for step, value in values.items():
            trial.report(value, step)
        return
    insert, trial_id = _INSERT[rdb.engine.name], trial._trial_id
    attrs = [{"trial_id": trial_id, "key": k, "value_json": json.dumps(v)} for k, v in user_attrs.items()]
    stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
    steps = [dict(zip(("intermediate_value", "intermediate_value_type"), stored(v)), trial_id=trial_id, step=step)
             for step, v in values.items()]
    with _create_scoped_session(rdb.scoped_session) as session:
        rdb.check_trial_is_updatable(trial_id, models.TrialModel.find_or_raise_by_id(trial_id, session).state)
        _upsert(session, insert(models.TrialUserAttributeModel), attrs, ("trial_id", "key"), ("value_json",))
        _upsert(session, insert(models.TrialIntermediateValueModel), steps, ("trial_id", "step"),
                ("intermediate_value", "intermediate_value_type"))
    trial._cached_frozen_trial.intermediate_values.update(values)


def first_beat(study: optuna.Study, trial_ids: list[int], system_attrs: dict[str, Any]) -> None:
    """Freshly asked trials' first heartbeat and ``system_attrs`` (their owner), in one transaction."""
    rdb = _rdb(study._storage)
    if rdb is None:
        for trial_id in trial_ids:
            for key, value in system_attrs.items():
                study._storage.set_trial_system_attr(trial_id, key, value)
            study._storage.record_heartbeat(trial_id)
        return
    insert = _INSERT[rdb.engine.name]
    attrs = [{"trial_id": i, "key": k, "value_json": json.dumps(v)} for i in trial_ids for k, v in system_attrs.items()]
    with _create_scoped_session(rdb.scoped_session) as session:
        _upsert(session, insert(models.TrialSystemAttributeModel), attrs, ("trial_id", "key"), ("value_json",))
        _upsert(session, insert(models.TrialHeartbeatModel), [{"trial_id": i} for i in trial_ids], ("trial_id",),
                (), {"heartbeat": sqlalchemy.func.now()})   # a new row's heartbeat defaults to the database's now


def _upsert(session, stmt, rows: list[dict], unique: tuple, columns: tuple, set_: dict | None = None) -> None:
    """Insert ``rows``; where ``unique`` already has a row, update its ``columns`` (or ``set_``)."""
    if rows:
        update = set_ or {c: stmt.excluded[c] for c in columns}
        session.execute(stmt.on_conflict_do_update(index_elements=list(unique), set_=update), rows)


_INSERT = {"sqlite": sqlalchemy.dialects.sqlite.insert, "postgresql": sqlalchemy.dialects.postgresql.insert}


def _rdb(storage: Any) -> RDBStorage | None:
    storage = getattr(storage, "_backend", storage)   # Optuna wraps the RDBStorage in a cache
    if isinstance(storage, RDBStorage) and hasattr(storage, "scoped_session") and storage.engine.name in _INSERT:
        return storage
    return None
