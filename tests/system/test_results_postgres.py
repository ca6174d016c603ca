"""sweeps.results on a PostgreSQL storage: a tiny sweep on the test cluster, read back by URL.

The URL carries a password (the test cluster trusts loopback and ignores it), which no message
may show.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from support.sweep_runner import ROOT, run_sweep
from sweeps.errors import EXIT_BAD_INPUT
from sweeps.results import trials
from sweeps.results._cli import main

STUDY = "pg.quadratic.rmsprop"
SECRET = "s3cret-pw"


@pytest.mark.postgres
def test_results_read_a_postgres_storage(postgres, tmp_path, capsys):
    storage = postgres.database("results").replace("gammasweep@", f"gammasweep:{SECRET}@")
    run_sweep(tmp_path, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.study_name=pg",
              "hydra.sweeper.n_trials=3", f"hydra.sweeper.storage={storage}")

    df = trials(storage=storage)
    assert len(df) == 3 and set(df.study) == {STUDY} and (df.family == "pg").all()
    assert (df.state == "COMPLETE").all() and df[["value", "lr", "gamma", "eps"]].notna().all().all()
    assert trials(storage=storage, family="pg").equals(df)

    assert main(["list", "--storage", storage]) == 0
    assert main(["show", STUDY, "--storage", storage]) == 0
    out = capsys.readouterr().out
    listed, shown = out.split(f"{STUDY}: 3 trials", 1)
    assert listed.splitlines()[1].startswith(STUDY)
    assert len(shown.splitlines()[2:]) == 1 + 3
    assert main(["export", "--storage", storage, "--output", str(tmp_path / "t.csv")]) == 0
    assert "Wrote 3 trials of 1 studies" in capsys.readouterr().out

    # the shell command of the docs, and the errors that name the storage: no password in any
    proc = subprocess.run([sys.executable, "-m", "sweeps.results", "list", "--storage", storage],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and STUDY in proc.stdout, proc.stderr[-3000:]
    assert main(["list", "--storage", storage, "--family", "nope"]) == EXIT_BAD_INPUT
    assert main(["show", "pg.quadratic.adam", "--storage", storage]) == EXIT_BAD_INPUT
    empty = postgres.database("results_empty").replace("gammasweep@", f"gammasweep:{SECRET}@")
    assert main(["list", "--storage", empty]) == 0
    captured = capsys.readouterr()
    assert "families found: pg" in captured.err and "Closest: pg.quadratic.rmsprop" in captured.err
    assert "No study in the Optuna storage" in captured.out
    for text in (proc.stdout, proc.stderr, captured.out, captured.err):
        assert SECRET not in text
    assert "gammasweep:***@" in captured.err
