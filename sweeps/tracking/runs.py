"""MLflow, wired in one place: experiments, the parent run of a study, a child run per trial.

Everything goes through ``MlflowClient`` with explicit run ids, never through the fluent
``mlflow.start_run`` state, so that children link to their parent with the
``mlflow.parentRunId`` tag (which survives process launchers, unlike ``nested=True``).
"""

from __future__ import annotations

import base64
import functools
import logging
import os
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from sweeps.tracking import template as mlflow_template
from sweeps.storages import sqlite_wal
from sweeps.errors import SweepError, redact
from sweeps.redaction import guard_handlers, with_password_from, without_userinfo
from sweeps import records

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

log = logging.getLogger(__name__)

# Marks the experiment as model training (MLflow 3 otherwise offers GenAI views first).
KIND = "custom_model_development"
# The runs table (not the GenAI traces view, MLflow 3's default landing page).
_VIEW = "#/experiments/{id}?workflowType=machine_learning"
UI_PORT = 5000
# The variable a printed `mlflow ui` command reads a database store's password from.
DB_PASSWORD = "MLFLOW_DB_PASSWORD"
# MLflow's limits for one log_batch call.
_MAX_METRICS, _MAX_PARAMS, _MAX_TAGS = 1000, 100, 100


@functools.lru_cache(maxsize=None)
def client(tracking_uri: str) -> MlflowClient:
    """One client per URI and process (its store and connection pool are reused)."""
    if tracking_uri.startswith("sqlite:///"):
        from sweeps.checks import check_sqlite

        check_sqlite(tracking_uri, "mlflow.tracking_uri")   # not a database: refused, not retried
        db = Path(tracking_uri.removeprefix("sqlite:///"))
        sqlite_wal.install()
        mlflow_template.seed(db)
    if redact(tracking_uri) != tracking_uri:
        # MLflow writes "View run ... at: <the URI>" straight to stdout when a run ends, password
        # included; the sweep's closing "MLflow:" line gives the link without it.
        os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"
    from mlflow.tracking import MlflowClient   # ~1.7 s: imported once a run needs it, so that bad
                                               # input is refused without waiting for it
    guard_handlers()   # MLflow's loggers print through handlers of their own
    return MlflowClient(tracking_uri=tracking_uri)


@functools.lru_cache(maxsize=None)
def ensure_experiment(tracking_uri: str, name: str, artifact_location: str | None) -> str:
    """Create or find the experiment (the sweeper, once a study; a single run); returns its id."""
    try:
        c = client(tracking_uri)
        found = c.get_experiment_by_name(name)
        if found is not None:
            if found.tags.get(records.EXPERIMENT_KIND_TAG) != KIND:
                c.set_experiment_tag(found.experiment_id, records.EXPERIMENT_KIND_TAG, KIND)
            return found.experiment_id
        return c.create_experiment(name, artifact_location=_artifact_uri(tracking_uri, artifact_location, name),
                                   tags={records.EXPERIMENT_KIND_TAG: KIND})
    except SweepError:
        raise
    except Exception as e:  # the store's errors differ per backend; all mean "unusable"
        raise SweepError(
            f"Cannot use the MLflow tracking store {redact(tracking_uri)!r} (mlflow.tracking_uri) for "
            f"experiment {name!r}: {type(e).__name__}: {str(e).splitlines()[0]}. Use a writable "
            "sqlite:///path.db or the URL of a running `mlflow server` (http://host:5000)."
        ) from None


def ui_link(tracking_uri: str, experiment_id: str) -> tuple[str | None, str]:
    """(the command that serves the UI, or None for a server; the experiment's runs-table URL).

    Every link the project prints comes from here, with ``?workflowType=machine_learning``: MLflow
    3 keeps its GenAI/model-training switch in the browser and lands on GenAI traces otherwise.
    No password is in either: a server's link has no ``user:password@`` (the browser asks for
    them), and a database store's command reads its password from ``$MLFLOW_DB_PASSWORD``.
    """
    view = _VIEW.format(id=experiment_id)
    if tracking_uri.startswith(("http://", "https://")):
        return None, f"{without_userinfo(tracking_uri).rstrip('/')}/{view}"
    store, _ = with_password_from(tracking_uri, DB_PASSWORD)
    if tracking_uri.startswith("sqlite:///"):
        store = "sqlite:///" + str(Path(tracking_uri.removeprefix("sqlite:///")).resolve())
    return f"mlflow ui --backend-store-uri {store}", f"http://127.0.0.1:{UI_PORT}/{view}"


def ui_hint(tracking_uri: str, experiment_id: str) -> str:
    """The link as one line to print: ``mlflow ui ... ; then open http://...``."""
    command, url = ui_link(tracking_uri, experiment_id)
    if command and DB_PASSWORD in command:
        return (f"{command}   # with {DB_PASSWORD} set to the database password (percent-encoded, "
                f"as in the URI); then open {url}")
    return f"{command}   # then open {url}" if command else url


