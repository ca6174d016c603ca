"""Failing a dead worker's trial and re-queueing it are two writes. A worker killed between them,
or a database restarting there, must not lose the retry: the next worker to look re-queues it,
once, and never re-queues a trial whose retries are used up."""

from __future__ import annotations

import warnings

import optuna
import pytest
from optuna.trial import TrialState

from sweeps.storages import heartbeat
from sweeps.storages.rdb import open_storage


def _study(tmp_path, max_retry: int) -> optuna.Study:
    storage = open_storage(f"sqlite:///{tmp_path}/optuna.db", 1, 2, max_retry)
    return optuna.create_study(storage=storage, study_name="lost")


def _dead_trial(study: optuna.Study) -> optuna.Trial:
    with warnings.catch_warnings():   # the sweeper beats for its asked trials itself
        warnings.filterwarnings("ignore", "Heartbeat of storage")
        trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    heartbeat.first_beat(study, [trial], 1)
    return trial


def _retries(study: optuna.Study) -> list:
    return [t for t in study.get_trials() if t.state == TrialState.WAITING]


def test_a_retry_lost_between_fail_and_requeue_is_requeued_once(tmp_path, monkeypatch):
    study = _study(tmp_path, max_retry=2)
    trial = _dead_trial(study)
    callback = study._storage.get_heartbeat_stale_trial_callback()

    def lost(*args):   # the database goes away right after the trial was failed
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(type(callback), "__call__", lambda self, *a: lost(*a))
    with pytest.raises(ConnectionError):
        heartbeat.fail_dead(study, {trial._trial_id: "its worker died"})
    assert study.get_trials()[0].state == TrialState.FAIL and not _retries(study)
    monkeypatch.undo()

    requeued = heartbeat.fail_stale(study, 1)   # the next worker to ask
    assert [t.number for t in requeued] == [trial.number]
    (retry,) = _retries(study)
    assert retry.params == trial.params and retry.system_attrs["failed_trial"] == trial.number
    assert heartbeat.fail_stale(study, 1) == [] and len(_retries(study)) == 1   # once


def test_used_up_or_disabled_retries_are_not_owed(tmp_path):
    study = _study(tmp_path / "one", max_retry=1)
    first = _dead_trial(study)
    heartbeat.fail_dead(study, {first._trial_id: "its worker died"})
    second = _dead_trial(study)   # the retry (Optuna's ask pops the queue), killed as well
    heartbeat.fail_dead(study, {second._trial_id: "its worker died"})
    assert not _retries(study)   # max_retry=1 used up
    assert heartbeat.fail_stale(study, 1) == []

    off = _study(tmp_path / "off", max_retry=0)
    trial = _dead_trial(off)
    assert [t.number for t in heartbeat.fail_dead(off, {trial._trial_id: "gone"})] == [trial.number]
    assert heartbeat.fail_stale(off, 1) == [] and not _retries(off)


def test_a_job_that_lost_the_storage_is_retried_not_counted_as_a_crash():
    from sweeps.storages.rdb import lost_storage

    lost = optuna.exceptions.StorageInternalError("An exception is raised during the commit.")
    assert "storage was away" in lost_storage(lost) and "raised during the commit" in lost_storage(lost)
    assert lost_storage(ValueError("batch_size=0")) is None   # the trial's own error: a crash
    assert lost_storage(0.25) is None


def test_a_retry_that_crashes_on_its_own_is_not_owed_a_retry(tmp_path):
    study = _study(tmp_path, max_retry=2)
    dead = _dead_trial(study)
    heartbeat.fail_dead(study, {dead._trial_id: "its worker died"})
    retry = _dead_trial(study)   # inherits the dead trial's system attrs, its mark among them
    retry.set_user_attr("error", "ValueError: the trial's own crash")
    study.tell(retry, state=TrialState.FAIL)
    assert heartbeat.fail_stale(study, 1) == [] and not _retries(study)
