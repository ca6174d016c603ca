"""The results of sweeps, out of the Optuna storage: a list of studies, a study's trials, a file.

From the shell (``--output-dir DIR`` or ``--storage URL``; default ``$GAMMASWEEP_OUTPUT_DIR`` or
``outputs``, i.e. ``sqlite:///outputs/optuna.db``)::

    python -m sweeps.results list [--family default]
    python -m sweeps.results show default.binary_mlp.binary_teacher.rmsprop
    python -m sweeps.results export --family default --format csv --output trials.csv

From Python, the same one-row-per-trial table as a DataFrame::

    from sweeps.results import trials
    df = trials("outputs", family="default")
    df[df.outcome == "trained"].groupby("study")["value"].min()
"""

from __future__ import annotations

import os

import pandas as pd

from ..storages.rdb import open_existing
from ._table import storage_url, studies, trial_table

__all__ = ["trials"]


def trials(
    output_dir: str | os.PathLike | None = None, family: str | None = None, storage: str | None = None,
) -> pd.DataFrame:
    """One row per trial (every state) of every study, or of one family's studies.

    Columns: ``family, study, number, state, outcome, value``, then every param by its short
    name (``optimizer.lr`` -> ``lr``), every final metric as ``final_<metric>``, then ``seed,
    mlflow_run_id, source_trial, error, diverged_step, train_seconds, datetime_start,
    datetime_complete, duration_s``. ``outcome`` is ``trained``/``diverged``/``collapsed`` for a
    COMPLETE trial and empty otherwise.

    ``storage`` (a URL) wins over ``output_dir`` (``sqlite:///<output_dir>/optuna.db``; default
    ``$GAMMASWEEP_OUTPUT_DIR`` or ``outputs``). A missing storage file or an unknown family
    raises ``sweeps.errors.SweepError``; nothing is created.
    """
    url = storage_url(output_dir, storage)
    st = open_existing(url)
    return trial_table(st, studies(st, url, family))
