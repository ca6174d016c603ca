"""MLflow, wired in one place: the study's parent run and the trials' child runs (``runs``), the
SQLite store's template (``template``), run names (``run_labels``), loss-curve figures drawn off
the trials' path (``curves``, ``curve_worker``)."""

from sweeps.tracking.runs import (
    DB_PASSWORD,
    UI_PORT,
    client,
    close_killed_run,
    code_version,
    ensure_experiment,
    ensure_reachable,
    filter_literal,
    finish,
    log_all,
    log_artifact,
    log_best,
    parent_run,
    reopen,
    start_child,
    ui_hint,
    ui_link,
)

__all__ = [
    "DB_PASSWORD", "UI_PORT", "client", "close_killed_run", "code_version", "ensure_experiment",
    "ensure_reachable", "filter_literal", "finish", "log_all", "log_artifact", "log_best", "parent_run",
    "reopen", "start_child", "ui_hint", "ui_link",
]
