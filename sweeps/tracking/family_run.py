"""The family run: one MLflow run per study family, at the top of the runs table.

It holds the family's report once (``report.html`` at the top of its artifacts, ``report/report.md``
and its figures), carries
the answer's key numbers as metrics, and every study's parent run nests under it
(``mlflow.parentRunId``), so the runs table shows the family first however many trials it has.
The experiment's description (``mlflow.note.content``) says how to read the runs and links it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from sweeps import records
from sweeps.tracking.runs import client, filter_literal, log_all, ui_link

REPORT_PATH = "report"   # the Markdown report and its figures among the family run's artifacts
HTML = "report.html"     # self-contained, at the top of the artifacts: run → Artifacts → report.html


def family_run(tracking_uri: str, experiment_id: str, family: str) -> str:
    """The family's run, created once and found again by its tag on every invocation.

    Creators that race agree afterwards, as for a study's parent run: the oldest family run is
    the family run, and each other creator deletes its own.
    """
    c = client(tracking_uri)
    run_id = _oldest(c, experiment_id, family)
    if run_id is None:
        mine = c.create_run(experiment_id, run_name=family, tags={records.FAMILY_TAG: family}).info.run_id
        c.set_terminated(mine)   # a container: its studies' parent runs show whether trials run
        run_id = _oldest(c, experiment_id, family) or mine
        if run_id != mine:
            c.delete_run(mine)
    return run_id


def nest(tracking_uri: str, parent_run_id: str, family_run_id: str) -> None:
    """Put a study's parent run under the family run (also a parent made before family runs)."""
    c = client(tracking_uri)
    if c.get_run(parent_run_id).data.tags.get(records.PARENT_TAG) != family_run_id:
        c.set_tag(parent_run_id, records.PARENT_TAG, family_run_id)


def _oldest(c: Any, experiment_id: str, family: str) -> str | None:
    found = c.search_runs([experiment_id], f"tags.`{records.FAMILY_TAG}` = {filter_literal(family)}",
                          max_results=100, order_by=["attributes.start_time ASC"])
    return min(found, key=lambda r: (r.info.start_time, r.info.run_id)).info.run_id if found else None


def key_numbers(variants: list) -> dict[str, float]:
    """The answer as metrics: per comparison (variant, a value of its factor against the
    reference) the paired difference, named ``diff.<variant>.<factor>_<value>`` (``gamma_0.9``,
    ``beta1_0.5``), and how many verdicts are *different*, *equivalent* and *inconclusive*."""
    metrics: dict[str, float] = {f"verdicts_{v}": 0.0 for v in ("different", "equivalent", "inconclusive")}
    for r in variants:
        table = r.confirmation
        if table is None or table.empty or "verdict" not in table:
            continue
        for row in table.itertuples(index=False):
            metrics[f"verdicts_{row.verdict}"] = metrics.get(f"verdicts_{row.verdict}", 0.0) + 1
            diff = getattr(row, "mean_diff", math.nan)
            if isinstance(diff, (int, float)) and math.isfinite(diff):
                metrics[_metric_name(f"diff.{r.variant.name}.{r.variant.column}_{row.config}")] = float(diff)
    return metrics


def _metric_name(name: str) -> str:
    """MLflow allows letters, digits, ``_ - . / space`` in a metric's name."""
    return "".join(ch if ch.isalnum() or ch in "_-./ " else "_" for ch in name)


def run_url(tracking_uri: str, experiment_id: str, run_id: str, artifact: str | None = None) -> str:
    """A run's page (or one of its artifacts) in the UI that ``ui_link`` names, in the Model-training
    view: MLflow 3.17 takes the view from ``?workflowType=`` or from what this browser last chose
    (GenAI for a new one), never from the experiment's ``mlflow.experimentKind`` tag."""
    _, url = ui_link(tracking_uri, experiment_id)
    page = f"{url.split('#', 1)[0]}#/experiments/{experiment_id}/runs/{run_id}"
    if artifact:
        page += f"/artifacts/{artifact}"
    return page + "?workflowType=machine_learning"


def describe(tracking_uri: str, experiment_id: str, family: str, family_run_id: str) -> None:
    """The experiment's description: how to read the runs table, and a link to the report."""
    run = run_url(tracking_uri, experiment_id, family_run_id)
    report = run_url(tracking_uri, experiment_id, family_run_id, HTML)
    note = (
        f"**Family `{family}`**: the top run, [{family}]({run}), holds the [report]({report}) "
        "(its *Artifacts* tab: `report.html`) and the answer's key numbers as metrics.\n\n"
        "Expand it for one run per study; expand a study for one run per trial, named by its "
        "optimizer and settings. Pruned, diverged and failed trials carry the `outcome` tag.\n\n"
        "To compare trials: select a study's runs and *Compare*: parallel coordinates open on "
        "`1_log10_lr`, `2_log10_1m_gamma`, `3_log10_eps` (lr, 1−γ, ε on log scales) coloured by "
        "the optimized metric.\n\n"
        "MLflow opens a run clicked in this table in its *GenAI* layout until this browser has "
        "chosen *Model training* (the switch at the top left; the browser remembers it); the "
        "links above open it in *Model training*.\n"
    )
    c = client(tracking_uri)
    if c.get_experiment(experiment_id).tags.get(records.NOTE_TAG) != note:
        c.set_experiment_tag(experiment_id, records.NOTE_TAG, note)


def publish(tracking_uri: str, experiment_id: str, family: str, folder: str, variants: list) -> str:
    """Log the report folder and the key numbers to the family run; returns its id."""
    run_id = family_run(tracking_uri, experiment_id, family)
    c = client(tracking_uri)
    for f in sorted(Path(folder).iterdir()):
        if f.is_file() and not f.name.startswith("."):   # not the report's stamp
            c.log_artifact(run_id, str(f), None if f.name == HTML else REPORT_PATH)
    log_all(tracking_uri, run_id, metrics=key_numbers(variants))
    describe(tracking_uri, experiment_id, family, run_id)
    return run_id
