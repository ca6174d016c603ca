"""A population job's trial records written together (``writes.record_all``, ``Member.record_all``)."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from sweeps.jobs.member import Member
from sweeps.storages import writes


@pytest.fixture
def trials(tmp_path):
    study = optuna.create_study(storage=RDBStorage(f"sqlite:///{tmp_path}/o.db"))
    return study, [study.ask({"x": FloatDistribution(0, 1)}) for _ in range(3)]


def test_records_of_several_trials_are_written_at_once(trials):
    study, (a, b, c) = trials
    writes.record_all({a: ({"outcome": "trained"}, {0: 0.9, 50: 0.5}), b: ({"outcome": "diverged"}, {0: 0.9})})
    stored = {t.number: t for t in study.get_trials()}
    assert stored[a.number].user_attrs == {"outcome": "trained"}
    assert stored[a.number].intermediate_values == {0: 0.9, 50: 0.5}
    assert stored[b.number].intermediate_values == {0: 0.9} and stored[c.number].user_attrs == {}
    writes.record_all({a: ({}, {0: 0.1, 100: 0.4})})   # a step written before is not written again
    assert study.get_trials()[0].intermediate_values == {0: 0.9, 50: 0.5, 100: 0.4}


def test_a_trial_given_up_meanwhile_is_named_and_its_neighbours_are_recorded(trials):
    study, (a, b, c) = trials
    study.tell(b, state=TrialState.FAIL)   # failed and re-queued by another worker, say
    pending = {a: ({"outcome": "trained"}, {}), b: ({"outcome": "trained"}, {}), c: ({"outcome": "pruned"}, {})}
    with pytest.raises(UpdateFinishedTrialError):
        writes.record_all(pending)
    assert all(t.user_attrs == {} for t in study.get_trials())   # nothing written by the refused batch
    errors = Member.record_all(pending)
    assert list(errors) == [b.number] and isinstance(errors[b.number], UpdateFinishedTrialError)
    assert [t.user_attrs for t in study.get_trials()] == [{"outcome": "trained"}, {}, {"outcome": "pruned"}]
