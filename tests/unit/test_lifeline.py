"""launch.lifeline: a process holding on to its sweeper exits within a bounded time of the
sweeper's death, and a reused PID does not pass for the sweeper."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sweeps import processes
from sweeps.launch import lifeline

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
ROOT = Path(__file__).resolve().parents[2]
HOLDER = "import sys, time; from sweeps.launch import lifeline; lifeline.hold(sys.argv[1]); time.sleep(60)"


def _holder(sweeper: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", HOLDER, sweeper], cwd=ROOT)


def test_a_holder_exits_when_its_sweeper_dies():
    sweeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    holder = _holder("|".join(map(str, processes.identity(sweeper.pid))))
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            holder.wait(2)   # alive while the sweeper is
        sweeper.kill()
        sweeper.wait()
        assert holder.wait(30) == 1
    finally:
        for p in (sweeper, holder):
            p.kill()
            p.wait()


def test_a_reused_pid_is_not_the_sweeper():
    host, pid, started = processes.identity(os.getpid())
    assert lifeline.alive(f"{host}|{pid}|{started}")
    assert not lifeline.alive(f"{host}|{pid}|{int(started) - 1}")   # same PID, an earlier process
    assert lifeline.alive(f"another-host|{pid}|0"), "a sweeper elsewhere cannot be seen: never gone"
    holder = _holder(f"{host}|{pid}|{int(started) - 1}")
    try:
        assert holder.wait(30) == 1, "a holder whose sweeper was gone before it started exits at once"
    finally:
        holder.kill()
        holder.wait()
