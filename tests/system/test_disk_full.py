"""A sweep whose output folder (and SQLite stores) fill their disk: one paragraph naming the folder
and its free space, exit 2, no traceback, and nothing left RUNNING: the trial in flight failed and
re-queued, its MLflow run and the parent run ended (``sweeps.disk_full``)."""

from __future__ import annotations

import subprocess

import pytest
from optuna.trial import TrialState

from support.sweep_runner import mlflow_runs, run_sweep
from support.workers import trials_of

ARGS = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=400", "hydra.sweeper.population=1",
        "train.steps=200", "train.eval_every=5"]   # ~40 values a trial: the stores grow fast


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MiB tmpfs: room for the stores and a few trials."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_ends_the_sweep_in_one_paragraph_with_nothing_running(small_disk):
    proc = run_sweep(small_disk, *ARGS, check=False, timeout=240)
    assert proc.returncode == 2, (proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stdout + proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("gammasweep: error:")]
    assert len(error) == 1 and f"The disk is full: output_dir {small_disk} has " in error[0]
    assert len(proc.stderr.splitlines()) <= 3, proc.stderr   # the paragraph, and Hydra's line naming the job

    trials = trials_of(f"sqlite:///{small_disk}/optuna.db", "default.quadratic.rmsprop")
    assert not [t.number for t in trials if t.state == TrialState.RUNNING]
    stopped = [t for t in trials if t.state == TrialState.FAIL]
    assert stopped and all(t.user_attrs["error"] == "the disk filled up while it ran" for t in stopped)
    assert len([t for t in trials if t.state == TrialState.WAITING]) == len(stopped)
    assert not [r.info.run_name for r in mlflow_runs(small_disk, "gammasweep-default") if r.info.status == "RUNNING"]
    assert not list(small_disk.glob(".gammasweep-reserve-*")), "the reserve is given back"


def test_a_disk_full_from_the_start_is_refused_before_anything_is_created(small_disk):
    (small_disk / "filler").write_bytes(bytes(3 << 20) [:3 * 1024 * 1024 - 64 * 1024])   # all but 64 KiB
    proc = run_sweep(small_disk, *ARGS, check=False, timeout=240)
    assert proc.returncode == 2 and "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip().startswith(f"gammasweep: error: The disk is full: output_dir {small_disk} has ")
    assert "No trial had started." in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
