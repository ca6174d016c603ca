"""The README's live view of a running study: `optuna-dashboard sqlite:///outputs/optuna.db`.

Starts optuna-dashboard on a loopback port against a sweep's storage and reads its HTTP API
(the list of studies its page shows), within a bounded time; the server is stopped after.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request

import pytest

from support import wait_until
from support.servers import free_port
from support.sweep_runner import run_sweep

DASHBOARD = shutil.which("optuna-dashboard")
pytestmark = pytest.mark.skipif(DASHBOARD is None, reason="pip install -e '.[test]' installs optuna-dashboard")


@pytest.mark.slow
def test_optuna_dashboard_lists_the_studies_of_our_storage(tmp_path):
    run_sweep(tmp_path, "model=quadratic", "optimizer=choice(sgd,rmsprop)", "hydra.sweeper.n_trials=2")
    port = free_port()
    server = subprocess.Popen([DASHBOARD, f"sqlite:///{tmp_path}/optuna.db", "--host", "127.0.0.1",
                               "--port", str(port), "--quiet"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def silent() -> str:
            return f"optuna-dashboard did not answer: {server.stderr.read1().decode()[-2000:]}"

        def answer():   # the API's answer; None until the server listens
            assert server.poll() is None, silent()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=5) as r:
                    return json.load(r)
            except OSError:
                return None

        api = wait_until(answer, 60, interval=0.3)
        assert api is not None, silent()
        studies = api["study_summaries"]
        by_name = {s["study_name"]: s for s in studies}
        assert set(by_name) == {"default.quadratic.sgd", "default.quadratic.rmsprop"}
        assert all(s["directions"] == ["minimize"] for s in studies)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
