"""A study family at ``max_trials`` whose report is missing or not current (a sweep killed while
it reported) gets its report from the next invocation, which then exits 3 as before; a current
report is left alone (``sweeps.hydra.reporting``)."""

from __future__ import annotations

import json

from sweeps.errors import EXIT_BUDGET_EXHAUSTED
from support.sweep_runner import run_sweep

ARGS = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=3", "hydra.sweeper.max_trials=3",
        "hydra.sweeper.population=1", "hydra.sweeper.report=true"]


def test_a_rerun_at_max_trials_writes_a_missing_or_stale_report_then_exits_3(tmp_path):
    run_sweep(tmp_path, *ARGS)
    reports = tmp_path / "reports" / "default"
    report, stamp = reports / "report.md", reports / "report.stamp.json"
    assert json.loads(stamp.read_text()) == {"default.quadratic.rmsprop": [3, 0, 0]}

    report.unlink()   # as a sweep killed while writing it leaves it: missing
    proc = run_sweep(tmp_path, *ARGS, check=False)
    assert proc.returncode == EXIT_BUDGET_EXHAUSTED, proc.stderr[-2000:]
    assert report.is_file() and "# gammasweep report: default" in report.read_text()
    assert f"Report: {report}" in proc.stdout

    written = report.stat().st_mtime_ns
    proc = run_sweep(tmp_path, *ARGS, check=False)   # current: nothing to write
    assert proc.returncode == EXIT_BUDGET_EXHAUSTED and "Report:" not in proc.stdout
    assert report.stat().st_mtime_ns == written
