"""What a person sees: the MLflow UI, in headless Chromium, shows the study's runs and their params.

The UI is a React app, so the page is rendered by a real browser (Debian's ``chromium``) with a
virtual-time budget and read back with ``--dump-dom``. Screenshots go to ``$GAMMASWEEP_ARTIFACTS``
(.ci/run sets it) or to the test's temp folder.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import optuna
import pytest
from mlflow.tracking import MlflowClient

from support.sweep_runner import run_sweep
from sweeps.tracking.run_labels import PREFIX, run_name

CHROMIUM = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="no chromium: apt-get install chromium (.ci/run does)")]
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--virtual-time-budget=15000", "--window-size=1400,2400",
]


def chromium(url: str, *mode: str) -> str:
    """Load ``url`` in a fresh profile and return what ``mode`` prints (the DOM for --dump-dom)."""
    with tempfile.TemporaryDirectory(prefix="gammasweep-chromium-") as profile:
        proc = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *mode, url],
                              capture_output=True, text=True, timeout=120)
    return proc.stdout


def rendered(url: str, expected: str, attempts: int = 3) -> str:
    """The rendered DOM of ``url`` once it contains ``expected`` (a slow machine may need another go)."""
    for _ in range(attempts):
        dom = chromium(url, "--dump-dom")
        if expected in dom:
            return dom
    raise AssertionError(f"{expected!r} never appeared in {url}; the page said:\n{text_of(dom)[:3000]}")


class _Rows(HTMLParser):
    """Table rows as {label: [cells]}: MLflow's compare page has a labelled row per field and a
    column per run."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._row: list[tuple[str, str]] | None = None
        self._cell: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell, self._kind = "", tag

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._row.append((self._kind, self._cell.strip()))
            self._cell = None
        elif tag == "tr" and self._row:
            if self._row[0][0] == "th":   # the row's label, then one cell per run (th or td)
                self.rows.setdefault(self._row[0][1].rstrip(":"), [text for _, text in self._row[1:]])
            self._row = None


def text_of(dom: str) -> str:
    class Text(HTMLParser):
        parts: list[str] = []
        skip = False

        def handle_starttag(self, tag, attrs):
            self.skip = tag in ("script", "style")

        def handle_data(self, data):
            if not self.skip and data.strip():
                self.parts.append(data.strip())

    t = Text()
    t.parts = []
    t.feed(dom)
    return " ".join(t.parts)


def screenshot(url: str, name: str, tmp_path: Path) -> Path:
    out = Path(os.environ.get("GAMMASWEEP_ARTIFACTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    chromium(url, f"--screenshot={path}")
    return path


def test_mlflow_ui_shows_the_studys_runs_with_their_params(mlflow_server, tmp_path):
    proc = run_sweep(tmp_path, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.study_name=browser",
                     "hydra.sweeper.n_trials=3", f"mlflow.tracking_uri={mlflow_server.url}",
                     "mlflow.artifact_location=null")
    study = optuna.load_study(study_name="browser.quadratic.rmsprop", storage=f"sqlite:///{tmp_path}/optuna.db")
    client = MlflowClient(tracking_uri=mlflow_server.url)
    experiment = client.get_experiment_by_name("gammasweep-browser").experiment_id

    # The link the sweep prints opens the experiment's runs table (model training, not GenAI
    # traces), which lists the study's parent run (its trials are nested under it).
    link = re.search(r"^MLflow: (\S+)$", proc.stdout, re.M).group(1)
    assert link == f"{mlflow_server.url}/#/experiments/{experiment}?workflowType=machine_learning"
    page = text_of(rendered(link, "browser.quadratic.rmsprop"))
    assert "browser.quadratic.rmsprop" in page
    assert screenshot(link, "mlflow-ui-runs-table.png", tmp_path).stat().st_size > 10_000

    # The compare page shows every trial's run with its lr, gamma and eps.
    ids = [t.user_attrs["mlflow_run_id"] for t in study.trials]
    query = urllib.parse.urlencode({"runs": json.dumps(ids), "experiments": json.dumps([experiment]),
                                    "workflowType": "machine_learning"})
    compare = f"{mlflow_server.url}/#/compare-runs?{query}"
    rows = _Rows()
    rows.feed(rendered(compare, ">gamma<"))
    assert sorted(rows.rows["Run ID"]) == sorted(ids), rows.rows.keys()
    axes = ("lr", "gamma", "eps", "log10_lr", "log10_eps", "log10_1m_gamma")
    shown = {run_id: {k: rows.rows[k][i] for k in ("Run Name", *axes)}
             for i, run_id in enumerate(rows.rows["Run ID"])}
    for trial in study.trials:
        cells = shown[trial.user_attrs["mlflow_run_id"]]
        outcome = trial.user_attrs.get("outcome", "pruned")
        assert cells["Run Name"] == PREFIX.get(outcome, "") + run_name("rmsprop", trial.params, trial.number)
        p = {k.split(".")[-1]: v for k, v in trial.params.items()}
        p |= {"log10_lr": math.log10(p["lr"]), "log10_eps": math.log10(p["eps"]),
              "log10_1m_gamma": math.log10(1 - p["gamma"])}
        for name in axes:   # the log10 axes too, so parallel coordinates spread the trials out
            assert float(cells[name]) == pytest.approx(p[name], rel=1e-9), name

    path = screenshot(compare, "mlflow-ui-compare-runs.png", tmp_path)
    assert path.stat().st_size > 10_000, "the screenshot is blank"
