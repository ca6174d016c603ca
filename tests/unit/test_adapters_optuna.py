"""What ``sweeps.adapters.optuna_private`` relies on in Optuna's private API, on real storages.

Each test names the private thing it pins. A failure after an Optuna upgrade means the adapter's
function must change before pyproject.toml's bound on Optuna may be raised.
"""

from __future__ import annotations

import datetime
import itertools
import math
import time
import warnings

import numpy as np
import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import InMemoryStorage, RDBStorage
from optuna.storages._rdb import models
from optuna.trial import FrozenTrial, TrialState

from sweeps.adapters import optuna_private

pytestmark = pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning",
                                        "ignore:Heartbeat of storage")   # we ask, and beat, ourselves


def _rdb(tmp_path, **kwargs) -> RDBStorage:
    return RDBStorage(f"sqlite:///{tmp_path}/optuna.db", **kwargs)


def test_a_study_reads_and_writes_through_a_cache_around_the_rdb_storage(tmp_path):
    """``Study._storage`` (``_CachedStorage``), its ``_backend``, ``_trial_id``."""
    rdb = _rdb(tmp_path)
    study = optuna.create_study(study_name="s", storage=rdb)
    assert optuna_private.storage_of(study) is not rdb   # Optuna's cache around it
    assert optuna_private.backend(study) is rdb
    assert optuna_private.backend(optuna_private.storage_of(study)) is rdb
    memory = InMemoryStorage()
    assert optuna_private.backend(memory) is memory
    assert optuna_private.backend(optuna.create_study(storage=memory)) is memory

    other = optuna.create_study(study_name="other", storage=rdb)
    other.ask()
    trial = study.ask()
    frozen = study.get_trials(deepcopy=False)[0]
    assert optuna_private.trial_id(trial) == optuna_private.trial_id(frozen) != trial.number   # ids span studies
    assert rdb.get_trial(optuna_private.trial_id(trial)).number == trial.number


def test_one_trial_and_study_attributes_through_the_storage(tmp_path):
    """``get_trial``, ``get_trial_id_from_study_id_trial_number``, ``create_new_trial`` and the
    study's system attributes, through ``Study._storage`` by ``Study._study_id``."""
    study = optuna.create_study(study_name="s", storage=_rdb(tmp_path))
    study.ask()
    again = optuna_private.trial_of_number(study, 0)
    assert isinstance(again, optuna.Trial) and again.number == 0
    again.set_user_attr("k", 1)
    other_view = optuna.load_study(study_name="s", storage=_rdb(tmp_path))
    other_view.tell(optuna_private.trial_of_number(other_view, 0), 0.5)
    assert optuna_private.stored_trial(study, again).state == TrialState.COMPLETE   # not a stale copy

    template = FrozenTrial(
        number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
        datetime_start=None, datetime_complete=None, params={"x": 2.0},
        distributions={"x": FloatDistribution(0, 5)}, user_attrs={"u": 1}, system_attrs={"s": 2},
        intermediate_values={},
    )
    added = optuna_private.add_trial_from(study, template)
    assert isinstance(added, optuna.Trial) and added.number == 1 and added.params == {"x": 2.0}
    stored = optuna_private.stored_trial(study, added)
    assert (stored.state, stored.user_attrs, stored.system_attrs) == (TrialState.RUNNING, {"u": 1}, {"s": 2})
    study.tell(added, 1.0)

    optuna_private.set_study_system_attr(study, "key", {"next": 3, "skip": [5]})
    assert optuna_private.study_system_attrs(other_view) == {"key": {"next": 3, "skip": [5]}}


def test_stale_ids_are_running_trials_whose_heartbeat_is_older_than_the_grace_period(tmp_path):
    """``_get_stale_trial_ids``: what the public ``fail_stale_trials`` fails, and the grace period
    it counts (``grace_period``, else twice ``heartbeat_interval``)."""
    study = optuna.create_study(storage=_rdb(tmp_path, heartbeat_interval=1, grace_period=1))
    storage = optuna_private.storage_of(study)
    beat, _never_beat, done, fresh = (study.ask() for _ in range(4))
    for t in (beat, done, fresh):
        storage.record_heartbeat(optuna_private.trial_id(t))
    study.tell(done, 0.0)
    assert optuna_private.stale_ids(study) == []
    time.sleep(2.2)   # SQLite's CURRENT_TIMESTAMP counts whole seconds
    storage.record_heartbeat(optuna_private.trial_id(fresh))
    stale = optuna_private.stale_ids(study)
    assert stale == [optuna_private.trial_id(beat)]   # never beat: never stale; finished: not running
    optuna.storages.fail_stale_trials(study)
    assert [t.number for t in study.get_trials(states=(TrialState.FAIL,))] == [beat.number]

    assert optuna_private.grace_period(study) == 1
    unset = optuna.create_study(storage=_rdb(tmp_path, heartbeat_interval=3))
    assert optuna_private.grace_period(unset) == 6


