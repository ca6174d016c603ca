"""Every trial of a storage as one tidy table: the rows of ``trials()`` and of ``export``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.storages import BaseStorage
from optuna.study import StudyDirection
from optuna.trial import FrozenTrial

from ..analysis.load import short_name
from ..errors import SweepError, redact
from sweeps import records

OUTCOMES = ("trained", "diverged", "collapsed")
# Columns in this order; the params go after ``value`` and the final metrics after them.
HEAD = ("family", "study", "number", "state", "outcome", "value")
TAIL = ("seed", "mlflow_run_id", "source_trial", "error", "diverged_step", "train_seconds",
        "datetime_start", "datetime_complete", "duration_s")
_INTS = ("number", "seed", "source_trial", "diverged_step")
_FIRST_PARAMS = ("lr", "gamma", "eps")  # the common axes first, the rest by name


def storage_url(output_dir: str | os.PathLike | None = None, storage: str | None = None) -> str:
    """``storage`` if given, else ``sqlite:///<output_dir>/optuna.db`` (default output dir:
    ``$GAMMASWEEP_OUTPUT_DIR`` or ``outputs``, as in conf/config.yaml)."""
    if storage:
        return storage
    base = output_dir if output_dir is not None else os.environ.get("GAMMASWEEP_OUTPUT_DIR", "outputs")
    return f"sqlite:///{Path(base) / 'optuna.db'}"


def studies(storage: BaseStorage, url: str, family: str | None = None) -> list[optuna.study.FrozenStudy]:
    """The storage's studies, sorted by name; of one family if given (unknown family: error)."""
    found = sorted(storage.get_all_studies(), key=lambda s: s.study_name)
    if family is None:
        return found
    mine = [s for s in found if records.family_of(s.study_name) == family]
    if not mine:
        names = sorted({records.family_of(s.study_name) for s in found})
        raise SweepError(
            f"No study family {family!r} in the Optuna storage {redact(url)}; families found: "
            f"{', '.join(names) or 'none (the storage has no study yet)'}. The family is the first "
            "part of a study name, hydra.sweeper.study_name of the sweep (e.g. default)."
        )
    return mine


def trial_row(t: FrozenTrial, study: optuna.study.FrozenStudy) -> dict[str, Any]:
    params = {short_name(k): v for k, v in t.params.items()}
    record = records.trial_record(t)
    # the seed the trial trained with: its own record, its param, else the study's fixed one
    param_seed, seed = params.pop("seed", None), record.pop("seed")
    if seed is None:
        seed = param_seed
    if seed is None:
        seed = (records.identity(study).get("train") or {}).get("seed")
    row = {"family": records.family_of(study.study_name), "study": study.study_name}
    row |= {f"param:{k}": v for k, v in params.items()}
    return row | record | {"seed": seed}


def trial_table(storage: BaseStorage, chosen: list[optuna.study.FrozenStudy]) -> pd.DataFrame:
    """One row per trial (every state) of the chosen studies, columns in a fixed order."""
    rows = [trial_row(t, s) for s in chosen for t in
            optuna.load_study(study_name=s.study_name, storage=storage).get_trials(deepcopy=False)]
    frame = pd.DataFrame(rows)
    params = {c for r in rows for c in r if c.startswith("param:")}
    finals = sorted({c for r in rows for c in r if c.startswith("final_")})
    rank = {f"param:{n}": i for i, n in enumerate(_FIRST_PARAMS)}
    order = sorted(params, key=lambda c: (rank.get(c, len(rank)), c))
    for col in (*HEAD, *order, *finals, *TAIL):
        if col not in frame:
            frame[col] = None
    frame = frame[[*HEAD, *order, *finals, *TAIL]]
    # a param named like a fixed column keeps its prefix rather than overwrite it
    frame.columns = [c[6:] if c.startswith("param:") and c[6:] not in (*HEAD, *TAIL) else c
                     for c in frame.columns]
    for col in _INTS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in ("value", "train_seconds", "duration_s", *finals):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
    for col in ("datetime_start", "datetime_complete"):
        frame[col] = pd.to_datetime(frame[col])
    return frame


def best(study: optuna.study.FrozenStudy, rows: pd.DataFrame) -> pd.Series | None:
    """The study's best COMPLETE trial with a finite value (its direction), or None."""
    done = rows[(rows["state"] == "COMPLETE") & np.isfinite(rows["value"])]
    if done.empty or len(study.directions) != 1:
        return None
    pick = done["value"].idxmax() if study.directions[0] == StudyDirection.MAXIMIZE else done["value"].idxmin()
    return done.loc[pick]
