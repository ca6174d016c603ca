"""PostgreSQL restarts in the middle of a trial: the worker rides it out (pool pre-ping, bounded
retries with backoff around its reports, heartbeats and tell), finishes the trial and the sweep."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from support import wait_until
from support.workers import FINISHED, KILL_ARGS, start_sweep, trials_of

NAME = "resume.quadratic.rmsprop"


@pytest.mark.postgres
def test_worker_rides_out_a_postgres_restart_mid_trial(postgres, tmp_path):
    storage = postgres.database("restart")
    args = [f"hydra.sweeper.storage={storage}", *KILL_ARGS]
    worker = start_sweep(tmp_path, *args)

    def in_flight():
        assert worker.poll() is None, worker.communicate()[0][-3000:]
        return [t for t in trials_of(storage, NAME)
                if t.state == TrialState.RUNNING and "mlflow_run_id" in t.user_attrs]

    running = wait_until(in_flight, 120)   # a trial in flight, its MLflow run made: restart under it
    assert running, worker.communicate()[0][-3000:]
    postgres.restart(down_for=5)
    log = worker.communicate(timeout=240)[0]
    assert worker.returncode == 0, log[-4000:]
    assert "Traceback" not in log
    trials = optuna.load_study(study_name=NAME, storage=storage).trials
    assert all(t.state in FINISHED for t in trials), [(t.number, t.state.name, t.user_attrs.get("error"))
                                                      for t in trials]
    assert len(trials) == 6
    assert trials[running[0].number].state in FINISHED, "the trial in flight finished"


@pytest.mark.postgres
def test_connections_give_up_on_a_vanished_peer(postgres):
    """A lost network must end in the lost-database handling, not in a wait for the OS's ~15 min:
    the storage's connections carry TCP keepalives and a user timeout (libpq settings)."""
    from sweeps.storages.rdb import open_storage

    storage = open_storage(postgres.database("keepalive"))
    raw = storage.engine.raw_connection()
    try:
        found = raw.driver_connection.get_dsn_parameters()
    finally:
        raw.close()
    assert found["keepalives"] == "1" and int(found["keepalives_idle"]) <= 30, found
    assert 0 < int(found["tcp_user_timeout"]) <= 60_000, found
    assert int(found["connect_timeout"]) <= 30, found
