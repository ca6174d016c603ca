"""Read a study family out of the Optuna storage into two tidy tables: trials and studies.

``trials``: one row per finished trial (COMPLETE, PRUNED, FAIL) of every study of the family,
seed re-runs included (``role == "seeds"``). Optimizer parameters get their short names
(``optimizer.lr`` -> ``lr``), ``train.seed`` becomes ``seed``; an optimizer value the study did
not sweep is filled in from its identity's ``optimizer_settings``, so ``gamma_schedule`` or
``initial_square_avg`` is a column whether a study swept it or fixed it. ``batch_size`` and
``steps`` come from the study's training settings, and every split key of its identity
(``convention``, ``model.options.angle`` ...) is a column under its last dotted part (``angle``).
``setting`` names a trial's parameters but its seed (``tuning_seeds.setting_of``): the tuning
trials of one setting on several seeds, and its confirmation runs, share it.

``studies``: one row per study with its identity, direction, MLflow parent run and search space.
"""

from __future__ import annotations

import math
from typing import Any

import optuna
import pandas as pd
from optuna.distributions import json_to_distribution
from optuna.trial import TrialState

from ..errors import SweepError
from ..storages.rdb import open_existing
from sweeps import records
from sweeps.factor import declared
from .tuning_seeds import setting_of

SEEDS_SUFFIX = ".seeds"
LR_MAX_SUFFIX = ".lr_max"
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
# Columns every trials table has, even when no study of the family has the value.
NUMERIC = ("lr", "gamma", "eps", "initial_square_avg", "seed", "source_trial", "value",
           "diverged_step", "train_seconds", "best_val_loss", "best_val_step")
TEXT = ("gamma_schedule", "eps_in_sqrt", "bias_correction", "mlflow_run_id", "error", "outcome", "setting")
# what sweeps/hydra/plan.py puts in every identity; any other key is a split key (split_by)
_IDENTITY_FIELDS = {"model", "data", "optimizer", "data_fingerprint", "optimizer_settings", "train", "model_options",
                    "optimized_metric", "search_space", "seeds_of", "lr_max_of"}
_STUDY_COLUMNS = ("study", "label", "role", "tuning_study", "model", "data", "optimizer", "direction",
                  "metric", "factor")


def short_name(key: str) -> str:
    """``optimizer.lr`` -> ``lr``; ``train.seed`` -> ``seed``; anything else unchanged."""
    if key.startswith("optimizer."):
        return key.removeprefix("optimizer.")
    return "seed" if key == "train.seed" else key


def families(storage: str | optuna.storages.BaseStorage) -> list[str]:
    """The family names in a storage: the first dot-separated part of every study name."""
    return sorted({n.split(".", 1)[0] for n in optuna.get_all_study_names(_open(storage))})


def study_names(storage: str | optuna.storages.BaseStorage, family: str) -> list[str]:
    """The family's studies (seed studies included); a family without any is an error."""
    names = sorted(n for n in optuna.get_all_study_names(_open(storage)) if n.startswith(family + "."))
    if not names:
        found = ", ".join(families(storage)) or "none"
        raise SweepError(
            f"No study family {family!r} in the Optuna storage {_shown(storage)}; families found: "
            f"{found}. The family is hydra.sweeper.study_name of the sweep (e.g. default)."
        )
    return names


def load_studies(storage: str | optuna.storages.BaseStorage, family: str) -> pd.DataFrame:
    """One row per study: name, label, role, model, data, optimizer, direction, metric, ..."""
    st = _open(storage)
    names = study_names(storage, family)  # the URL, not the opened storage, names it in errors
    rows = [_study_row(optuna.load_study(study_name=n, storage=st), family) for n in names]
    by_name = {r["study"]: r for r in rows}
    for r in rows:  # a seed study measures what its tuning study measured
        base = by_name.get(r["tuning_study"])
        if r["role"] in ("seeds", "lr_max") and base is not None:
            for key in ("model", "data", "optimizer", "metric", "settings", "train", "distributions",
                        "protocol"):
                r[key] = r[key] or base[key]
            r["label"] = base["label"]
    for r in rows:   # the key of the factor its protocol compares (optimizer.gamma unless declared)
        r["factor"] = declared(r["protocol"])[0]
    return pd.DataFrame(rows)


