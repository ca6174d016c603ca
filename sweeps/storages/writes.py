"""Many of a study's rows in one transaction, not one per value: a finished trial's record, and
the owners and first heartbeats of a batch of trials.

Optuna commits every ``trial.set_user_attr`` and ``trial.report`` on its own: a SELECT of the
trial, an upsert through the ORM and a commit, about a millisecond each on SQLite. A trial of 20
evaluations that records a dozen attributes at its end pays some 30 of them; this checks the
trial once (refused the same way if it is no longer RUNNING) and writes the rows with two
multi-row upserts into Optuna's own tables, in Optuna's own stored forms. A batch of 32 freshly
asked trials likewise gets its owners and first heartbeats in one, and a batch of finished
trials their values and COMPLETE state in one. SQLite and PostgreSQL
(the storages the project documents); any other storage gets the public calls one by one.
Writing Optuna's tables is private to Optuna: the upserts are ``adapters.optuna_private``'s.
"""

from __future__ import annotations

from typing import Any

import optuna

from ..adapters import optuna_private


def record(trial: optuna.Trial, user_attrs: dict[str, Any], intermediate: dict[int, float]) -> None:
    """Set ``user_attrs`` and report ``intermediate`` (step -> value) of a live trial at once."""
    record_all({trial: (user_attrs, intermediate)})


def record_all(records: dict[optuna.Trial, tuple[dict[str, Any], dict[int, float]]]) -> None:
    """``record`` for several live trials of one study, all in one transaction. Raises Optuna's
    ``UpdateFinishedTrialError`` if one of them has finished: then nothing is written."""
    if not records:
        return
    fresh = {}
    for trial, (user_attrs, intermediate) in records.items():
        reported = optuna_private.reported_values(trial)
        fresh[trial] = (user_attrs, {int(step): float(v) for step, v in intermediate.items()
                                     if int(step) not in reported})
    rdb = optuna_private.batch_writable(optuna_private.storage_of(next(iter(records)).study))
    if rdb is None:
        for trial, (user_attrs, values) in fresh.items():
            for key, value in user_attrs.items():
                trial.set_user_attr(key, value)
            for step, value in values.items():
                trial.report(value, step)
        return
    optuna_private.write_trial_records(rdb, {optuna_private.trial_id(t): r for t, r in fresh.items()})
    for trial, (_, values) in fresh.items():   # as Trial.report keeps them: a step written here is not reported again
        optuna_private.reported_values(trial).update(values)


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


def tell_complete(study: optuna.Study, values: dict[optuna.Trial, float]) -> set[int]:
    """Tell the trials COMPLETE with their values in one transaction, as ``study.tell(trial,
    value)`` would one by one, where that is all it would do: an RDB storage and a sampler whose
    ``after_trial`` does nothing. Returns the numbers of the trials told; the others (a trial no
    longer RUNNING, any other storage or sampler) are the caller's to tell one by one."""
    rdb = optuna_private.batch_writable(optuna_private.storage_of(study))
    if rdb is None or not values or not idle_after_trial(study.sampler):
        return set()
    ids = {optuna_private.trial_id(t): t.number for t in values}
    told = optuna_private.write_completes(study, rdb, {optuna_private.trial_id(t): v for t, v in values.items()})
    return {ids[i] for i in told}


def idle_after_trial(sampler: optuna.samplers.BaseSampler) -> bool:
    """True if the sampler's ``after_trial`` does nothing: Optuna's base one, or the grid's."""
    from sweeps.samplers import EnumeratedGridSampler

    return (isinstance(sampler, EnumeratedGridSampler)
            or type(sampler).after_trial is optuna.samplers.BaseSampler.after_trial)
