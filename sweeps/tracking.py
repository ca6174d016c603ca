"""MLflow, wired in one place: experiments, the parent run of a study, a child run per trial.

Everything goes through ``MlflowClient`` with explicit run ids, never through the fluent
``mlflow.start_run`` state, so that children link to their parent with the
``mlflow.parentRunId`` tag (which survives process launchers, unlike ``nested=True``).
"""

from __future__ import annotations

import functools
import subprocess
import time
from pathlib import Path
from typing import Any, Iterable

from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from .errors import SweepError

STUDY_TAG = "gammasweep.study"
PARENT_ATTR = "mlflow_parent_run_id"
# MLflow's limits for one log_batch call.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS = 1000, 100, 100


@functools.lru_cache(maxsize=None)
def client(tracking_uri: str) -> MlflowClient:
    """One client per URI and process (its store and connection pool are reused)."""
    if tracking_uri.startswith("sqlite:///"):
        Path(tracking_uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return MlflowClient(tracking_uri=tracking_uri)


@functools.lru_cache(maxsize=None)
def ensure_experiment(tracking_uri: str, name: str, artifact_location: str | None) -> str:
    """Create (once, in the main process) or find the experiment; returns its id (cached)."""
    try:
        c = client(tracking_uri)
        found = c.get_experiment_by_name(name)
        if found is not None:
            return found.experiment_id
        location = Path(artifact_location).resolve().as_uri() if artifact_location else None
        return c.create_experiment(name, artifact_location=location)
    except Exception as e:  # the store's errors differ per backend; all mean "unusable"
        raise SweepError(
            f"Cannot use the MLflow tracking store {tracking_uri!r} (mlflow.tracking_uri) for "
            f"experiment {name!r}: {type(e).__name__}: {str(e).splitlines()[0]}. Use a writable "
            "sqlite:///path.db or the URL of a running `mlflow server` (http://host:5000)."
        ) from None


def parent_run(tracking_uri: str, experiment_id: str, study: Any) -> str:
    """The study's parent run: created once, found again on every resume."""
    c = client(tracking_uri)
    run_id = study.user_attrs.get(PARENT_ATTR)
    if run_id is None:
        found = c.search_runs(
            [experiment_id], filter_string=f"tags.`{STUDY_TAG}` = '{study.study_name}'", max_results=1
        )
        if found:
            run_id = found[0].info.run_id
        else:
            run = c.create_run(
                experiment_id, run_name=study.study_name, tags={STUDY_TAG: study.study_name}
            )
            run_id = run.info.run_id
        study.set_user_attr(PARENT_ATTR, run_id)
    return run_id


def start_child(
    tracking_uri: str, experiment_id: str, parent_run_id: str | None, name: str, tags: dict[str, str]
) -> str:
    tags = dict(tags)
    if parent_run_id:
        tags["mlflow.parentRunId"] = parent_run_id
    tags.setdefault("mlflow.source.git.commit", code_version())
    return client(tracking_uri).create_run(experiment_id, run_name=name, tags=tags).info.run_id


def log_all(
    tracking_uri: str,
    run_id: str,
    params: dict[str, Any] | None = None,
    history: Iterable[tuple[str, float, int]] = (),
    metrics: dict[str, float] | None = None,
    tags: dict[str, Any] | None = None,
) -> None:
    """Params, a whole metric history (key, value, step) and tags in as few calls as MLflow allows."""
    now = int(time.time() * 1000)
    ms = [Metric(k, float(v), now, int(s)) for k, v, s in history]
    ms += [Metric(k, float(v), now, 0) for k, v in (metrics or {}).items()]
    ps = [Param(k, str(v)) for k, v in (params or {}).items()]
    ts = [RunTag(k, str(v)) for k, v in (tags or {}).items()]
    c = client(tracking_uri)
    while ms or ps or ts:
        c.log_batch(run_id, metrics=ms[:_MAX_METRICS], params=ps[:_MAX_PARAMS], tags=ts[:_MAX_TAGS])
        ms, ps, ts = ms[_MAX_METRICS:], ps[_MAX_PARAMS:], ts[_MAX_TAGS:]


def finish(tracking_uri: str, run_id: str, status: str = "FINISHED") -> None:
    client(tracking_uri).set_terminated(run_id, status=status)


@functools.lru_cache(maxsize=1)
def code_version() -> str:
    """The git commit of the checkout being run, or the package version outside a checkout."""
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if out.returncode == 0:
            return out.stdout.strip()
    except OSError:
        pass
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"gammasweep {version('gammasweep')}"
    except PackageNotFoundError:
        return "unknown"
