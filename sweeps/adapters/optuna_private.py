"""Optuna's private API: every use of it in gammasweep, each behind one small function.

- the storage and ids behind a study and a trial (``Study._storage``, ``Study._study_id``,
  ``Trial._trial_id``) and the ``RDBStorage`` behind Optuna's cache (``_CachedStorage._backend``):
  one trial or one study attribute read or written, where the public ``Study`` reads every trial;
- stale trials (``_get_stale_trial_ids``): the public ``optuna.storages.fail_stale_trials`` fails
  them itself, before ``storages.heartbeat`` could record why and owe the retry;
- the RUNNING trials' start times and heartbeats against the database's clock (one read of
  ``_rdb.models``' trial and heartbeat tables): Optuna has no public view of heartbeats;
- a live trial's cache of its reported values (``Trial._cached_frozen_trial``);
- ``GridSampler``'s points in its order (``_all_grids``, ``_param_names``, ``_search_space``) and
  the system attributes Optuna gives a grid trial, and those of an enqueued trial;
- the queue a batch of asks pops from (``Study._pop_waiting_trial_id``): Optuna reads every
  WAITING trial on each ask, so a batch of n asks from a queue of W costs n·W trial reads;
- multi-row upserts into the RDB storage's tables (trials' attributes and heartbeats, a study's
  system attributes: ``optuna.storages._rdb.models``, ``_create_scoped_session``), in Optuna's
  stored forms.

tests/unit/test_adapters_optuna.py pins each behaviour relied on.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import json
from collections.abc import Iterator
from typing import Any

import optuna
import sqlalchemy
import sqlalchemy.dialects.postgresql
import sqlalchemy.dialects.sqlite
from optuna.samplers import GridSampler
from optuna.storages import BaseStorage, RDBStorage
from optuna.storages._rdb import models
from optuna.storages._rdb.storage import _create_scoped_session
from optuna.trial import FrozenTrial, TrialState


def storage_of(study: optuna.Study) -> BaseStorage:
    """The storage the study reads and writes through (``Study._storage``; for an RDB storage,
    Optuna's cache around it)."""
    return study._storage


def trial_id(trial: optuna.Trial | FrozenTrial) -> int:
    """The trial's id in its storage (``_trial_id`` of a ``Trial`` or a ``FrozenTrial``): unlike
    its number, unique across the studies of a storage."""
    return trial._trial_id


def backend(study_or_storage: Any) -> Any:
    """The storage itself, given a study (its ``_storage``) or a storage: the ``RDBStorage``
    behind Optuna's cache (``_CachedStorage._backend``), any other storage as it is."""
    storage = getattr(study_or_storage, "_storage", study_or_storage)
    return getattr(storage, "_backend", storage)


def stale_ids(study: optuna.Study) -> list[int]:
    """Ids of the study's RUNNING trials whose last heartbeat is older than the grace period
    (``_get_stale_trial_ids``, which ``optuna.storages.fail_stale_trials`` fails); a trial that
    never beat is not stale."""
    return study._storage._get_stale_trial_ids(study._study_id)


def grace_period(study: optuna.Study) -> int:
    """Seconds without a heartbeat after which a trial is stale: the ``RDBStorage``'s
    ``grace_period``, else twice its ``heartbeat_interval`` (as ``_get_stale_trial_ids`` counts)."""
    rdb = backend(study)
    return rdb.grace_period or 2 * rdb.heartbeat_interval


@dataclasses.dataclass(frozen=True)
class Running:
    """A RUNNING trial as its rows stand."""

    trial_id: int
    age: float | None                 # seconds since its datetime_start, by the database's clock
    beat: datetime.datetime | None    # its last heartbeat as stored; None: it never beat


def running(study: optuna.Study) -> list[Running]:
    """The study's RUNNING trials, read in one query of the RDB storage's trial and heartbeat
    tables (``_rdb.models``); empty for any other storage. ``age`` counts from the trial's
    ``datetime_start`` (the asking client's clock, stored as naive UTC) to the database's
    ``now()``, so it is off by the skew between those two clocks only."""
    rdb = backend(study)
    if not isinstance(rdb, RDBStorage):
        return []
    trial, beat = models.TrialModel, models.TrialHeartbeatModel
    with _create_scoped_session(rdb.scoped_session) as session:
        now = session.execute(sqlalchemy.select(sqlalchemy.func.now())).scalar()
        rows = (session.query(trial.trial_id, trial._datetime_start_utc, beat.heartbeat)
                .outerjoin(beat, beat.trial_id == trial.trial_id)
                .filter(trial.study_id == study._study_id, trial.state == TrialState.RUNNING)
                .all())
    if now.tzinfo is not None:   # PostgreSQL's now() is aware, in the session's time zone
        now = now.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return [Running(i, None if start is None else (now - start).total_seconds(), b) for i, start, b in rows]


def stored_trial(study: optuna.Study, trial: optuna.Trial | FrozenTrial) -> FrozenTrial:
    """The trial as the storage holds it now: one read by ``_trial_id`` (``BaseStorage.get_trial``)."""
    return study._storage.get_trial(trial._trial_id)


def trial_of_number(study: optuna.Study, number: int) -> optuna.Trial:
    """The live trial ``number`` of the study (``optuna.Trial`` of the id that the storage's
    ``get_trial_id_from_study_id_trial_number`` finds), as ``study.ask`` would return it."""
    return optuna.Trial(study, study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number))


