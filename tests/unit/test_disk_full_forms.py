"""sweeps.disk_full: a full disk is recognised in every form it reaches the sweep, and nothing else is."""

from __future__ import annotations

import errno
import logging
import sqlite3

import optuna
import pytest
import sqlalchemy.exc
from mlflow.exceptions import MlflowException

from sweeps import disk_full
from sweeps.errors import SweepError


def _raised_from(cause: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise cause
        except BaseException as e:
            raise outer from e
    except BaseException as e:
        return e


def _during(context: BaseException, outer: BaseException) -> BaseException:
    try:
        try:
            raise context
        except BaseException:
            raise outer from None   # suppressed, as storages.rdb.storage_errors raises
    except BaseException as e:
        return e


SQLITE_FULL = sqlalchemy.exc.OperationalError("COMMIT", {}, sqlite3.OperationalError("database or disk is full"))


@pytest.mark.parametrize("error", [
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EDQUOT, "Disk quota exceeded"),
    SQLITE_FULL,
    _raised_from(SQLITE_FULL, optuna.exceptions.StorageInternalError("An exception is raised during the commit.")),
    MlflowException("(sqlite3.OperationalError) database or disk is full"),
    _during(OSError(errno.ENOSPC, "No space left on device"), SweepError("Lost the Optuna storage")),
], ids=["ENOSPC", "EDQUOT", "sqlite", "optuna-wrapped", "mlflow-text", "context-of-a-SweepError"])
def test_a_full_disk_is_recognised(error):
    assert disk_full.caused(error)


@pytest.mark.parametrize("error", [
    None, OSError(errno.EACCES, "Permission denied"), SweepError("lr must be > 0"),
    sqlalchemy.exc.OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked")),
])
def test_other_errors_are_not_a_full_disk(error):
    assert not disk_full.caused(error)


def test_the_paragraph_names_the_folder_and_its_free_space_and_the_reserve_is_given_back(tmp_path, monkeypatch):
    monkeypatch.setattr(logging, "raiseExceptions", True)   # reported() turns it off for the process
    disk_full.reserve(str(tmp_path / "out"))
    reserve = next((tmp_path / "out").glob(f"{disk_full.PREFIX}*"))
    assert reserve.stat().st_size == disk_full.RESERVE
    with pytest.raises(disk_full.DiskFull) as raised, disk_full.reported(lambda: {"output_dir": str(tmp_path)}):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert not reserve.exists()
    text = str(raised.value)
    assert text.startswith(f"The disk is full: output_dir {tmp_path} has ") and " free of " in text
    assert "\n" not in text


def test_a_reserve_left_by_a_dead_sweeper_is_removed(tmp_path):
    stale = tmp_path / f"{disk_full.PREFIX}999999999"   # no such PID
    stale.write_bytes(b"0")
    disk_full.reserve(str(tmp_path))
    disk_full.release()
    assert not list(tmp_path.glob(f"{disk_full.PREFIX}*"))
