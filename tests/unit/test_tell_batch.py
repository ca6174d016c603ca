"""Finished trials told COMPLETE together (``storages.writes.tell_complete``), where Optuna's tell
would do nothing more than write them."""

from __future__ import annotations

import optuna
import pytest
from optuna.distributions import FloatDistribution
from optuna.storages import InMemoryStorage, RDBStorage
from optuna.trial import TrialState

from sweeps.samplers import EnumeratedGridSampler
from sweeps.storages import writes

SPACE = {"x": FloatDistribution(0, 1)}


@pytest.mark.parametrize("sampler, batched", [
    (lambda: EnumeratedGridSampler({"x": [0.0, 0.5, 1.0]}, seed=0), True),
    (lambda: optuna.samplers.RandomSampler(seed=0), True),
    (lambda: optuna.samplers.TPESampler(seed=0), False),    # its after_trial handles constraints
])
def test_a_batch_is_told_where_the_samplers_after_trial_does_nothing(tmp_path, sampler, batched):
    study = optuna.create_study(storage=RDBStorage(f"sqlite:///{tmp_path}/o.db"), sampler=sampler())
    trials = [study.ask(SPACE) for _ in range(3)]
    told = writes.tell_complete(study, {t: 0.1 * i for i, t in enumerate(trials)})
    assert told == ({t.number for t in trials} if batched else set())
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.COMPLETE if batched else TrialState.RUNNING] * 3


def test_any_other_storage_is_told_one_by_one_by_the_caller():
    study = optuna.create_study(storage=InMemoryStorage())
    trial = study.ask(SPACE)
    assert writes.tell_complete(study, {trial: 1.0}) == set()
    assert study.get_trials()[0].state == TrialState.RUNNING