def _artifact_uri(tracking_uri: str, artifact_location: str | None, experiment: str) -> str | None:
    """Where a new experiment keeps artifacts: ``<artifact_location>/<experiment>``; by default
    ``mlartifacts/<experiment>`` beside a SQLite store (one output folder holds everything), or
    the server's own ``--artifacts-destination``, which every worker of a server can reach."""
    if not artifact_location and tracking_uri.startswith("sqlite:///"):
        artifact_location = str(Path(tracking_uri.removeprefix("sqlite:///")).parent / "mlartifacts")
    if not artifact_location:
        return None
    base = Path(artifact_location).resolve()
    folder = (base / experiment).resolve()
    if folder.parent != base:   # one folder inside the artifact location, whatever the name holds
        raise SweepError(
            f"mlflow.experiment_name={experiment!r} is not allowed: its artifact folder {str(folder)!r} "
            f"would not be a folder of the artifact location {str(base)!r}; use a name without '/', "
            "'\\' or '..'."
        )
    return folder.as_uri()


def parent_run(tracking_uri: str, experiment_id: str, study: Any) -> str:
    """The study's parent run, nested under its family run: created once, found again on every resume.

    The sweeper calls this under the study's storage lock, so of several workers that start
    together only the first creates the run. Should creators race anyway, they agree afterwards:
    the oldest parent run of the study is the parent, and each other creator deletes its own.
    """
    from sweeps.tracking.family_run import family_run, nest

    c = client(tracking_uri)
    family = family_run(tracking_uri, experiment_id, records.family_of(study.study_name))
    run_id = study.user_attrs.get(records.PARENT_RUN)
    if run_id is None:
        run_id = _oldest_parent(c, experiment_id, study.study_name)
        if run_id is None:
            mine = c.create_run(
                experiment_id, run_name=study.study_name,
                tags={records.STUDY_TAG: study.study_name, records.PARENT_TAG: family},
            ).info.run_id
            run_id = _oldest_parent(c, experiment_id, study.study_name) or mine
            if run_id != mine:
                c.delete_run(mine)
        study.set_user_attr(records.PARENT_RUN, run_id)
    nest(tracking_uri, run_id, family)   # a parent made before its family run: adopted
    return run_id


def reopen(tracking_uri: str, run_id: str) -> None:
    """A resumed study's parent run is RUNNING again while this invocation adds trials."""
    c = client(tracking_uri)
    if c.get_run(run_id).info.status != "RUNNING":
        c.update_run(run_id, status="RUNNING")


def log_best(tracking_uri: str, run_id: str, params: dict[str, Any]) -> None:
    """The best trial's hyperparameters as params of the parent run (so its row has lr/γ/ε columns).

    MLflow params are immutable: a key already logged with another value (the best moved on a
    later invocation) keeps its first value: then none of ``params`` is logged, the param
    ``best_trial`` still names the trial they belong to, and the current best is in the
    ``best_*`` metrics and ``best.*`` tags.
    """
    c = client(tracking_uri)
    logged = c.get_run(run_id).data.params
    new = {k: str(v) for k, v in params.items() if k not in logged}
    if new and all(logged.get(k) in (None, str(v)) for k, v in params.items()):
        log_all(tracking_uri, run_id, params=new)


def _oldest_parent(c: MlflowClient, experiment_id: str, study_name: str) -> str | None:
    found = c.search_runs(
        [experiment_id], filter_string=f"tags.`{records.STUDY_TAG}` = {filter_literal(study_name)}", max_results=100,
        order_by=["attributes.start_time ASC"],
    )
    return min(found, key=lambda r: (r.info.start_time, r.info.run_id)).info.run_id if found else None


