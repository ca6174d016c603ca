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
from ..errors import SweepError
from ..storages.rdb import _redact, open_storage
from ..study import IDENTITY_ATTR, trial_outcome

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


def open_existing(url: str) -> BaseStorage:
    """Open a storage to read; a missing SQLite file is an error, never a new empty database."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            raise SweepError(
                f"There is no Optuna storage at {str(path)!r} ({url}): the file does not exist. "
                "Run a sweep first (python sweep.py -m), or point at the one it wrote with "
                "--output-dir DIR (the sweep's output_dir, holding optuna.db) or --storage URL "
                "(hydra.sweeper.storage)."
            )
    elif url.startswith("sqlite:"):
        raise SweepError(f"Cannot read the Optuna storage {url!r}: a SQLite URL is sqlite:///path/to/optuna.db.")
    return open_storage(url)


def studies(storage: BaseStorage, url: str, family: str | None = None) -> list[optuna.study.FrozenStudy]:
    """The storage's studies, sorted by name; of one family if given (unknown family: error)."""
    found = sorted(storage.get_all_studies(), key=lambda s: s.study_name)
    if family is None:
        return found
    mine = [s for s in found if family_of(s.study_name) == family]
    if not mine:
        names = sorted({family_of(s.study_name) for s in found})
        raise SweepError(
            f"No study family {family!r} in the Optuna storage {_redact(url)}; families found: "
            f"{', '.join(names) or 'none (the storage has no study yet)'}. The family is the first "
            "part of a study name, hydra.sweeper.study_name of the sweep (e.g. default)."
        )
    return mine


def family_of(study_name: str) -> str:
    return study_name.split(".", 1)[0]


def trial_row(t: FrozenTrial, study: optuna.study.FrozenStudy) -> dict[str, Any]:
    ua = t.user_attrs
    identity = study.user_attrs.get(IDENTITY_ATTR) or {}
    params = {short_name(k): v for k, v in t.params.items()}
    # the seed the trial trained with: its own record, its param, else the study's fixed one
    seed = ua.get("seed", params.pop("seed", None))
    if seed is None:
        seed = (identity.get("train") or {}).get("seed")
    start, end = t.datetime_start, t.datetime_complete
    row = {
        "family": family_of(study.study_name), "study": study.study_name, "number": t.number,
        "state": t.state.name, "outcome": trial_outcome(t), "value": t.value,
    }
    row |= {f"param:{k}": v for k, v in params.items()}
    row |= {f"final_{k}": v for k, v in (ua.get("final") or {}).items()}
    row |= {
        "seed": seed, "mlflow_run_id": ua.get("mlflow_run_id"), "source_trial": ua.get("source_trial"),
        "error": ua.get("error"), "diverged_step": ua.get("diverged_step"),
        "train_seconds": ua.get("train_seconds"), "datetime_start": start, "datetime_complete": end,
        "duration_s": (end - start).total_seconds() if start and end else None,
    }
    return row


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