def test_running_reads_the_running_trials_start_and_heartbeat_against_the_databases_clock(tmp_path):
    """``_rdb.models``: ``TrialModel._datetime_start_utc`` (naive UTC), ``state``, ``study_id``,
    ``TrialHeartbeatModel.heartbeat``, and ``write_first_beats`` with and without a beat."""
    rdb = _rdb(tmp_path, heartbeat_interval=1)
    study = optuna.create_study(study_name="s", storage=rdb)
    optuna.create_study(study_name="other", storage=rdb).ask()   # another study's: not read
    never, beaten, owned, done = (study.ask() for _ in range(4))
    writable = optuna_private.batch_writable(optuna_private.storage_of(study))
    optuna_private.write_first_beats(writable, [optuna_private.trial_id(beaten)], {"owner": 1})
    optuna_private.write_first_beats(writable, [optuna_private.trial_id(owned)], {"owner": 2}, beat=False)
    study.tell(done, 0.0)
    rows = {r.trial_id: r for r in optuna_private.running(study)}
    assert set(rows) == {optuna_private.trial_id(t) for t in (never, beaten, owned)}
    assert rows[optuna_private.trial_id(beaten)].beat is not None
    assert rows[optuna_private.trial_id(never)].beat is None and rows[optuna_private.trial_id(owned)].beat is None
    assert optuna_private.stored_trial(study, owned).system_attrs == {"owner": 2}
    assert all(-5 < r.age < 60 for r in rows.values())   # seconds, both clocks UTC (SQLite's now() is)
    assert optuna_private.running(optuna.create_study(storage=InMemoryStorage())) == []


def test_reported_values_are_the_dict_that_report_consults(tmp_path):
    """``Trial._cached_frozen_trial.intermediate_values``: read by ``Trial.report`` to ignore a
    step reported twice, updated by it."""
    study = optuna.create_study(storage=_rdb(tmp_path))
    trial = study.ask()
    trial.report(0.5, 1)
    values = optuna_private.reported_values(trial)
    assert values == {1: 0.5}
    values[2] = 0.7   # as if written behind the trial's back
    with pytest.warns(UserWarning, match="already reported"):
        trial.report(0.9, 2)
    assert optuna_private.stored_trial(study, trial).intermediate_values == {1: 0.5}


def test_enqueued_params_wait_in_a_system_attribute():
    """``enqueue_trial`` keeps its params in system attr ``fixed_params``; the trial has none yet."""
    study = optuna.create_study()
    study.enqueue_trial({"x": 1.5, "n": 3})
    waiting = study.get_trials(states=(TrialState.WAITING,))[0]
    assert waiting.params == {}
    assert optuna_private.enqueued_params(waiting) == {"x": 1.5, "n": 3}


def test_a_batch_pops_the_queue_as_optunas_ask_does_from_one_read_of_it(tmp_path):
    """``Study._pop_waiting_trial_id``: ``ask`` takes its trial id from it (else creates a trial),
    and an instance attribute shadows it. Popped in the queue's order with the enqueued params; a
    trial claimed by another worker after the read is skipped; past the queue, a new trial; the
    queue is read once for the batch, where Optuna reads it on every ask."""
    study = optuna.create_study(storage=_rdb(tmp_path))
    for x in (1.0, 2.0, 3.0):
        study.enqueue_trial({"x": x})
    waiting = study.get_trials(deepcopy=False, states=(TrialState.WAITING,))
    other = optuna.load_study(study_name=study.study_name, storage=_rdb(tmp_path))
    assert other.ask({"x": FloatDistribution(0, 10)}).params == {"x": 1.0}   # claimed after the read
    reads = []
    real = study._storage.get_all_trials
    study._storage.get_all_trials = lambda *a, **k: reads.append(k.get("states")) or real(*a, **k)
    with optuna_private.popping_from(study, waiting):
        asked = [study.ask({"x": FloatDistribution(0, 10)}) for _ in range(3)]
    del study._storage.get_all_trials
    assert [t.params["x"] for t in asked[:2]] == [2.0, 3.0]
    assert asked[2].number == 3 and optuna_private.enqueued_params(study.trials[3]) == {}
    assert (TrialState.WAITING,) not in reads, "no read of the queue per ask"
    assert "_pop_waiting_trial_id" not in vars(study), "Optuna's own pop is back after the block"