def filter_literal(value: str) -> str:
    """``value`` as a string literal of an MLflow filter string. MLflow's parser has no escape
    inside a literal, so the quote is the one the value lacks; a value with both is refused."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise SweepError(f"The name {value!r} holds both kinds of quote; MLflow cannot search for it. Rename it.")


def start_child(
    tracking_uri: str, experiment_id: str, parent_run_id: str | None, name: str, tags: dict[str, str]
) -> str:
    tags = child_tags(parent_run_id, tags)
    return client(tracking_uri).create_run(experiment_id, run_name=name, tags=tags).info.run_id


def child_tags(parent_run_id: str | None, tags: dict[str, Any]) -> dict[str, str]:
    """A trial's run's tags: its own, its parent's id and the code's version, all strings (a
    tracking server takes strings only: trial numbers)."""
    tags = {k: str(v) for k, v in tags.items()}
    if parent_run_id:
        tags[records.PARENT_TAG] = parent_run_id
    tags.setdefault("mlflow.source.git.commit", code_version())
    return tags


def log_all(
    tracking_uri: str,
    run_id: str,
    params: dict[str, Any] | None = None,
    history: Iterable[tuple[str, float, int]] = (),
    metrics: dict[str, float] | None = None,
    tags: dict[str, Any] | None = None,
) -> None:
    """Params, a whole metric history (key, value, step) and tags in as few calls as MLflow allows."""
    from mlflow.entities import Metric, Param, RunTag

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


def ensure_reachable(tracking_uri: str, attempts: int = 3, backoff: float = 1.0) -> None:
    """Fail fast, in one paragraph, when an ``http(s)://`` tracking server does not answer.

    MLflow's own client retries a refused connection for minutes; this probe tries ``attempts``
    times, waiting ``backoff * 2**i`` seconds between tries. Any HTTP answer counts as reachable.
    """
    if not tracking_uri.startswith(("http://", "https://")):
        return
    request = _health_request(tracking_uri)
    for attempt in range(attempts):
        try:
            urllib.request.urlopen(request, timeout=10).close()
            return
        except urllib.error.HTTPError:   # it answered: reachable, whatever it thinks of /health
            return
        except (OSError, ValueError) as e:
            reason = getattr(e, "reason", e)
            if attempt + 1 < attempts:
                log.warning("MLflow tracking server %s does not answer (%s); retrying.",
                            redact(tracking_uri), reason)
                time.sleep(backoff * 2**attempt)
    raise SweepError(
        f"Cannot reach the MLflow tracking server {redact(tracking_uri)!r} (mlflow.tracking_uri) after "
        f"{attempts} attempts: {reason}. Start it (mlflow server --host 127.0.0.1 --port 5000 ...) "
        "or point mlflow.tracking_uri at a running one or at sqlite:///path.db; no trial was started."
    )


def _health_request(tracking_uri: str) -> urllib.request.Request:
    """GET <server>/health, with the URI's user and password (if any) as Basic auth, as MLflow's
    own client sends them: urllib would take ``user:pass@host`` for a host name."""
    parts = urllib.parse.urlsplit(tracking_uri.rstrip("/"))
    netloc = parts.hostname or ""
    netloc = f"[{netloc}]" if ":" in netloc else netloc
    if parts.port:
        netloc += f":{parts.port}"
    request = urllib.request.Request(urllib.parse.urlunsplit(parts._replace(netloc=netloc)) + "/health")
    if parts.username is not None:
        user = urllib.parse.unquote(parts.username) + ":" + urllib.parse.unquote(parts.password or "")
        request.add_header("Authorization", "Basic " + base64.b64encode(user.encode()).decode())
    return request


def close_killed_run(
    tracking_uri: str, experiment_id: str, study_name: str, trial: Any, retried: bool
) -> list[str]:
    """Set the MLflow run of a trial whose worker died (its heartbeat went stale) to KILLED.

    The run is the trial's ``mlflow_run_id`` user attribute, or, if the worker died before writing
    it, the RUNNING run tagged with the trial's study and number. Returns the runs it closed.
    """
    c = client(tracking_uri)
    why = "its worker stopped (no heartbeat for the grace period); the Optuna trial is FAIL" + (
        " and was re-queued as a new trial" if retried else "")
    closed = []
    try:
        ids = {r.info.run_id for r in c.search_runs(
            [experiment_id], max_results=10,
            filter_string=f"tags.`gammasweep.optuna_study` = {filter_literal(study_name)} and "
                          f"tags.`gammasweep.trial` = '{trial.number}' and attributes.status = 'RUNNING'",
        )}
        if trial.user_attrs.get(records.MLFLOW_RUN_ID):
            ids.add(trial.user_attrs[records.MLFLOW_RUN_ID])
        for run_id in sorted(ids):
            if c.get_run(run_id).info.status != "RUNNING":
                continue
            c.set_tag(run_id, records.STATE_TAG, "KILLED")
            c.set_tag(run_id, "gammasweep.killed", why)
            c.set_terminated(run_id, status="KILLED")
            closed.append(run_id)
    except Exception as e:  # the trial is already failed and re-queued; its run's status is cosmetic
        log.warning("Could not set the MLflow run of dead trial %d of %s to KILLED: %s: %s",
                    trial.number, study_name, type(e).__name__, (str(e).splitlines() or [""])[0])
    return closed


def log_artifact(tracking_uri: str, run_id: str, path: str, artifact_path: str | None = None) -> bool:
    """Upload one file to the run; on failure (a full disk, a server error) log a clear error,
    tag the run with it and return False: the run's params and metrics are already logged, and
    the trial keeps its result."""
    try:
        client(tracking_uri).log_artifact(run_id, path, artifact_path)
        return True
    except Exception as e:  # OSError (ENOSPC, EACCES) from a file store, MlflowException from a server
        reason = (str(e).strip().splitlines() or [""])[0]
        message = redact(
            f"Could not store the artifact {Path(path).name!r} of MLflow run {run_id}: "
            f"{type(e).__name__}: {reason}. The run's params "
            "and metrics are logged and its trial keeps its result; free space (or fix the "
            "permissions) at the artifact store (mlflow.artifact_location or the server's "
            "--artifacts-destination) to keep artifacts of later runs."
        )
        log.error(message)
        try:
            client(tracking_uri).set_tag(run_id, "gammasweep.artifact_error", message[:5000])
        except Exception:  # the tracking store may sit on the same full disk
            log.error("Could not tag run %s with the artifact error either.", run_id)
        return False
