"""Fixtures of the system tier: real servers on loopback (support/servers.py), one per session."""

from __future__ import annotations

import pytest

from support.servers import MlflowServer, Postgres, free_port, postgres_bin, postgres_missing


@pytest.fixture
def closed_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def postgres():
    reason = postgres_missing()
    if reason:
        pytest.skip(reason)
    server = Postgres(postgres_bin())
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server"))
    try:
        server.start()
        yield server
    finally:
        server.stop()
