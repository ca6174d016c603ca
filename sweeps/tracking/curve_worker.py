"""The per-trial loss-curve PNGs, drawn and logged by a helper process off the trials' path.

A figure costs ~25 ms of matplotlib and its upload ~10 ms more; a population job finishes K
trials at once and would draw K figures in a row while the machine's other core idles (each
worker trains on one BLAS thread). So the sweeper's own process — the basic launcher runs every
job in it — hands each figure to one helper process and goes on; ``drain`` waits for them at the
end of every study. Anywhere else (a joblib worker, a single run) figures are drawn in place,
as they are if the helper cannot start or dies (the unfinished figures are then drawn in place).
The helper ignores Ctrl-C, so figures already handed over are still logged while the sweeper
re-queues the interrupted trials; it exits by itself when the sweeper dies (figures it had not
logged yet are then lost: only the PNGs, never a trial's result).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import tempfile
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace

from sweeps import tracking
from sweeps.adapters import mlflow_private

log = logging.getLogger(__name__)

_helper: ProcessPoolExecutor | None = None
_wanted = False
_pending: list[tuple[Future, tuple]] = []


def use_helper() -> None:
    """Called by the sweeper in its own process: figures of jobs run here go to the helper."""
    global _wanted
    _wanted = True


def warm_up() -> None:
    """Start the helper and its imports (~2 s, on another core) before the first figure is due."""
    helper = _start() if _wanted else None
    if helper is not None and not _pending:
        _pending.append((helper.submit(_imports), None))


def submit(result, title: str, tracking_uri: str, run_id: str) -> None:
    """Draw ``result``'s figure and log it to ``run_id``, in the helper if there is one."""
    job = ({k: list(v) for k, v in result.history.items()}, result.trajectory, result.diverged,
           title, tracking_uri, run_id)
    helper = _start() if _wanted else None
    if helper is None:
        draw_and_log(*job)
        return
    try:
        _pending.append((helper.submit(draw_and_log, *job), job))
    except Exception:  # a broken pool refuses new work
        _give_up()
        draw_and_log(*job)


def drain() -> None:
    """Wait until every figure handed to the helper is logged (drawn here if the helper failed)."""
    while _pending:
        future, job = _pending.pop(0)
        try:
            future.result()
        except Exception as e:  # the helper died: BrokenProcessPool
            if job is None:   # the warm-up
                continue
            if _wanted:
                log.warning("The figure helper stopped (%s: %s); drawing in this process from now on.",
                            type(e).__name__, e)
                _give_up()
            draw_and_log(*job)


def close() -> None:
    """Drain, then stop the helper at once: its work is committed, and letting it run Python's
    shutdown (finalising matplotlib, MLflow, SQLAlchemy) would hold the sweep's exit ~0.9 s."""
    global _helper
    drain()
    if _helper is None:
        return
    stop = getattr(_helper, "terminate_workers", None)   # Python 3.14
    if stop is not None:
        stop()
    else:
        for process in list((_helper._processes or {}).values()):
            process.terminate()
    _helper.shutdown(wait=True)
    _helper = None


def draw_and_log(history, trajectory, diverged, title, tracking_uri, run_id) -> None:
    from sweeps.tracking.curves import plot_run   # matplotlib: imported only where figures are drawn (~0.4 s)

    result = SimpleNamespace(history=history, trajectory=trajectory, diverged=diverged)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "loss_curve.png"
        plot_run(result, title, path)
        tracking.log_artifact(tracking_uri, run_id, str(path))


def _start() -> ProcessPoolExecutor | None:
    global _helper
    if _helper is None:
        try:
            _helper = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                          initializer=_init_helper, initargs=(os.getpid(),))
        except Exception as e:  # no processes allowed here: draw in place from now on
            log.warning("No figure helper process (%s: %s); drawing in place.", type(e).__name__, e)
            _give_up()
    return _helper


def _imports() -> None:
    """What the first figure would import: matplotlib, and MLflow's SQL store (~0.8 s)."""
    mlflow_private.import_sql_store()

    from sweeps.tracking import curves  # noqa: F401


def _give_up() -> None:
    global _wanted
    _wanted = False


def _init_helper(parent: int) -> None:
    """In the helper: ignore Ctrl-C (the sweeper drains on its way out), and leave when the
    sweeper is gone (SIGKILL, OOM): an orphan would wait on its queue forever, and keep
    multiprocessing's resource tracker alive with it.

    ``parent`` is the sweeper's PID as the sweeper saw it, not ``os.getppid()`` read here: the
    helper gets here only after its imports (seconds), and a sweeper killed meanwhile would leave
    it a new parent to watch. On Linux the kernel also signals it the moment the sweeper dies.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    if os.getppid() != parent:   # gone already
        os._exit(0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _die_with_parent() -> None:
    """prctl(PR_SET_PDEATHSIG, SIGKILL): best effort, Linux only (the watch thread is the rest)."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)   # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
