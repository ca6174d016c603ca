"""The job config files Hydra writes (they hold the storage URL and tracking URI, passwords
included, so that a job can be re-run) are readable by their owner only: a single run and a sweep."""

from __future__ import annotations

import stat

import pytest

from support.sweep_runner import run_sweep

FILES = ["config.yaml", "hydra.yaml", "overrides.yaml"]


@pytest.mark.parametrize("multirun", [False, True], ids=["run", "sweep"])
def test_job_config_files_are_private(tmp_path, multirun):
    run_sweep(tmp_path, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=2",
              "mlflow.tracking_uri=sqlite:///" + str(tmp_path / "mlflow.db"), multirun=multirun)
    folders = list(tmp_path.rglob(".hydra"))
    # a run's folder is runs/<time>; a sweep's are multirun/<family>/<study>/<trials>
    assert folders and {f.relative_to(tmp_path).parts[0] for f in folders} == {"multirun" if multirun else "runs"}
    for folder in folders:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert sorted(p.name for p in folder.iterdir()) == FILES
        assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}, folder
