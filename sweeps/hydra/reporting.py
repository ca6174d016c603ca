"""The study family's report: written after a sweep that added trials, and by any later sweep
that finds it not current.

A report is current when a stamp written after it (``report.stamp.json``, beside ``report.md``)
holds the family's tally of finished trials (per study: complete, pruned, failed) and that tally
is still the family's. A sweep killed while it reports leaves no stamp or an older one, so the
next invocation, even one with nothing to add (every study at ``max_trials``, exit 3), writes the
report again instead of leaving it missing or half-written for good.

``changed_verdicts`` compares the previous report's ``answer.json`` with the new one, for
``hydra.sweeper.fail_on_change`` (exit 4).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from omegaconf import DictConfig

from sweeps.analysis import answer

log = logging.getLogger(__name__)

STAMP = "report.stamp.json"


def folder(o: DictConfig, cfg: DictConfig) -> Path:
    return Path(f"{cfg.output_dir}/reports/{o.study_name}")


def current(o: DictConfig, cfg: DictConfig) -> bool:
    """Whether ``report.md`` exists and covers every finished trial of the family."""
    out = folder(o, cfg)
    try:
        stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (out / "report.md").is_file() and stamp == tally(o.storage, o.study_name)


def write(o: DictConfig, cfg: DictConfig) -> tuple[str, list[str]]:
    """Regenerate the family's report (the analysis lives in sweeps.report), then its stamp.
    Returns its path and the verdicts that changed since the previous report, one phrase each."""
    from sweeps.report import write_report
    from sweeps.terminal.progress import ReportProgress

    counted = tally(o.storage, o.study_name)   # before: a trial finished meanwhile makes it stale
    out = folder(o, cfg)
    previous = answer.read(out)   # before write_report replaces it
    path = write_report(storage=o.storage, family=o.study_name, out_dir=str(out),
                        tracking_uri=cfg.mlflow.tracking_uri, experiment_name=cfg.mlflow.experiment_name,
                        progress=ReportProgress())
    partial = out / f".{STAMP}.{os.getpid()}"
    partial.write_text(json.dumps(counted, sort_keys=True), encoding="utf-8")
    partial.replace(out / STAMP)   # whole or absent, never half-written
    log.debug("Report: %s", path)   # the closing lines print it
    return str(path), changed_verdicts(previous, answer.read(out))


def changed_verdicts(old: dict | None, new: dict | None) -> list[str]:
    """``<comparison>: <old> → <new>`` for each verdict that differs; none without both answers."""
    if old is None or new is None:
        return []
    return [f"{k}: {was} → {now}" for k, was, now in answer.changes(old, new).verdicts]


def tally(storage: str, family: str) -> dict[str, list[int]]:
    """Per study of the family: its complete, pruned and failed trials (``answer.trials``'s counts)."""
    return {name: [counts[k] for k in answer.OUTCOMES] for name, counts in answer.trials(storage, family).items()}
