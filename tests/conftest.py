"""The test tiers, and the markers that select them (registered in pyproject.toml).

- ``unit/``: in-process and fast: optimizers, models, data, statistics, analysis on synthetic
  stores, samplers, figures, the report;
- ``e2e/``: `python sweep.py` in subprocesses, as users run it, on the default SQLite files;
- ``system/``: real servers (PostgreSQL, `mlflow server`, headless Chromium), submitit jobs,
  chaos, and processes killed mid-sweep. Every test here is marked ``system``, so
  ``pytest -m "not system"`` is the fast loop and ``pytest`` runs everything.

Tests that need PostgreSQL are marked ``postgres``, the browser test ``browser``; ``slow`` marks
the tests of the other tiers that take longest. Shared helpers are in ``support/``.
"""

from pathlib import Path

import pytest

SYSTEM = Path(__file__).resolve().parent / "system"


def pytest_collection_modifyitems(items):
    for item in items:
        if SYSTEM in item.path.resolve().parents:
            item.add_marker(pytest.mark.system)
