"""Loss-curve figures drawn by the helper process, and in place when the helper dies."""

import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from mlflow.tracking import MlflowClient

from support import wait_until
from sweeps.tracking import curve_worker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def runs(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("x", artifact_location=(tmp_path / "art").as_uri())
    ids = [client.create_run(exp).info.run_id for _ in range(3)]
    monkeypatch.setattr(curve_worker, "_wanted", True)
    yield uri, client, ids
    curve_worker.drain()


def result(n):
    steps = list(range(0, 50 * n + 1, 50))
    return SimpleNamespace(history={"step": steps, "train_loss": [1.0 / (i + 1) for i in range(n + 1)],
                                    "val_loss": [1.1 / (i + 1) for i in range(n + 1)]},
                           trajectory=None, diverged=False)


def logged(client, ids):
    return [[f.path for f in client.list_artifacts(i)] for i in ids]


def test_the_helper_logs_every_figure_before_drain_returns(runs):
    uri, client, ids = runs
    for n, run_id in enumerate(ids, start=2):
        curve_worker.submit(result(n), f"trial {n}", uri, run_id)
    curve_worker.drain()
    assert logged(client, ids) == [["loss_curve.png"]] * 3


def test_figures_of_a_dead_helper_are_drawn_in_place(runs):
    uri, client, ids = runs
    curve_worker.submit(result(2), "first", uri, ids[0])
    curve_worker.drain()
    for pid in list(curve_worker._helper._processes):   # kill the helper between two figures
        os.kill(pid, signal.SIGKILL)
    for run_id in ids[1:]:
        curve_worker.submit(result(3), "after", uri, run_id)
    curve_worker.drain()
    assert logged(client, ids) == [["loss_curve.png"]] * 3


def test_the_helper_leaves_when_the_sweeper_is_killed(tmp_path):
    script = (
        "import os, signal, sys\n"
        "from sweeps.tracking import curve_worker\n"
        "curve_worker.use_helper(); curve_worker.warm_up(); curve_worker.drain()\n"
        "print(*curve_worker._helper._processes, flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    helper = int(proc.stdout.split()[0])
    assert wait_until(lambda: not _alive(helper), 10, interval=0.2), "the helper outlived the killed sweeper"


def _alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return "zombie" not in f.read()
    except FileNotFoundError:
        return False
