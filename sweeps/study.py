"""One Optuna study per (model, data, optimizer): its name, identity and trial budget."""

from __future__ import annotations

import json
from typing import Any

import optuna
from optuna.trial import TrialState

from .adapters import optuna_private
from .errors import SweepError
from sweeps.tracking.run_labels import number
from sweeps import records

# A study records what its trials measured (records.IDENTITY); a later invocation that would
# measure something else (other data, steps, conventions or search space) is refused rather than
# mixed in.


def study_name(family: str, cell: dict[str, str]) -> str:
    """``<family>.<model>.<data>.<optimizer>[.<key>=<value>...]``.

    Data is left out for the problems that carry their own; other split keys are named by their
    last part, e.g. ``gamma_sensitivity.mnist_mlp.mnist_5k.rmsprop.initial_square_avg=1.0``.
    """
    parts = [family]
    for key, value in cell.items():
        if key in ("model", "data", "optimizer"):
            parts += [] if (key == "data" and value == "none") else [value]
        else:
            parts.append(f"{key.rsplit('.', 1)[-1]}={value}")
    return ".".join(parts)


def open_study(
    name: str,
    storage: optuna.storages.BaseStorage,
    direction: str,
    identity: dict[str, Any],
) -> optuna.Study:
    """Create the study, or load it and check that it measures the same thing as before."""
    if direction not in ("minimize", "maximize"):
        raise SweepError(
            f"hydra.sweeper.direction must be 'minimize' or 'maximize', but got {direction!r}."
        )
    study = optuna.create_study(
        study_name=name, storage=storage, direction=direction, load_if_exists=True
    )
    if study.direction.name.lower() != direction:
        raise SweepError(
            f"Study {name!r} already exists with direction {study.direction.name.lower()}; "
            f"this invocation asks for {direction}. Use another hydra.sweeper.study_name."
        )
    stored = study.user_attrs.get(records.IDENTITY)
    canonical = json.loads(json.dumps(identity, sort_keys=True, default=str))
    if stored is None:
        study.set_user_attr(records.IDENTITY, canonical)
    elif stored != canonical:
        raise SweepError(_mismatch(name, stored, canonical))
    return study


def _mismatch(name: str, stored: dict, new: dict) -> str:
    lines = "\n".join(f"  - {line}" for line in differences(stored, new))
    return (
        f"Refusing to add trials to study {name!r}: they would not measure the same thing as its "
        f"existing trials.\n{lines}\nKeep the original settings to resume it, or start a new "
        "study with hydra.sweeper.study_name=<new name>."
    )


# What each identity entry is, in words; dict entries are compared key by key.
_WHAT = {"search_space": "search space of", "optimizer_settings": "optimizer.", "train": "train.",
         "model_options": "model.options."}


def differences(stored: dict, new: dict) -> list[str]:
    """One sentence per setting that differs between a study's identity and this invocation's."""
    out = []
    for key in sorted(stored.keys() | new.keys()):
        old, now = stored.get(key), new.get(key)
        if old == now:
            continue
        if key in _WHAT and isinstance(old, dict) and isinstance(now, dict):
            for sub in sorted(old.keys() | now.keys()):
                if old.get(sub) != now.get(sub):
                    describe = describe_space if key == "search_space" else _value
                    label = f"search space of {sub}" if key == "search_space" else f"{_WHAT[key]}{sub}"
                    out.append(f"{label}: study has {describe(old.get(sub))}, this run {describe(now.get(sub))}")
        else:
            out.append(f"{key}: study has {_value(old)}, this run {_value(now)}")
    return out


def describe_space(stored: str | None) -> str:
    """A stored distribution (Optuna's JSON) in words: ``log-uniform [1e-4, 0.1]``."""
    if stored is None:
        return "none (not swept)"
    try:
        d = json.loads(stored)
        a, kind = d["attributes"], d["name"]
    except (ValueError, KeyError, TypeError):
        return _value(stored)
    if kind == "CategoricalDistribution":
        return "choice of " + ", ".join(map(_value, a["choices"]))
    scale = "log-uniform" if a.get("log") else "uniform"
    if kind == "IntDistribution":
        scale = "log-spaced integers" if a.get("log") else "integers"
    step = a.get("step")
    step = f" in steps of {_value(step)}" if step and not (kind == "IntDistribution" and step == 1) else ""
    return f"{scale} [{_value(a['low'])}, {_value(a['high'])}]{step}"


def _value(v) -> str:
    if v is None:
        return "not set"
    if isinstance(v, float):
        return number(v)
    return repr(v) if isinstance(v, str) else str(v)


COUNTED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


def remaining_budget(study: optuna.Study, launched: int, n_trials: int, max_trials: int | None) -> int:
    """Trials this invocation may still add: its own ``n_trials``, capped by the study's total.

    Running trials count against ``max_trials`` so that workers sharing a study do not overshoot;
    failed trials do not (they are retried or replaced).
    """
    left = n_trials - launched
    if max_trials is not None:
        left = min(left, max_trials - len(study.get_trials(deepcopy=False, states=COUNTED)))
    return max(left, 0)


def unfinished(study: optuna.Study) -> int:
    """Trials queued or running: what a stage that enqueues its own trials still has to drain,
    including what an interrupted invocation left (a dead worker's trial is failed and re-queued
    when asked for)."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.WAITING, TrialState.RUNNING)))


def best_trials(study: optuna.Study, per: list[str], top_k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``top_k`` best settings for each combination of the ``per`` params, each by its first
    trial: a setting is ranked by its mean value over its tuning seeds, one that did not train on
    every seed behind those that did, one that trained on none never picked
    (``analysis.tuning_seeds``)."""
    from sweeps.analysis.tuning_seeds import from_trials, picks

    trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    by_number = {t.number: t for t in trials}
    best = picks(from_trials(trials, per), study.direction.name.lower(), top_k)
    return [by_number[int(n)] for n in best["number"]]


def planned_params(t: optuna.trial.FrozenTrial) -> dict:
    """A trial's parameters, also while it waits in the queue: an enqueued (WAITING) trial has no
    ``params`` until a worker asks for it, only the values ``enqueue_trial`` fixed."""
    return t.params or optuna_private.enqueued_params(t)


def confirmations(study: optuna.Study) -> set[tuple]:
    """(source trial, seed) of every confirmation run done, running or queued by any worker."""
    live = (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)
    return {(t.user_attrs.get(records.SOURCE_TRIAL), planned_params(t).get("train.seed"))
            for t in study.get_trials(deepcopy=False, states=live)}
