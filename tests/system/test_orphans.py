"""A sweeper killed with SIGKILL (as the OOM killer does: the main PID only) at any moment of its
first seconds leaves no process behind: not its figure helper, not multiprocessing's resource
tracker. Its descendants are found by a marker in their environment, which they all inherit."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from support import wait_until
from support.processes import marked
from support.sweep_runner import ROOT, TINY

ARGS = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=50", "mlflow.log_curve_png=true",
        "train.steps=2000", "train.eval_every=500"]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs Linux /proc to find descendants")
@pytest.mark.parametrize("moment", ["0.1 s", "1 s", "helper + 0 s", "helper + 0.3 s", "helper + 0.8 s", "3 s"])
def test_sigkill_of_the_sweeper_leaves_no_process_behind(tmp_path, moment):
    """Killed at a fixed time after start, or just after its figure helper was spawned (while the
    helper is still importing: the moment an orphan used to be born)."""
    mark = uuid.uuid4().hex
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore", GAMMASWEEP_TEST_MARK=mark)
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}",
           *[t for t in TINY if not t.startswith(("mlflow.log_curve_png", "train."))], *ARGS]
    sweeper = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if moment.startswith("helper"):
        def helper_started():
            started = any("spawn_main" in _cmdline(p) for p in marked(mark))
            assert started or sweeper.poll() is None, "the figure helper never started"
            return started

        assert wait_until(helper_started, 60, interval=0.02), "the figure helper never started"
        time.sleep(float(moment.split("+")[1].rstrip(" s")))
    else:
        time.sleep(float(moment.rstrip(" s")))
    sweeper.send_signal(signal.SIGKILL)
    sweeper.wait()
    wait_until(lambda: not marked(mark), 8, interval=0.2)
    left = marked(mark)
    names = {pid: _cmdline(pid)[:150] for pid in left}
    for pid in left:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)   # ours: started by this test
    assert not left, f"left behind when killed at {moment}: {names}"
