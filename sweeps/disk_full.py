"""A full disk ends the sweep with one paragraph — which folder, how much is free, what to do —
and exit 2, instead of a cascade of tracebacks from every writer that met it.

A full disk reaches the sweep in many forms: ``OSError`` ENOSPC (or EDQUOT, a quota) from a log
file, a job's config or an artifact; SQLite's "database or disk is full" inside SQLAlchemy's
``OperationalError``, Optuna's ``StorageInternalError`` or MLflow's ``MlflowException`` (which keeps
only the text); and any of these as the cause or context of another error (a ``SweepError`` saying
the storage was lost). ``caused`` looks through all of them.

Ending well needs a few writes — the trials in flight failed and re-queued, the MLflow runs ended
KILLED — on the disk that just filled up. So the sweeper sets aside ``RESERVE`` bytes in output_dir
when it starts (``reserve``) and gives them back the moment it finds the disk full (``release``),
before that clean-up. A reserve left by a sweeper that was killed is removed by the next one.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
from pathlib import Path
from typing import Callable, Iterator

from sweeps import processes
from sweeps.errors import SweepError, chain

FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
FULL_TEXTS = ("database or disk is full", "no space left on device", "disk quota exceeded")
RESERVE = 1 << 20   # bytes: the clean-up's few SQLite transactions and log lines
PREFIX = ".gammasweep-reserve-"   # + the PID of the sweeper that set it aside

_reserved: list[Path] = []
_free_before: dict[int, int] = {}   # file system -> bytes free before its reserve was given back


class DiskFull(SweepError):
    """The disk under the sweep's files is full, explained in one paragraph."""


def caused(e: BaseException | None) -> bool:
    """Whether ``e``, or an error it was raised from or during, is a full disk."""
    return any((isinstance(x, OSError) and x.errno in FULL_ERRNOS)
               or any(text in str(x).lower() for text in FULL_TEXTS) for x in chain(e))


@contextlib.contextmanager
def reported(where: Callable[[], dict[str, str]], started: Callable[[], bool] = lambda: True) -> Iterator[None]:
    """Within the block, an error caused by a full disk becomes ``DiskFull``, naming the places
    ``where()`` returns (what -> folder or file) and the space free on each, and saying what
    became of the trials if ``started()`` (a study was opened); Python's logging stops printing a
    traceback for every log line it can no longer write."""
    try:
        yield
    except DiskFull:
        raise
    except Exception as e:
        if not caused(e):
            raise
        release()
        logging.raiseExceptions = False   # the clean-up's log lines would each print one
        raise DiskFull(paragraph(where(), started())) from None


def reserve(folder: str) -> None:
    """Set ``RESERVE`` bytes aside in ``folder`` (created if missing) for this process; drop the
    reserves of sweepers that no longer run. A disk too full for it is a full disk: ``DiskFull``
    is raised by ``reported``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob(f"{PREFIX}*"):
        pid = stale.name.removeprefix(PREFIX)
        if pid.isdigit() and not processes.runs(int(pid)):
            stale.unlink(missing_ok=True)
    path = out / f"{PREFIX}{os.getpid()}"
    _reserved.append(path)
    with open(path, "wb") as f:   # written, not sparse: the blocks are really taken
        f.write(bytes(RESERVE))


def release() -> None:
    """Give the reserve back to the disk (at the end of the sweep, or when the disk is full); what
    was free before is what a message reports."""
    while _reserved:
        path = _reserved.pop()
        with contextlib.suppress(OSError):
            _free_before[path.parent.stat().st_dev] = shutil.disk_usage(path.parent).free
        path.unlink(missing_ok=True)


def paragraph(places: dict[str, str], started: bool = True) -> str:
    where = "; ".join(f"{what} {path} has {_free(path)}" for what, path in places.items())
    done = ("Finished trials are kept; the trials in flight were re-queued where the storage could "
            "still be written (any left RUNNING are failed and re-queued at once by the next run)."
            if started else "No trial had started.")
    return (f"The disk is full: {where}. {done} Free some space, or point output_dir (and "
            "hydra.sweeper.storage, mlflow.tracking_uri) at a larger disk, then run the same command again.")


def _free(path: str) -> str:
    """``12.0 KiB free of 3.0 MiB`` for the file system holding ``path`` (or its nearest folder)."""
    p = Path(path).resolve()
    while not p.exists() and p != p.parent:
        p = p.parent
    try:
        usage = shutil.disk_usage(p)
        free = _free_before.get(p.stat().st_dev, usage.free)
    except OSError:
        return "an unknown amount free"
    return f"{_size(free)} free of {_size(usage.total)}"


def _size(n: float) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"


def places(output_dir: str, storage: str, tracking_uri: str | None) -> dict[str, str]:
    """The sweep's folders and SQLite files: output_dir, and each store that is a local file."""
    found = {"output_dir": output_dir}
    for what, url in (("the Optuna storage", storage), ("the MLflow store", tracking_uri or "")):
        if url.startswith("sqlite:///") and ":memory:" not in url:
            path = url.removeprefix("sqlite:///")
            if Path(path).resolve().parent != Path(output_dir).resolve():
                found[what] = path
    return found
