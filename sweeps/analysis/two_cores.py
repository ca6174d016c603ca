"""An analysis too slow for one core runs on two. fANOVA's cost grows as about n^1.7 in a study's
complete trials (0.29 s at 50, 1.4 s at 200, 15 s at 800, about a minute at 1,700), and a
full-scale report has 29 such studies. Results come back in the order asked, so the report is the
same byte for byte; the two processes exit with the one that started them (``launch.lifeline``)."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from typing import Any

from sweeps import processes
from sweeps.launch import lifeline

WORTH = 10.0   # estimated seconds of work below which starting two processes (~2 s each) does not pay


def fanova_seconds(n: int) -> float:
    """A rough estimate of fANOVA's seconds on ``n`` complete trials (measured on this machine)."""
    return 0.29 * (n / 50) ** 1.7


def starmap(fn: Callable[..., Any], jobs: list[tuple], seconds: list[float]) -> list[Any]:
    """``[fn(*job) for job in jobs]``, on two processes when the estimated ``seconds`` (one per
    job) sum to ``WORTH`` or more and this machine has two cores; the longest jobs go first."""
    if len(jobs) < 2 or sum(seconds) < WORTH or (os.cpu_count() or 1) < 2:
        return [fn(*job) for job in jobs]
    order = sorted(range(len(jobs)), key=lambda i: -seconds[i])
    me = "|".join(map(str, processes.identity()))
    with multiprocessing.get_context("spawn").Pool(2, initializer=lifeline.hold, initargs=(me,)) as pool:
        done = pool.starmap(fn, [jobs[i] for i in order], chunksize=1)   # the block's end terminates both
    out: list[Any] = [None] * len(jobs)
    for i, result in zip(order, done):
        out[i] = result
    return out