def load_family(storage: str | optuna.storages.BaseStorage, family: str,
                studies: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per finished trial of the family; see the module docstring for the columns.
    ``studies``: the family's ``load_studies``, when already read."""
    st = _open(storage)
    studies = load_studies(storage, family) if studies is None else studies
    rows = []
    for s in studies.itertuples(index=False):
        study = optuna.load_study(study_name=s.study, storage=st)
        for t in study.get_trials(deepcopy=False, states=FINISHED):
            rows.append(_trial_row(t, s))
    # a family whose studies have no finished trial yet still gets every column
    frame = pd.DataFrame(rows, columns=None if rows else [*_STUDY_COLUMNS, "number", "state", "curve"])
    for col in NUMERIC:
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else math.nan
    for col in TEXT:
        if col not in frame:
            frame[col] = None
    if "diverged" not in frame:
        frame["diverged"] = False
    frame["diverged"] = frame["diverged"].fillna(False).astype(bool)
    return frame





def _study_row(study: optuna.Study, family: str) -> dict[str, Any]:
    name = study.study_name
    identity = study.user_attrs.get(records.IDENTITY) or {}
    # the sweeper names the tuning study in a seed study's identity; the suffix is the fallback
    tuning = (identity.get("seeds_of") or identity.get("lr_max_of")
              or name.removesuffix(SEEDS_SUFFIX).removesuffix(LR_MAX_SUFFIX))
    role = ("seeds" if ("seeds_of" in identity or name.endswith(SEEDS_SUFFIX)) else
            "lr_max" if ("lr_max_of" in identity or name.endswith(LR_MAX_SUFFIX)) else "tuning")
    return {
        "study": name, "family": family, "label": _label(identity, tuning, family), "role": role,
        "tuning_study": tuning,
        "model": identity.get("model"), "data": identity.get("data"),
        "optimizer": identity.get("optimizer") or tuning.rsplit(".", 1)[-1],
        "direction": study.direction.name.lower(),
        "metric": identity.get("optimized_metric"),
        "settings": identity.get("optimizer_settings") or {},
        "train": identity.get("train") or {},
        "distributions": _distributions(study, identity),
        "splits": (identity.get("model_options") or {})
                  | {k.rsplit(".", 1)[-1]: v for k, v in identity.items() if k not in _IDENTITY_FIELDS},
        "parent_run_id": study.user_attrs.get(records.PARENT_RUN),
        "protocol": study.user_attrs.get(records.PROTOCOL) or {},
    }


def _label(identity: dict, tuning: str, family: str) -> str:
    """``model/data/optimizer[/key=value...]`` from the identity (a name split on dots would cut
    ``initial_square_avg=1.0`` in two); without one, the study name after the family."""
    if not identity.get("model"):
        return tuning.removeprefix(family + ".")
    parts = [identity["model"], identity.get("data"), identity.get("optimizer")]
    parts += [f"{k.rsplit('.', 1)[-1]}={v}" for k, v in identity.items() if k not in _IDENTITY_FIELDS]
    return "/".join(str(p) for p in parts if p not in (None, "none"))


def _distributions(study: optuna.Study, identity: dict) -> dict:
    """The swept parameters (short names): from the identity, else from the trials themselves."""
    space = identity.get("search_space")
    if space:
        return {short_name(k): json_to_distribution(v) for k, v in space.items()}
    found: dict = {}
    for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        found |= {short_name(k): d for k, d in t.distributions.items()}
    return found


def _trial_row(t: optuna.trial.FrozenTrial, s) -> dict[str, Any]:
    row = {k: getattr(s, k) for k in _STUDY_COLUMNS}
    row |= {short_name(k): v for k, v in (s.settings or {}).items()}
    train = getattr(s, "train", None) or {}
    row |= {"batch_size": train.get("batch_size"), "steps": train.get("steps")}
    row |= getattr(s, "splits", None) or {}   # convention, angle, stochastic, ... (split keys)
    row |= {short_name(k): v for k, v in t.params.items()}
    row["setting"] = setting_of(t.params)   # what a tuning setting and its re-runs share
    record = records.trial_record(t)
    recorded_seed = record.pop("seed")
    row |= record | {"curve": dict(sorted(t.intermediate_values.items()))}  # step -> optimized metric
    if row.get("seed") is None:   # a swept train.seed first, then the trial's record, then the study's
        row["seed"] = recorded_seed if recorded_seed is not None else train.get("seed")
    return row


def _open(storage: str | optuna.storages.BaseStorage) -> optuna.storages.BaseStorage:
    return open_existing(storage) if isinstance(storage, str) else storage


def _shown(storage: str | optuna.storages.BaseStorage) -> str:
    return repr(storage) if isinstance(storage, str) else type(storage).__name__
