"""Bad input, refused before anything is written: training settings, the sweeper's options, names
that become folders, and the places a run writes to (output folder, Optuna storage, MLflow store).

The sweeper calls ``check_sweep`` before it composes a study, and ``check_training`` for every
study's config before any study exists; a single run calls ``check_training`` before it trains.
Each failure is a ``SweepError``: one paragraph naming the value and what is allowed (exit 2).
"""

from __future__ import annotations

import contextlib
import math
import numbers
import os
import re
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from omegaconf import DictConfig

from sweeps.jobs.builders import DTYPES
from .errors import SweepError, redact

TRAIN_KEYS = ("steps", "batch_size", "eval_every", "seed", "dtype", "divergence_factor", "score_test",
              "blas_threads", "eval_subset")
# Studies tune on the validation split; the test split is scored only by the confirmation runs.
TUNING_METRICS = ("val_loss", "val_accuracy")
# A study family names folders (multirun/<name>, reports/<name>) and the MLflow experiment.
STUDY_NAME = re.compile(r"[A-Za-z0-9_.-]+")
TRACKING_SCHEMES = ("sqlite:///", "http://", "https://", "file:", "postgresql", "mysql", "mssql")
_SQLITE_HEADER = b"SQLite format 3\x00"


def _int(value: Any, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _refuse(key: str, value: Any, allowed: str) -> SweepError:
    return SweepError(f"{key}={value!r} is not allowed; it must be {allowed}.")


def check_training(cfg: DictConfig) -> None:
    """``train.*``: every setting of the training loop, as the loop would refuse it, but up front."""
    t = cfg.train
    unknown = sorted(set(t) - set(TRAIN_KEYS))
    if unknown:
        raise SweepError(f"Unknown training setting {', '.join('train.' + k for k in unknown)}; the "
                         f"settings are {', '.join('train.' + k for k in TRAIN_KEYS)}.")
    ints = {"steps": (1, "an integer >= 1 (training steps)"),
            "batch_size": (1, "an integer >= 1"),
            "eval_every": (1, "an integer >= 1 (steps between evaluations)"),
            "seed": (0, "an integer >= 0")}
    for key, (low, allowed) in ints.items():
        if not _int(t[key], low):
            raise _refuse(f"train.{key}", t[key], allowed)
    if t.dtype not in DTYPES:
        raise _refuse("train.dtype", t.dtype, " or ".join(DTYPES))
    if not _real(t.divergence_factor) or not t.divergence_factor > 1:
        raise _refuse("train.divergence_factor", t.divergence_factor,
                      "a number > 1 (a loss above this multiple of the step-0 loss counts as diverged)")
    if not isinstance(t.score_test, bool):
        raise _refuse("train.score_test", t.score_test, "true or false")
    if t.blas_threads is not None and not _int(t.blas_threads, 1):
        raise _refuse("train.blas_threads", t.blas_threads, "null or an integer >= 1")
    subset = t.get("eval_subset", "auto")
    if subset not in (None, "auto", "all") and not _int(subset, 1):
        raise _refuse("train.eval_subset", subset,
                      "auto (evaluation ≤ 10% of training), all, or an integer >= 1 (validation examples)")


def check_metric(cfg: DictConfig) -> None:
    if cfg.optimized_metric not in TUNING_METRICS:
        raise _refuse("optimized_metric", cfg.optimized_metric,
                      f"{' or '.join(TUNING_METRICS)}: studies tune on the validation split, and the test "
                      "split is scored only by the confirmation runs (hydra.sweeper.seeds)")


def check_sweeper(o: DictConfig) -> None:
    """``hydra.sweeper.*`` options that no later step checks before a study is created."""
    s = "hydra.sweeper."
    check_study_name(o.study_name)
    check_protocol(o.protocol)
    for key, low in (("n_trials", 1), ("n_jobs", 1), ("retry_failed_trials", 0)):
        if not _int(o[key], low):
            raise _refuse(s + key, o[key], f"an integer >= {low}")
    if o.max_trials is not None and not _int(o.max_trials, 1):
        raise _refuse(s + "max_trials", o.max_trials, "null (no total budget) or an integer >= 1")
    points = o.grid_points
    values = list(points.values()) if isinstance(points, DictConfig) else [points]
    if not values or not all(_int(v, 1) for v in values):
        raise _refuse(s + "grid_points", points, "an integer >= 1, or a mapping such as {lr: 7, default: 3}")
    if o.direction not in ("minimize", "maximize"):
        raise _refuse(s + "direction", o.direction, "'minimize' or 'maximize'")
    if not _real(o.max_failure_rate) or not 0 <= o.max_failure_rate <= 1:
        raise _refuse(s + "max_failure_rate", o.max_failure_rate, "a fraction in [0, 1]")
    beat, grace = o.heartbeat_interval, o.grace_period
    if beat is not None:
        if not _real(beat) or not 0 < beat < math.inf:
            raise _refuse(s + "heartbeat_interval", beat, "null (no heartbeats) or a number of seconds > 0")
        if not _real(grace) or not beat < grace < math.inf:
            raise _refuse(s + "grace_period", grace, f"a number of seconds above heartbeat_interval={beat}")
    if o.population != "auto" and not _int(o.population, 1):
        raise _refuse(s + "population", o.population, "'auto' or an integer >= 1")
    if not _int(o.seeds.n, 0):
        raise _refuse(s + "seeds.n", o.seeds.n, "an integer >= 0")
    if not _int(o.seeds.top_k, 1):
        raise _refuse(s + "seeds.top_k", o.seeds.top_k, "an integer >= 1")


def check_study_name(name: Any) -> None:
    if not isinstance(name, str) or not STUDY_NAME.fullmatch(name) or ".." in name or name.startswith("."):
        raise SweepError(
            f"hydra.sweeper.study_name={name!r} is not allowed: it names folders under output_dir "
            "(multirun/<name>, reports/<name>) and the MLflow experiment, so it may hold only the "
            "letters A-Z and a-z, digits, '_', '-' and '.', must not start with '.' nor contain '..'."
        )


def check_output_dir(path: Any) -> None:
    """The folder everything is written to exists (it is created) and takes a file."""
    try:
        folder = Path(str(path))
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as e:
        raise SweepError(
            f"output_dir={str(path)!r} cannot be written to ({e.strerror or type(e).__name__}). Set "
            "output_dir (or GAMMASWEEP_OUTPUT_DIR) to a folder you can write; nothing was started."
        ) from None


def check_sqlite(url: str, setting: str) -> None:
    """A local SQLite store's folder is writable and its file, if any, is a sound database.

    A store that is not a database, or a damaged one, would otherwise fail deep inside Optuna or
    MLflow (MLflow retries it for minutes): it is refused here in one paragraph instead.
    """
    if not url.startswith("sqlite:///"):
        return
    db = Path(url.removeprefix("sqlite:///"))
    if db.name in ("", ":memory:"):
        return
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(db.parent, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as e:
        raise SweepError(
            f"{setting}={redact(url)!r}: its folder {str(db.parent)!r} cannot be written to "
            f"({e.strerror or type(e).__name__}). Use a sqlite:///path.db in a writable folder; "
            "nothing was started."
        ) from None
    if not db.exists() or db.stat().st_size == 0:
        return
    problem = _sqlite_problem(db)
    if problem:
        raise SweepError(
            f"{setting}={redact(url)!r}: {str(db)!r} is not a usable SQLite database ({problem}). "
            "Restore it from a backup, or move it aside to start afresh (its studies or runs are in "
            "it); nothing was started or changed."
        )


def _sqlite_problem(db: Path) -> str | None:
    try:
        with open(db, "rb") as f:
            if f.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                return "it does not start with the SQLite header"
        with contextlib.closing(sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=60)) as con:
            rows = con.execute("PRAGMA quick_check(3)").fetchall()
    except (OSError, sqlite3.Error) as e:
        return f"{type(e).__name__}: {e}"
    found = [r[0] for r in rows]
    return None if found == ["ok"] else "quick_check: " + "; ".join(found)


def check_tracking_uri(uri: str) -> None:
    if not isinstance(uri, str) or not uri.startswith(TRACKING_SCHEMES):
        raise SweepError(
            f"mlflow.tracking_uri={redact(str(uri))!r} is not supported: use sqlite:///path.db (the "
            "default), the http:// or https:// URL of an `mlflow server`, or a database URL "
            "(postgresql://...)."
        )
    check_sqlite(uri, "mlflow.tracking_uri")


def check_sweep(o: DictConfig, cfg: DictConfig) -> None:
    """Everything a sweep can check before it composes and opens its first study."""
    from .tracking import ensure_reachable

    check_sweeper(o)
    check_output_dir(cfg.output_dir)
    check_tracking_uri(cfg.mlflow.tracking_uri)
    check_sqlite(o.storage, "hydra.sweeper.storage")
    ensure_reachable(cfg.mlflow.tracking_uri)


SCALES = ("study", "smoke")


def check_protocol(p: DictConfig) -> None:
    """The report's declared test settings (``hydra.sweeper.protocol``)."""
    rules = {"reference_gamma": (lambda v: 0 <= v <= 1, "a γ in [0, 1]"),
             "margin": (lambda v: v > 0 and math.isfinite(v), "a finite number > 0"),
             "alpha": (lambda v: 0 < v < 1, "a number in (0, 1)")}
    for key, (ok, allowed) in rules.items():
        value = p.get(key)
        if not _real(value) or not ok(value):
            raise _refuse(f"hydra.sweeper.protocol.{key}", value, allowed)
    if p.get("scale", "study") not in SCALES:
        raise _refuse("hydra.sweeper.protocol.scale", p.get("scale"),
                      "study (the numbers answer the question) or smoke (they only exercise the pipeline)")
    target = p.get("target")
    values = target.values() if isinstance(target, DictConfig) else [] if target is None else [target]
    if any(not _real(v) or not math.isfinite(v) for v in values):
        raise _refuse("hydra.sweeper.protocol.target", target, "null, a number (the validation target "
                      "of steps-to-target) or {model: number}")