def test_grid_points_are_the_product_over_sorted_names_shuffled_by_the_seed():
    """``GridSampler._all_grids``, ``_param_names``, ``_search_space``."""
    space = {"b": [3, 1, 2], "a": [0.2, 0.1]}
    sampler = optuna.samplers.GridSampler(space, seed=7)
    expected = list(itertools.product([0.2, 0.1], [3, 1, 2]))
    np.random.RandomState(7).shuffle(expected)
    assert optuna_private.grid_points(sampler) == expected
    assert optuna_private.grid_names(sampler) == ["a", "b"]
    assert list(optuna_private.grid_space(sampler).items()) == [("a", [0.2, 0.1]), ("b", [3, 1, 2])]
    assert optuna_private.grid_points(optuna.samplers.GridSampler(space, seed=7)) == expected   # same for every worker


def test_grid_trials_carry_the_attributes_optunas_grid_sampler_counts():
    """The system attrs a grid trial carries (``grid_id``, ``search_space``): Optuna's sampler
    writes them, and counts a point as visited by a trial that has them."""
    space = {"x": [0.0, 1.0, 2.0], "y": ["a", "b"]}
    dists = {"x": CategoricalDistribution([0.0, 1.0, 2.0]), "y": CategoricalDistribution(["a", "b"])}
    sampler = optuna.samplers.GridSampler(space, seed=3)
    study = optuna.create_study(sampler=sampler)
    asked = study.ask(dists)
    attrs = optuna_private.stored_trial(study, asked).system_attrs
    grid_id = attrs["grid_id"]
    assert optuna_private.grid_trial_attrs(sampler, grid_id).items() <= attrs.items()
    names, points = optuna_private.grid_names(sampler), optuna_private.grid_points(sampler)
    assert asked.params == dict(zip(names, points[grid_id]))
    study.tell(asked, 0.0)

    for i in (i for i in range(len(points)) if i != grid_id):   # the rest, added as EnumeratedGridSampler does
        trial = optuna_private.add_trial_from(study, FrozenTrial(
            number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
            datetime_start=None, datetime_complete=None, params=dict(zip(names, points[i])),
            distributions=dists, user_attrs={}, system_attrs=optuna_private.grid_trial_attrs(sampler, i),
            intermediate_values={}))
        assert not sampler.is_exhausted(study)
        # finished in the storage: Optuna's ``after_trial`` would ``study.stop()`` at the last point
        optuna_private.storage_of(study).set_trial_state_values(optuna_private.trial_id(trial),
                                                                TrialState.COMPLETE, [0.0])
    assert sampler.is_exhausted(study)


def test_optunas_tables_take_the_rows_in_the_forms_written():
    """``_rdb.models``: the tables, unique keys and columns the upserts write, and
    ``TrialIntermediateValueModel.intermediate_value_to_stored_repr`` round-tripping every float."""
    tables = {m.__tablename__: m.__table__ for m in (models.TrialUserAttributeModel, models.TrialSystemAttributeModel,
                                                     models.TrialIntermediateValueModel, models.TrialHeartbeatModel)}
    columns = {name: set(t.columns.keys()) for name, t in tables.items()}
    assert {"trial_id", "key", "value_json"} <= columns["trial_user_attributes"]
    assert {"trial_id", "key", "value_json"} <= columns["trial_system_attributes"]
    assert {"trial_id", "step", "intermediate_value", "intermediate_value_type"} <= columns["trial_intermediate_values"]
    assert {"trial_id", "heartbeat"} <= columns["trial_heartbeats"]
    stored = models.TrialIntermediateValueModel.intermediate_value_to_stored_repr
    back = models.TrialIntermediateValueModel.stored_repr_to_intermediate_value
    for value in (0.25, -3.0, math.inf, -math.inf, math.nan):
        got = back(*stored(value))
        assert got == value or (math.isnan(got) and math.isnan(value))


