"""Who a process is, and whether it still runs: (host and PID namespace, PID, start time).

A PID alone names a process only within its PID namespace and only until it is reused, so a
process is recorded as the triple; the start time (clock ticks after boot, /proc/<pid>/stat
field 22) tells a reused PID from the process that first had it. Heartbeats record a trial's
owner with it (``storages.heartbeat``), and a sweep's workers watch their sweeper with it
(``launch.lifeline``).
"""

from __future__ import annotations

import os
import socket


def identity(pid: int | None = None) -> tuple[str, int, str | None]:
    """(host and PID namespace, PID, start time) of the local process ``pid`` (default: this one)."""
    pid = os.getpid() if pid is None else pid
    return host(), pid, start_time(pid)


def host() -> str:
    """The host name, plus the PID namespace where there is one: a PID means a process only
    within its namespace (two containers may share a host name but not their PIDs)."""
    try:
        return f"{socket.gethostname()}/{os.readlink('/proc/self/ns/pid')}"
    except OSError:
        return socket.gethostname()


def start_time(pid: int) -> str | None:
    """The process's start time, or None if it does not run (a zombie has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()   # state, ppid, ...: after "(name)"
    except OSError:
        return None
    return None if len(fields) < 20 or fields[0] in "ZX" else fields[19]


def runs(pid: int) -> bool:
    """Whether a process with this PID runs here (another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def gone(where: str, pid: int, started: str | None) -> bool:
    """True if the process visibly no longer runs: it ran on this host, and its PID is gone or
    reused. A process elsewhere is never visibly gone."""
    if where != host():
        return False
    if started is not None and os.path.exists("/proc/self/stat"):
        return start_time(pid) != started
    return not runs(pid)
