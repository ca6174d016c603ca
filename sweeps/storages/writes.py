"""Many of a study's rows in one transaction, not one per value: a finished trial's record, and
the owners and first heartbeats of a batch of trials.

Optuna commits every ``trial.set_user_attr`` and ``trial.report`` on its own: a SELECT of the
trial, an upsert through the ORM and a commit, about a millisecond each on SQLite. A trial of 20
evaluations that records a dozen attributes at its end pays some 30 of them; this checks the
trial once (refused the same way if it is no longer RUNNING) and writes the rows with two
multi-row upserts into Optuna's own tables, in Optuna's own stored forms. A batch of 32 freshly
asked trials likewise gets its owners and first heartbeats in one. SQLite and PostgreSQL
(the storages the project documents); any other storage gets the public calls one by one.
Writing Optuna's tables is private to Optuna: the upserts are ``adapters.optuna_private``'s.
"""

from __future__ import annotations

from typing import Any

import optuna

from ..adapters import optuna_private


def record(trial: optuna.Trial, user_attrs: dict[str, Any], intermediate: dict[int, float]) -> None:
    """Set ``user_attrs`` and report ``intermediate`` (step -> value) of a live trial at once."""
    reported = optuna_private.reported_values(trial)
    values = {int(step): float(v) for step, v in intermediate.items() if int(step) not in reported}
    rdb = optuna_private.batch_writable(optuna_private.storage_of(trial.study))
    if rdb is None:
        for key, value in user_attrs.items():
            trial.set_user_attr(key, value)
        for step, value in values.items():
            trial.report(value, step)
        return
    optuna_private.write_trial_record(rdb, optuna_private.trial_id(trial), user_attrs, values)
    reported.update(values)   # as Trial.report keeps them: a step written here is not reported again


def first_beat(study: optuna.Study, trial_ids: list[int], system_attrs: dict[str, Any], beat: bool = True) -> None:
    """Freshly asked trials' ``system_attrs`` (their owner) and, if ``beat``, their first
    heartbeat, in one transaction."""
    storage = optuna_private.storage_of(study)
    rdb = optuna_private.batch_writable(storage)
    if rdb is None:
        for trial_id in trial_ids:
            for key, value in system_attrs.items():
                storage.set_trial_system_attr(trial_id, key, value)
            if beat:
                storage.record_heartbeat(trial_id)
        return
    optuna_private.write_first_beats(rdb, trial_ids, system_attrs, beat)
