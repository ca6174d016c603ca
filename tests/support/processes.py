"""Processes found by a marker in their environment, which every descendant inherits: how a test
finds what a killed sweeper left behind."""

from __future__ import annotations

from pathlib import Path


def marked(mark: str) -> list[int]:
    """PIDs of live processes whose environment holds ``mark`` (zombies have no environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found
