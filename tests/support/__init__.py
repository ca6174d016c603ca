"""What the test tiers share; a test module imports from here, never from another test module.

- ``support.ROOT`` and ``support.wait_until`` (the one poll loop: a condition, a deadline);
- ``support.sweep_runner``: `python sweep.py` in a subprocess, as a user runs it;
- ``support.workers``: sweeps in the background as workers, their trials and runs, killing one;
- ``support.processes``: the processes that inherited a marker in their environment;
- ``support.servers``: a throw-away PostgreSQL cluster and `mlflow server` (their fixtures are in
  tests/system/conftest.py);
- ``support.synthetic``: synthetic study families with known answers;
- ``support.population``: a population's members against their separate runs.

pytest puts tests/ on sys.path (``pythonpath`` in pyproject.toml), so ``import support`` works
from every tier.
"""

from pathlib import Path

from support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]   # the checkout: sweep.py, conf/, benchmarks/

__all__ = ["ROOT", "wait_until"]
