"""A trial's attributes and intermediate values written in one transaction are exactly what
Optuna's own calls write, one commit each; a finished trial is refused the same way."""

from __future__ import annotations

import math
import time

import optuna
import pytest
from optuna.exceptions import UpdateFinishedTrialError

from sweeps.storages import writes
from sweeps.storages.rdb import open_storage

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage")   # the sweeper beats for its asks itself
ATTRS = {"outcome": "trained", "final": {"val_loss": 0.25}, "trajectory": [[-7.0, 2.0], [-6.5, 1.0]],
         "worker": "replaced"}
VALUES = {0: 0.9, 50: 0.5, 100: 0.25, 150: float("inf"), 200: float("nan")}


def _storage(kind: str, request, tmp_path):
    if kind == "sqlite":
        return open_storage(f"sqlite:///{tmp_path}/optuna.db")
    if kind == "postgresql":
        return open_storage(request.getfixturevalue("postgres").database("writes"))
    return None   # Optuna's in-memory storage: the public calls


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def test_one_transaction_writes_what_the_public_calls_write(kind, request, tmp_path):
    study = optuna.create_study(storage=_storage(kind, request, tmp_path))
    ours, theirs = study.ask(), study.ask()
    for t in (ours, theirs):
        t.set_user_attr("worker", "host:1")   # set at ask: an upsert replaces it
        t.report(0.9, 0)                       # already reported: kept, not written twice
    writes.record(ours, ATTRS, VALUES)
    for key, value in ATTRS.items():
        theirs.set_user_attr(key, value)
    for step, value in VALUES.items():
        if step:
            theirs.report(value, step)
    a, b = (study._storage.get_trial(t._trial_id) for t in (ours, theirs))
    assert a.user_attrs == b.user_attrs == ATTRS
    assert a.intermediate_values.keys() == b.intermediate_values.keys() == VALUES.keys()
    for step, value in VALUES.items():
        got, want = a.intermediate_values[step], b.intermediate_values[step]
        assert got == want or (math.isnan(got) and math.isnan(want) and math.isnan(value))
    study.tell(ours, 0.25)
    with pytest.raises(UpdateFinishedTrialError):
        writes.record(ours, {"late": 1}, {300: 0.1})
    after = study._storage.get_trial(ours._trial_id)
    assert "late" not in after.user_attrs and 300 not in after.intermediate_values


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_first_beats_of_a_batch_go_stale_and_revive_as_optunas_do(kind, request, tmp_path):
    url = f"sqlite:///{tmp_path}/optuna.db" if kind == "sqlite" else request.getfixturevalue("postgres").database("beats")
    storage = open_storage(url, 1, 1)   # heartbeat every second, stale after one
    study = optuna.create_study(storage=storage)
    ours, theirs = [study.ask() for _ in range(2)], study.ask()
    writes.first_beat(study, [t._trial_id for t in ours], {"gammasweep.owner": ["host", 1, "42"]})
    storage.set_trial_system_attr(theirs._trial_id, "gammasweep.owner", ["host", 1, "42"])
    storage.record_heartbeat(theirs._trial_id)
    for t in (*ours, theirs):
        assert storage.get_trial(t._trial_id).system_attrs["gammasweep.owner"] == ["host", 1, "42"]
    assert storage._get_stale_trial_ids(study._study_id) == []
    time.sleep(2.5)
    assert sorted(storage._get_stale_trial_ids(study._study_id)) == sorted(t._trial_id for t in (*ours, theirs))
    writes.first_beat(study, [ours[0]._trial_id], {})   # beating again revives it
    assert ours[0]._trial_id not in storage._get_stale_trial_ids(study._study_id)
