"""The README's live view of a running study: `optuna-dashboard sqlite:///outputs/optuna.db`.

Starts optuna-dashboard on a loopback port against a sweep's storage and reads its HTTP API
(the studies its page lists, and a study's note and its trials' notes, Markdown it renders with
clickable links), within a bounded time; the server is stopped after.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request

import pytest

from support import wait_until
from support.servers import free_port
from support.sweep_runner import load, run_sweep
from sweeps.tracking import dashboard_notes

DASHBOARD = shutil.which("optuna-dashboard")
pytestmark = pytest.mark.skipif(DASHBOARD is None, reason="pip install -e '.[test]' installs optuna-dashboard")


@pytest.mark.slow
def test_optuna_dashboard_lists_the_studies_of_our_storage(tmp_path):
    run_sweep(tmp_path, "model=quadratic", "optimizer=choice(sgd,rmsprop)", "hydra.sweeper.n_trials=2",
              "hydra.sweeper.report=true")
    port = free_port()
    server = subprocess.Popen([DASHBOARD, f"sqlite:///{tmp_path}/optuna.db", "--host", "127.0.0.1",
                               "--port", str(port), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def silent() -> str:
            return f"optuna-dashboard did not answer: {server.stderr.read1().decode()[-2000:]}"

        def answer(path: str = "/api/studies"):   # the API's answer; None until the server listens
            assert server.poll() is None, silent()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
                    return json.load(r)
            except OSError:
                return None

        api = wait_until(answer, 60, interval=0.3)
        assert api is not None, silent()
        studies = api["study_summaries"]
        by_name = {s["study_name"]: s for s in studies}
        assert set(by_name) == {"default.quadratic.sgd", "default.quadratic.rmsprop"}
        assert all(s["directions"] == ["minimize"] for s in studies)

        # The report wrote each study a note linking the family run and its report.html, and each
        # trial one linking its MLflow run, all opening MLflow's Model-training view.
        link = r"\(http://127\.0\.0\.1:5000/#/experiments/(\d+)/runs/(\w+)(/artifacts/report\.html)?" \
               r"\?workflowType=machine_learning\)"
        for name, summary in by_name.items():
            detail = answer(f"/api/studies/{summary['study_id']}")
            found = re.findall(link, detail["note"]["body"])
            assert [html for _, _, html in found] == ["/artifacts/report.html", ""], detail["note"]
            family = {run for _, run, _ in found}
            assert len(family) == 1
            runs = {t.number: t.user_attrs["mlflow_run_id"] for t in load(tmp_path, name).trials}
            assert {t["number"]: re.fullmatch(r"\[MLflow run\]" + link, t["note"]["body"]).group(2)
                    for t in detail["trials"]} == runs
        # A second report rewrites nothing: the notes are written once, the study's when it changes.
        assert dashboard_notes.annotate(f"sqlite:///{tmp_path}/optuna.db", "default",
                                        f"sqlite:///{tmp_path}/mlflow.db", family.pop()) == 0
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