def test_batch_writes_store_what_the_public_calls_store(tmp_path):
    """``_create_scoped_session``, ``RDBStorage.scoped_session`` and ``engine``, and the upserts:
    the rows read back as Optuna's own calls would have written them; a finished trial refused."""
    study = optuna.create_study(storage=_rdb(tmp_path, heartbeat_interval=60))
    assert optuna_private.batch_writable(InMemoryStorage()) is None
    rdb = optuna_private.batch_writable(optuna_private.storage_of(study))
    assert isinstance(rdb, RDBStorage) and rdb.engine.name == "sqlite"
    trial = study.ask()
    tid = optuna_private.trial_id(trial)
    optuna_private.write_trial_record(rdb, tid, {"a": [1, "x"], "b": None}, {0: 0.5, 5: math.inf})
    optuna_private.write_trial_record(rdb, tid, {"a": 2}, {5: 0.25})   # upserts: the later value wins
    stored = optuna_private.stored_trial(study, trial)
    assert stored.user_attrs == {"a": 2, "b": None}
    assert stored.intermediate_values == {0: 0.5, 5: 0.25}

    optuna_private.write_first_beats(rdb, [tid], {"owner": ["h", 1, "t"]})
    assert optuna_private.stored_trial(study, trial).system_attrs == {"owner": ["h", 1, "t"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optuna_private.write_first_beats(rdb, [tid], {"owner": ["h", 2, "t"]})   # a second beat updates
    assert optuna_private.stored_trial(study, trial).system_attrs == {"owner": ["h", 2, "t"]}

    study.tell(trial, 1.0)
    with pytest.raises(UpdateFinishedTrialError):
        optuna_private.write_trial_record(rdb, tid, {"late": 1}, {})
    assert "late" not in optuna_private.stored_trial(study, trial).user_attrs


def test_a_batch_told_complete_reads_back_as_trials_told_one_by_one(tmp_path):
    """``TrialModel`` and ``TrialValueModel.value_to_stored_repr``, ``Study._thread_local``: the
    trials told in one transaction equal those ``study.tell`` tells (state, value, a completion
    time); one no longer RUNNING is left as it is; states are read in one query."""
    study = optuna.create_study(storage=_rdb(tmp_path))
    rdb = optuna_private.batch_writable(optuna_private.storage_of(study))
    alone, *batch, done = [study.ask({"x": FloatDistribution(0, 1)}) for _ in range(4)]
    study.tell(alone, 0.25)
    study.tell(done, state=TrialState.FAIL)
    ids = [optuna_private.trial_id(t) for t in (alone, *batch, done)]
    assert optuna_private.trial_states(study, ids) == dict(zip(ids, [TrialState.COMPLETE, TrialState.RUNNING,
                                                                   TrialState.RUNNING, TrialState.FAIL]))
    study._thread_local.cached_all_trials = []   # what Study.tell drops before it writes
    values = {optuna_private.trial_id(t): v for t, v in zip((*batch, done), (0.5, -math.inf, 2.0))}
    assert optuna_private.write_completes(study, rdb, values) == ids[1:3]
    assert study._thread_local.cached_all_trials is None
    told = {t.number: t for t in study.get_trials()}
    first = told[alone.number]
    for trial, value in zip(batch, (0.5, -math.inf)):
        t = told[trial.number]
        assert (t.state, t.values, t.params) == (first.state, [value], trial.params)
        assert t.datetime_complete is not None and t.datetime_complete >= t.datetime_start
    assert told[done.number].state == TrialState.FAIL and told[done.number].values is None


def test_trials_added_in_one_transaction_equal_trials_added_one_by_one(tmp_path):
    """``TrialModel.count_past_trials``, the param, user and system attribute tables, ``_get_trials``
    and ``Trial.__init__``'s attributes: a batch of templates stored together reads back as the
    same templates stored by ``add_trial_from``, numbered after them, and each live trial holds
    what ``optuna.Trial(study, id)`` holds; a clashing distribution is refused as Optuna refuses it."""
    study = optuna.create_study(storage=_rdb(tmp_path))
    space = {"lr": FloatDistribution(1e-4, 1, log=True), "g": CategoricalDistribution([0.0, 0.9])}

    def template(i):
        return FrozenTrial(number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
                           datetime_start=datetime.datetime(2026, 1, 1, 0, 0, i), datetime_complete=None,
                           params={"lr": 10 ** -i, "g": 0.9}, distributions=space, user_attrs={"w": ["h", i]},
                           system_attrs={"grid_id": i, "search_space": {"g": [0.0, 0.9]}}, intermediate_values={})

    alone = [optuna_private.add_trial_from(study, template(i)) for i in range(2)]
    together = optuna_private.add_trials_from(study, [template(i) for i in range(2)])
    assert [t.number for t in alone + together] == [0, 1, 2, 3]
    for a, b in zip(alone, together):
        fa, fb = optuna_private.stored_trial(study, a), optuna_private.stored_trial(study, b)
        for field in ("state", "params", "distributions", "user_attrs", "system_attrs", "datetime_start"):
            assert getattr(fa, field) == getattr(fb, field), field
        fresh = optuna.Trial(study, optuna_private.trial_id(b))
        assert vars(b).keys() == vars(fresh).keys()
        assert {k: v for k, v in vars(b).items() if k != "_cached_frozen_trial"} == \
               {k: v for k, v in vars(fresh).items() if k != "_cached_frozen_trial"}
        assert b._cached_frozen_trial == fresh._cached_frozen_trial
    assert [t.number for t in study.get_trials()] == [0, 1, 2, 3]   # Optuna's cache finds them
    clash = template(5)
    clash.distributions = {"lr": FloatDistribution(1e-4, 1, log=True), "g": CategoricalDistribution([0.0, 0.5])}
    clash.params = {"lr": 0.1, "g": 0.5}
    with pytest.raises(ValueError):
        optuna_private.add_trials_from(study, [clash])
    assert len(study.get_trials()) == 4
