"""Every use of a library's private API, one module per library.

Optuna, Hydra, MLflow and optuna-dashboard give us no public call for a few things the sweeper
needs: a single trial's row without reading the whole study, heartbeats' stale trials with our own
reasons, the grid's order, many rows in one transaction, a job config without Hydra's full
composition, the joblib and submitit launchers' job functions, a prebuilt MLflow store, many
dashboard notes at once. Each such use lives here, behind a small named function whose docstring names the private thing it touches, so that a new
release of a library breaks one module and one test, not the service.

- ``optuna_private``: the storage and ids behind a study and a trial, stale trials, a trial's cache
  of reported values, the grid sampler's points, enqueued params, and multi-row writes into the
  RDB storage's tables;
- ``hydra_private``: Hydra's ``_internal`` (the basic launcher, the config loader's overrides,
  ``run_and_report``) and its launcher plugins (hydra-joblib-launcher's ``_core``,
  hydra-submitit-launcher's executor name);
- ``mlflow_private``: MLflow's SQL store module and its ``experiments`` table.
- ``optuna_dashboard_private``: optuna-dashboard's note format (study system attributes), written
  for many trials in one transaction.

Each has a test (``tests/unit/test_adapters_<library>.py``) that pins the behaviour relied on, and
pyproject.toml bounds each library to the versions those tests passed on: before raising a
bound, run them against the new release.
"""
