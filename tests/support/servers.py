"""Real servers for the system tests, on loopback only: PostgreSQL and `mlflow server`.

tests/system/conftest.py wraps them in the session-scoped fixtures ``postgres`` and
``mlflow_server``; both stop at the end of the session, and if pytest itself dies the kernel
sends them SIGTERM/SIGINT (``PR_SET_PDEATHSIG``). Without the PostgreSQL binaries (Debian's
``postgresql`` package, which .ci/run installs) or psycopg2, the tests that need them skip and
say why (``postgres_missing``).
"""

from __future__ import annotations

import ctypes
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from support.waiting import wait_until

PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"


def free_port() -> int:
    """A loopback port nothing listens on (closed again: connecting to it is refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent(sig: int):
    """A preexec_fn: the child gets ``sig`` when the test process dies, so no server outlives it."""
    def set_pdeathsig() -> None:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)   # 1 = PR_SET_PDEATHSIG
    return set_pdeathsig


def _wait(ready, what: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    def state() -> str | None:
        if ready():
            return "ready"
        return "exited" if proc.poll() is not None else None

    if wait_until(state, timeout, interval=0.2) != "ready":
        tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
        proc.kill()
        raise RuntimeError(f"{what} did not start (exit {proc.poll()}):\n{tail}")


def postgres_bin() -> Path | None:
    found = sorted(glob.glob(PG_BIN_GLOB), key=lambda p: int(Path(p).parent.name))
    found = [Path(p) for p in found if (Path(p) / "initdb").exists() and (Path(p) / "postgres").exists()]
    return found[-1] if found else None


class Postgres:
    """A throw-away cluster: trust auth, loopback, a free port, fsync off; one database per test."""

    def __init__(self, bin_dir: Path):
        self.bin, self.port, self.user = bin_dir, free_port(), "gammasweep"
        self.root = Path(tempfile.mkdtemp(prefix="gammasweep-pg-"))
        self.proc: subprocess.Popen | None = None
        # initdb and postgres refuse to run as root: run them as Debian's `postgres` user.
        self.as_user: dict = {}
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            self.as_user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
            os.chown(self.root, pw.pw_uid, pw.pw_gid)

    def start(self) -> None:
        data, log = self.root / "data", self.root / "postgres.log"
        subprocess.run(
            [self.bin / "initdb", "-D", data, "-U", self.user, "--auth=trust", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, **self.as_user,
        )
        settings = {
            "listen_addresses": "127.0.0.1", "port": self.port, "unix_socket_directories": self.root,
            "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
            "max_connections": 200,
        }
        self.args = [a for k, v in settings.items() for a in ("-c", f"{k}={v}")]
        self._launch()

    def _launch(self) -> None:
        data, log, args = self.root / "data", self.root / "postgres.log", self.args
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                [self.bin / "postgres", "-D", data, *args], stdout=out, stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent(signal.SIGINT), **self.as_user,   # SIGINT: fast shutdown
            )
        _wait(self._accepts, "PostgreSQL", self.proc, log, 60)

    def _accepts(self) -> bool:
        import psycopg2

        try:
            psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres",
                             connect_timeout=2).close()
            return True
        except psycopg2.OperationalError:
            return False

    def restart(self, down_for: float) -> None:
        """Fast shutdown (as `pg_ctl restart -m fast`: clients are cut off), ``down_for`` seconds
        with nothing listening, then the same cluster on the same port again."""
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        time.sleep(down_for)
        self._launch()

    def database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL (psycopg2: SQLAlchemy 2.1's default
        driver for a bare postgresql:// is psycopg 3)."""
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", port=self.port, user=self.user, dbname="postgres")
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return f"postgresql+psycopg2://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class MlflowServer:
    """``mlflow server`` with a SQLite backend and proxied artifacts, on a free loopback port."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.root / "mlflow-server.log"
        cmd = [
            sys.executable, "-m", "mlflow", "server",
            "--backend-store-uri", f"sqlite:///{self.root}/mlflow.db",
            "--artifacts-destination", str(self.root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]
        # No background job runners (they are for GenAI jobs): fewer processes, faster start.
        env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=self.root, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent(signal.SIGTERM),
            )
        _wait(self._healthy, "mlflow server", self.proc, log, 120)

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)   # the server's own process group: it and uvicorn
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def postgres_missing() -> str | None:
    """Why the PostgreSQL tests cannot run here, or None."""
    if postgres_bin() is None:
        return (f"PostgreSQL server binaries not found ({PG_BIN_GLOB}/initdb): "
                "apt-get install postgresql (.ci/run does)")
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "psycopg2 is not installed: pip install -e '.[scale]'"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no `postgres` user to run the server as"
    return None
