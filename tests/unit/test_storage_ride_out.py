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


@pytest.mark.parametrize("outcome, state", [(0.5, "COMPLETE"), (ValueError("diverged"), "FAIL")])
def test_a_result_committed_while_its_answer_was_lost_is_recorded_once(tmp_path, outcome, state):
    """The database commits the tell and goes away before answering; the worker tells again
    (``riding_out``) and must find it told, not stop on "Cannot tell a COMPLETE trial"."""
    from sweeps.adapters import optuna_private
    from sweeps.stages.trials import tell
    from sweeps.storages.rdb import open_storage

    study = optuna.create_study(storage=open_storage(f"sqlite:///{tmp_path}/optuna.db"), study_name="told")
    trial = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    rdb, answers = optuna_private.backend(study), []
    real = rdb.set_trial_state_values

    def committed_then_lost(*args, **kwargs):
        done = real(*args, **kwargs)
        if not answers:
            answers.append(done)
            raise _down()
        return done

    rdb.set_trial_state_values = committed_then_lost
    failed = riding_out(lambda: tell(study, trial, outcome), "recording a result", patience=10)
    (told,) = study.get_trials()
    assert answers and told.state.name == state and failed == (state == "FAIL")
    assert told.value == (0.5 if state == "COMPLETE" else None)
