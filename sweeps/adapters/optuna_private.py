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
  stored forms; a batch of trials' states read, and those RUNNING told COMPLETE, in one
  transaction each (``Study._thread_local``: the cache ``Study.tell`` drops).

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


def add_trials_from(study: optuna.Study, templates: list[FrozenTrial]) -> list[optuna.Trial]:
    """New trials stored as ``templates`` say (state, start, params, attributes), as
    ``add_trial_from`` stores each, but in one transaction of multi-row inserts into the RDB
    storage's tables and one read back, and returned live (``live_trial``). Each is numbered as
    Optuna numbers a new trial (``TrialModel.count_past_trials``); its params are checked against
    the study's earlier distributions of the same name as ``_set_trial_param_without_commit``
    checks them. Templates with values or intermediate values, and any other storage, take
    ``add_trial_from`` one by one."""
    rdb = batch_writable(storage_of(study))
    if rdb is None or not templates or any(t.values or t.intermediate_values for t in templates):
        return [add_trial_from(study, t) for t in templates]
    insert = _INSERT[rdb.engine.name]
    study_id = study._study_id
    with _create_scoped_session(rdb.scoped_session) as session:
        rows = [models.TrialModel(study_id=study_id, number=None, state=t.state, datetime_start=t.datetime_start,
                                  datetime_complete=t.datetime_complete) for t in templates]
        session.add_all(rows)
        session.flush()
        for row in rows:
            row.number = row.count_past_trials(session)
        names = {k for t in templates for k in t.params}
        for name in names:
            earlier = (session.query(models.TrialParamModel.distribution_json).join(models.TrialModel)
                       .filter(models.TrialModel.study_id == study_id, models.TrialParamModel.param_name == name,
                               models.TrialModel.trial_id.notin_([r.trial_id for r in rows])).first())
            for t in templates:
                if earlier is not None and name in t.distributions:
                    optuna.distributions.check_distribution_compatibility(
                        optuna.distributions.json_to_distribution(earlier[0]), t.distributions[name])
        params = [{"trial_id": r.trial_id, "param_name": k, "param_value": t.distributions[k].to_internal_repr(v),
                   "distribution_json": optuna.distributions.distribution_to_json(t.distributions[k])}
                  for r, t in zip(rows, templates) for k, v in t.params.items()]
        user = [{"trial_id": r.trial_id, "key": k, "value_json": json.dumps(v)}
                for r, t in zip(rows, templates) for k, v in t.user_attrs.items()]
        system = [{"trial_id": r.trial_id, "key": k, "value_json": json.dumps(v)}
                  for r, t in zip(rows, templates) for k, v in t.system_attrs.items()]
        for model, values in ((models.TrialParamModel, params), (models.TrialUserAttributeModel, user),
                              (models.TrialSystemAttributeModel, system)):
            if values:
                session.execute(insert(model), values)
        ids = [r.trial_id for r in rows]
    stored = {t._trial_id: t for t in rdb._get_trials(study_id, None, set(ids), max(ids))}
    return [live_trial(study, stored[i]) for i in ids]


def live_trial(study: optuna.Study, frozen: FrozenTrial) -> optuna.Trial:
    """``optuna.Trial(study, frozen._trial_id)`` without its read of the trial: the attributes
    ``Trial.__init__`` sets, from ``frozen`` as just read, and the sampler's ``before_trial``
    called as there. A freshly created trial is not in Optuna's cache (it holds finished trials
    only), so ``Trial(...)`` would read it again, a query per trial."""
    trial = optuna.Trial.__new__(optuna.Trial)
    trial.study, trial._trial_id, trial.storage = study, frozen._trial_id, study._storage
    trial._cached_frozen_trial = frozen
    study.sampler.before_trial(optuna.pruners._filter_study(study, frozen), frozen)
    trial.relative_search_space, trial._relative_params = None, None
    trial._fixed_params = frozen.system_attrs.get("fixed_params", {})
    return trial


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
    write_trial_records(rdb, {trial_id: (user_attrs, intermediate)})


def write_trial_records(rdb: RDBStorage, records: dict[int, tuple[dict[str, Any], dict[int, float]]]) -> None:
    """``write_trial_record`` for several trials (id -> (user attributes, intermediate values)) in
    one transaction; if one of them is finished, nothing is written."""
    insert = _INSERT[rdb.engine.name]
    attrs = [{"trial_id": i, "key": k, "value_json": json.dumps(v)}
             for i, (user_attrs, _) in records.items() for k, v in user_attrs.items()]
    stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
    steps = [dict(zip(("intermediate_value", "intermediate_value_type"), stored(v)), trial_id=i, step=step)
             for i, (_, intermediate) in records.items() for step, v in intermediate.items()]
    with _create_scoped_session(rdb.scoped_session) as session:
        for i in records:
            rdb.check_trial_is_updatable(i, models.TrialModel.find_or_raise_by_id(i, session).state)
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


def trial_states(study: optuna.Study, trial_ids: list[int]) -> dict[int, TrialState]:
    """The stored state of each trial, in one query of the RDB storage's trial table
    (``_rdb.models.TrialModel``); one ``get_trial`` each on any other storage."""
    rdb = backend(study)
    if not isinstance(rdb, RDBStorage):
        return {i: study._storage.get_trial(i).state for i in trial_ids}
    trial = models.TrialModel
    with _create_scoped_session(rdb.scoped_session) as session:
        return dict(session.query(trial.trial_id, trial.state).filter(trial.trial_id.in_(trial_ids)).all())


def write_completes(study: optuna.Study, rdb: RDBStorage, values: dict[int, float]) -> list[int]:
    """Tell each RUNNING trial among ``values`` (trial id -> objective) COMPLETE with its value, in
    one transaction: the rows ``set_trial_state_values(id, COMPLETE, [value])`` writes (its value
    at objective 0 by ``TrialValueModel.value_to_stored_repr``, its state, its
    ``datetime_complete``), and the study's per-thread cache of all trials dropped, as
    ``Study.tell`` drops it. Trials no longer RUNNING are left alone. Returns the ids told."""
    trial = models.TrialModel
    with _create_scoped_session(rdb.scoped_session) as session:
        found = (session.query(trial).filter(trial.trial_id.in_(list(values)))
                 .with_for_update().all())
        told = [t for t in found if t.state == TrialState.RUNNING]
        now = datetime.datetime.now()
        for t in told:
            stored, kind = models.TrialValueModel.value_to_stored_repr(float(values[t.trial_id]))
            session.add(models.TrialValueModel(trial_id=t.trial_id, objective=0, value=stored, value_type=kind))
            t.state, t.datetime_complete = TrialState.COMPLETE, now
        ids = [t.trial_id for t in told]
    study._thread_local.cached_all_trials = None
    return ids


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
