"""A database that goes away mid-sweep: retried with backoff for a bounded time, then one
paragraph (Optuna's StorageInternalError wrapper included), with the password redacted."""

from __future__ import annotations

import time

import optuna
import pytest
import sqlalchemy.exc

from sweeps.errors import SweepError
from sweeps.storages.rdb import riding_out, storage_errors

URL = "postgresql+psycopg2://gammasweep:s3cret@127.0.0.1:5432/optuna"


def _down() -> Exception:
    return sqlalchemy.exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))


@pytest.mark.parametrize("error", [
    optuna.exceptions.StorageInternalError("An exception is raised during the commit. e.g. exceeding max length"),
    _down(),
])
def test_a_lost_database_is_one_paragraph(error):
    with pytest.raises(SweepError) as raised:
        with storage_errors(URL):
            raise error
    message = str(raised.value)
    assert message.startswith("Lost the Optuna storage 'postgresql+psycopg2://gammasweep:***@127.0.0.1")
    assert "s3cret" not in message and "\n" not in message


def test_riding_out_retries_until_the_database_is_back():
    calls = []

    def flaky():
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise _down()
        return "told"

    assert riding_out(flaky, "recording a result", patience=10) == "told"
    assert len(calls) == 3 and calls[2] - calls[0] >= 1.4   # waited 0.5 s, then 1 s


def test_riding_out_gives_up_after_its_patience():
    started = time.monotonic()
    with pytest.raises(sqlalchemy.exc.OperationalError):
        riding_out(lambda: (_ for _ in ()).throw(_down()), "recording a result", patience=2)
    assert time.monotonic() - started < 4
