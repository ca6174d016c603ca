"""The staleness rule on SQLite: a RUNNING trial with no owner and no heartbeat (a worker's INSERT
committed while it saw the database fail, and it asked again) is failed and retried once older
than the grace period, never before; one with a live owner is left alone; and the wait for
other workers' trials ends, in one paragraph, when they show no life."""

from __future__ import annotations

import datetime
import functools
import logging
import warnings

import optuna
import pytest
import sqlalchemy.exc
from optuna.distributions import FloatDistribution
from optuna.trial import FrozenTrial, TrialState

from sweeps import records
from sweeps.adapters import optuna_private
from sweeps.storages import heartbeat, shared_study
from sweeps.storages.rdb import open_storage, riding_out
from sweeps.study import remaining_budget
from support import wait_until

SPACE = {"x": FloatDistribution(0, 1)}


@pytest.fixture
def study(tmp_path) -> optuna.Study:
    storage = open_storage(f"sqlite:///{tmp_path}/optuna.db", 1, 2, 1)   # beat 1 s, grace 2 s, 1 retry
    return optuna.create_study(storage=storage, study_name="ownerless")


def _lost(study: optuna.Study) -> optuna.Trial:
    """A trial as a worker that lost the database in ``study.ask`` leaves it: RUNNING, sampled,
    never beaten, no owner."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Heartbeat of storage")
        return study.ask(SPACE)


def _started(study: optuna.Study, ago: datetime.timedelta, system_attrs: dict) -> int:
    """A RUNNING trial that started ``ago`` by this host's clock, with ``system_attrs``."""
    template = FrozenTrial(
        number=-1, trial_id=-1, state=TrialState.RUNNING, value=None, values=None,
        datetime_start=datetime.datetime.now() - ago, datetime_complete=None, params={"x": 0.5},
        distributions=SPACE, user_attrs={}, system_attrs=system_attrs, intermediate_values={},
    )
    return optuna_private.add_trial_from(study, template).number


def _state(study: optuna.Study, number: int) -> FrozenTrial:
    return study.get_trials(deepcopy=False)[number]


def test_an_ownerless_trial_is_failed_and_retried_after_the_grace_period_not_before(study):
    lost = _lost(study)
    assert heartbeat.fail_stale(study, 1) == []   # just asked: its asker may be about to beat
    assert _state(study, lost.number).state == TrialState.RUNNING

    failed = wait_until(lambda: heartbeat.fail_stale(study, 1), timeout=30, interval=0.5)
    assert [t.number for t in failed] == [lost.number]
    trial = _state(study, lost.number)
    assert trial.state == TrialState.FAIL and "no worker owns it" in trial.user_attrs[records.ERROR]
    (retry,) = [t for t in study.get_trials() if t.state == TrialState.WAITING]
    assert retry.system_attrs["failed_trial"] == lost.number
    assert retry.params == lost.params


def test_an_ask_that_loses_the_database_after_its_insert_is_recovered_by_the_rule(study, monkeypatch):
    """The worker's own path: its INSERT commits, the database goes away before the first beat,
    the worker asks again (``riding_out``); the lost trial holds the only slot of ``max_trials``
    until the rule fails and re-queues it, and the worker then runs its retry."""
    real, lost = shared_study.first_beat, []

    def away_once(*args):
        if not lost:
            lost.append(True)
            raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))
        return real(*args)

    monkeypatch.setattr(shared_study, "first_beat", away_once)
    shared = shared_study.SharedStudy(study, 1)
    budget = functools.partial(remaining_budget, study, 0, 5, 1)   # max_trials=1

    def ask() -> shared_study.Batch:
        return riding_out(lambda: shared.ask(SPACE, 1, budget), "asking for trials")

    first = ask()
    assert (first.trials, first.left) == ([], 0) and lost   # the lost trial holds the slot
    assert _state(study, 0).state == TrialState.RUNNING and records.OWNER not in _state(study, 0).system_attrs

    def retry() -> list:
        batch = ask()
        return batch.trials or (shared.wait_for_others(batch, own_left=1) and [])

    (trial,) = wait_until(retry, timeout=30)
    assert trial.number == 1 and _state(study, 1).system_attrs["failed_trial"] == 0
    assert "no worker owns it" in _state(study, 0).user_attrs[records.ERROR]