@contextlib.contextmanager
def popping_from(study: optuna.Study, waiting: list[FrozenTrial]) -> Iterator[None]:
    """Within the block, ``study.ask`` pops the queue from ``waiting`` (the study's WAITING trials,
    read once by the caller) in its order, as Optuna's own pop does from a fresh read: a trial
    another worker claimed or finished meanwhile is skipped; past the list, ask creates a trial."""
    ids = iter([trial_id(t) for t in waiting])

    def pop() -> int | None:
        for tid in ids:
            try:
                if study._storage.set_trial_state_values(tid, state=TrialState.RUNNING):
                    return tid
            except optuna.exceptions.UpdateFinishedTrialError:
                continue
        return None

    study._pop_waiting_trial_id = pop   # the instance attribute shadows the method
    try:
        yield
    finally:
        del study._pop_waiting_trial_id


def add_trial_from(study: optuna.Study, template: FrozenTrial) -> optuna.Trial:
    """A new trial stored as ``template`` says (state, params, attributes) in one write, returned
    live (``BaseStorage.create_new_trial`` with ``template_trial``); the public ``study.add_trial``
    returns nothing, and no live trial."""
    return optuna.Trial(study, study._storage.create_new_trial(study._study_id, template_trial=template))


def study_system_attrs(study: optuna.Study) -> dict[str, Any]:
    """The study's system attributes (``Study`` has no public accessor; ``BaseStorage``'s)."""
    return study._storage.get_study_system_attrs(study._study_id)


def set_study_system_attr(study: optuna.Study, key: str, value: Any) -> None:
    """Set a system attribute of the study (``BaseStorage.set_study_system_attr``)."""
    study._storage.set_study_system_attr(study._study_id, key, value)


def reported_values(trial: optuna.Trial) -> dict[int, float]:
    """The live trial's own record of its intermediate values, step -> value: the dict of its
    cached frozen trial (``Trial._cached_frozen_trial.intermediate_values``). ``Trial.report``
    ignores, with a warning, a step found in it; a value written behind its back goes in too."""
    return trial._cached_frozen_trial.intermediate_values


def enqueued_params(trial: FrozenTrial) -> dict[str, Any]:
    """The params ``study.enqueue_trial`` fixed for a trial (system attribute ``fixed_params``):
    a WAITING trial's ``params`` stay empty until a worker asks for it."""
    return trial.system_attrs.get("fixed_params", {})


def grid_points(sampler: GridSampler) -> list[tuple]:
    """The grid's points in Optuna's order, a point's index being its grid id: the product of the
    value lists over the sorted param names, shuffled with the sampler's seed
    (``GridSampler._all_grids``)."""
    return sampler._all_grids


def grid_names(sampler: GridSampler) -> list[str]:
    """The names of a grid point's values, sorted (``GridSampler._param_names``)."""
    return sampler._param_names


def grid_space(sampler: GridSampler) -> dict[str, list]:
    """The search space as the sampler keeps it: names sorted, values as lists
    (``GridSampler._search_space``)."""
    return sampler._search_space


def grid_trial_attrs(sampler: GridSampler, grid_id: int) -> dict[str, Any]:
    """The system attributes Optuna's ``GridSampler`` gives the trial at point ``grid_id``; the
    sampler counts a point as visited by a trial that has them."""
    return {"grid_id": grid_id, "search_space": sampler._search_space}


