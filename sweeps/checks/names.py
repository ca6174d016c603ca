"""Names that become folders, file names and MLflow names: study names and the experiment name.

A study's full name (``<family>.<model>.<data>.<optimizer>[.<key>=<value>...]``, built from config
values by ``sweeps.study.study_name``) names the job folders ``multirun/<family>/<study>/`` and the
study's MLflow parent run; the stages add suffixes (``<study>.lr_max``, ``<study>.seeds``). A folder
name holds at most 255 bytes (ext4, XFS, APFS), an MLflow run name 250 characters (its ``runs.name``
column, enforced by PostgreSQL) and an Optuna study name 512 (``studies.study_name``): names are
capped at ``MAX_NAME`` bytes, which leaves room for the stages' suffixes under the tightest limit.
"""

from __future__ import annotations

import re
from typing import Any

from sweeps.errors import SweepError

MAX_NAME = 200   # bytes: 250 (MLflow run name) less the longest stage suffix, rounded down
# A study family names folders (multirun/<name>, reports/<name>) and the MLflow experiment; a
# study's full name adds <key>=<value> parts for split keys, so '=' and '+' (1e+20) are allowed.
STUDY_NAME = re.compile(r"[A-Za-z0-9_.=+-]+")
_ALLOWED = "the letters A-Z and a-z, digits, '_', '-', '.', '=' and '+'"


def _bad_name(name: Any) -> str | None:
    """Why ``name`` cannot be a study name, or None."""
    if not isinstance(name, str) or not name:
        return "it must be a non-empty text"
    if not STUDY_NAME.fullmatch(name):
        return f"it may hold only {_ALLOWED}"
    if name.startswith(".") or ".." in name:
        return "it must not start with '.' nor contain '..'"
    if len(name.encode()) > MAX_NAME:
        return (f"it has {len(name.encode())} characters, and at most {MAX_NAME} are allowed (folder "
                "names hold 255 bytes, MLflow run names 250 characters, and the stages add suffixes "
                "such as .lr_max)")
    return None


def check_study_name(name: Any) -> None:
    """``hydra.sweeper.study_name``, the family every study of a sweep is named after."""
    why = _bad_name(name)
    if why:
        raise SweepError(
            f"hydra.sweeper.study_name={name!r} is not allowed: it names folders under output_dir "
            f"(multirun/<name>, reports/<name>) and the MLflow experiment, so {why}."
        )


def check_derived_name(name: str, cell: dict[str, Any]) -> None:
    """A study's full name, built from the family and the values of its config groups and split
    keys (``cell``): the same rule as the family's, naming the values it was built from."""
    why = _bad_name(name)
    if why:
        made = ", ".join(f"{k}={v!r}" for k, v in cell.items())
        raise SweepError(
            f"The study name {name!r}, made from hydra.sweeper.study_name and {made}, is not allowed: "
            f"it names folders under output_dir (multirun/<family>/<study>) and an MLflow run, so {why}. "
            "Change the value it was made from, or leave its key out of hydra.sweeper.split_by."
        )


def check_experiment_name(name: Any) -> None:
    """``mlflow.experiment_name``: it names the experiment's artifact folder
    (``<artifact_location>/<name>``), so it is one folder name that stays inside that folder."""
    why = _bad_experiment_name(name)
    if why:
        raise SweepError(
            f"mlflow.experiment_name={name!r} is not allowed: {why}. The default is "
            "gammasweep-<hydra.sweeper.study_name>."
        )


def _bad_experiment_name(name: Any) -> str | None:
    if not isinstance(name, str) or not name.strip():
        return "it must be a non-empty text"
    if "/" in name or "\\" in name or not name.isprintable():
        return ("it must not hold '/', '\\' or control characters: it is one folder name, "
                "<artifact location>/<name>")
    if name.strip() in (".", ".."):
        return "it must not be '.' or '..': <artifact location>/<name> would not be inside the artifact location"
    if len(name.encode()) > 255:
        return f"it has {len(name.encode())} bytes, and a folder name holds at most 255"
    return None