def test_an_ownerless_trial_older_than_grace_and_clock_margin_is_failed_at_once(study):
    margin = datetime.timedelta(seconds=2 + heartbeat.CLOCK_MARGIN + 60)
    old = _started(study, margin, {})
    young = _started(study, margin - datetime.timedelta(seconds=120), {})   # within the clock margin
    assert [t.number for t in heartbeat.fail_stale(study, 1)] == [old]
    assert _state(study, young).state == TrialState.RUNNING


def test_a_trial_with_a_live_owner_and_no_heartbeat_is_left_running(study):
    """A worker running without heartbeats records its owner all the same."""
    owned = _lost(study)
    heartbeat.first_beat(study, [owned], None)   # heartbeat_interval=null in that worker
    assert _state(study, owned.number).system_attrs[records.OWNER] == list(heartbeat.owner())
    old = _started(study, datetime.timedelta(days=1), {records.OWNER: list(heartbeat.owner())})
    elsewhere = _started(study, datetime.timedelta(days=1), {records.OWNER: ["elsewhere/ns", 1, "7"]})
    assert heartbeat.fail_stale(study, 1) == []
    assert all(_state(study, n).state == TrialState.RUNNING for n in (owned.number, old, elsewhere))


def test_a_retry_does_not_inherit_its_trials_owner(study):
    """Were it lost while being asked, a retry carrying its dead predecessor's owner would look owned."""
    trial = _lost(study)
    heartbeat.first_beat(study, [trial], 1)
    heartbeat.fail_dead(study, {optuna_private.trial_id(trial): "its worker died"})
    (retry,) = [t for t in study.get_trials() if t.state == TrialState.WAITING]
    assert records.OWNER not in retry.system_attrs and retry.system_attrs["failed_trial"] == trial.number


def _waiter(study: optuna.Study) -> tuple[shared_study.SharedStudy, shared_study.Batch]:
    return shared_study.SharedStudy(study, 1), shared_study.Batch([], [], left=0, exhausted=False)


def test_the_wait_for_trials_no_worker_can_fail_ends_in_one_paragraph(study, caplog, monkeypatch):
    elsewhere = _started(study, datetime.timedelta(0), {records.OWNER: ["elsewhere/ns", 4242, "7"]})
    shared, batch = _waiter(study)
    assert shared.patience() == 5   # twice the grace period of 2 s, plus the interval of 1 s
    monkeypatch.setattr(shared_study.SharedStudy, "patience", lambda self: 2.0)
    with caplog.at_level(logging.WARNING, logger=shared_study.__name__):
        assert wait_until(lambda: not shared.wait_for_others(batch, own_left=1), timeout=60)
    (paragraph,) = [r.getMessage() for r in caplog.records if "Stopped waiting" in r.getMessage()]
    assert f"trial {elsewhere} (PID 4242 on elsewhere/ns)" in paragraph and "\n" not in paragraph
    assert _state(study, elsewhere).state == TrialState.RUNNING   # not ours to fail


def test_the_wait_goes_on_while_the_others_trials_beat_and_ends_when_they_finish(study, monkeypatch):
    monkeypatch.setattr(shared_study.SharedStudy, "patience", lambda self: 3.0)
    other = _lost(study)
    heartbeat.first_beat(study, [other], 1)
    shared, batch = _waiter(study)
    with heartbeat.beating(study, [other], 1):
        looks = [shared.wait_for_others(batch, own_left=1) for _ in range(5)]   # a second each
    assert looks == [True] * 5
    study.tell(other, 0.5)
    assert shared.wait_for_others(batch, own_left=1) is False


def test_the_wait_rides_out_a_database_restart(study, monkeypatch):
    other = _lost(study)
    heartbeat.first_beat(study, [other], 1)
    real, down = shared_study.in_flight, []

    def restarting(s):
        if not down:
            down.append(True)
            raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("the database system is starting up"))
        return real(s)

    monkeypatch.setattr(shared_study, "in_flight", restarting)
    shared, batch = _waiter(study)
    assert shared.wait_for_others(batch, own_left=1) is True and down   # still waiting, not exit 2