# Batched writes: a trial's user attributes and intermediate values, and the first heartbeats of a
# batch of trials, each as multi-row upserts into Optuna's own tables, in one transaction.
_INSERT = {"sqlite": sqlalchemy.dialects.sqlite.insert, "postgresql": sqlalchemy.dialects.postgresql.insert}


def batch_writable(storage: Any) -> RDBStorage | None:
    """The ``RDBStorage`` behind ``storage`` (Optuna's cache unwrapped) if ``write_trial_record``
    and ``write_first_beats`` can write its tables (SQLite, PostgreSQL), else None."""
    storage = getattr(storage, "_backend", storage)
    if isinstance(storage, RDBStorage) and hasattr(storage, "scoped_session") and storage.engine.name in _INSERT:
        return storage
    return None


def write_trial_record(rdb: RDBStorage, trial_id: int, user_attrs: dict[str, Any],
                       intermediate: dict[int, float]) -> None:
    """Set user attributes and intermediate values (step -> value) of a RUNNING trial in one
    transaction, stored as ``Trial.set_user_attr`` and ``Trial.report`` store them (JSON; inf and
    nan by ``_rdb.models.TrialIntermediateValueModel.intermediate_value_to_stored_repr``). A
    finished trial is refused the same way (``check_trial_is_updatable``)."""
    insert = _INSERT[rdb.engine.name]
    attrs = [{"trial_id": trial_id, "key": k, "value_json": json.dumps(v)} for k, v in user_attrs.items()]
    stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
    steps = [dict(zip(("intermediate_value", "intermediate_value_type"), stored(v)), trial_id=trial_id, step=step)
             for step, v in intermediate.items()]
    with _create_scoped_session(rdb.scoped_session) as session:
        rdb.check_trial_is_updatable(trial_id, models.TrialModel.find_or_raise_by_id(trial_id, session).state)
        _upsert(session, insert(models.TrialUserAttributeModel), attrs, ("trial_id", "key"), ("value_json",))
        _upsert(session, insert(models.TrialIntermediateValueModel), steps, ("trial_id", "step"),
                ("intermediate_value", "intermediate_value_type"))


def write_first_beats(rdb: RDBStorage, trial_ids: list[int], system_attrs: dict[str, Any], beat: bool = True) -> None:
    """Set ``system_attrs`` of each trial and, if ``beat``, record its heartbeat, in one
    transaction (the rows ``set_trial_system_attr`` and ``record_heartbeat`` write)."""
    insert = _INSERT[rdb.engine.name]
    attrs = [{"trial_id": i, "key": k, "value_json": json.dumps(v)} for i in trial_ids for k, v in system_attrs.items()]
    with _create_scoped_session(rdb.scoped_session) as session:
        _upsert(session, insert(models.TrialSystemAttributeModel), attrs, ("trial_id", "key"), ("value_json",))
        _upsert(session, insert(models.TrialHeartbeatModel), [{"trial_id": i} for i in trial_ids if beat],
                ("trial_id",), (), {"heartbeat": sqlalchemy.func.now()})   # a new row's heartbeat defaults to the database's now


def write_study_system_attrs(storage: Any, study_id: int, attrs: dict[str, Any]) -> None:
    """Set ``attrs`` as system attributes of the study, stored as ``set_study_system_attr`` stores
    them (JSON), in one transaction on an RDB storage (one call per key on any other)."""
    rdb = batch_writable(storage)
    if rdb is None:
        for k, v in attrs.items():
            storage.set_study_system_attr(study_id, k, v)
        return
    rows = [{"study_id": study_id, "key": k, "value_json": json.dumps(v)} for k, v in attrs.items()]
    with _create_scoped_session(rdb.scoped_session) as session:
        _upsert(session, _INSERT[rdb.engine.name](models.StudySystemAttributeModel), rows,
                ("study_id", "key"), ("value_json",))


def _upsert(session, stmt, rows: list[dict], unique: tuple, columns: tuple, set_: dict | None = None) -> None:
    """Insert ``rows``; where ``unique`` already has a row, update its ``columns`` (or ``set_``)."""
    if rows:
        update = set_ or {c: stmt.excluded[c] for c in columns}
        session.execute(stmt.on_conflict_do_update(index_elements=list(unique), set_=update), rows)
