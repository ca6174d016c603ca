"""optuna-dashboard's notes, linking a family's studies and trials to their MLflow runs.

The dashboard shows user attributes as plain text, and notes as Markdown, links clickable. At
report time each study of the family gets a note linking the family run and its ``report.html``
(rewritten only when its text changes), and each trial with an MLflow run and no note yet a note
linking that run: per study, one read of its system attributes and one transaction
(``adapters.optuna_dashboard_private``), off the trials' path. A note someone wrote in the
dashboard is left alone.
"""

from __future__ import annotations

import logging

import optuna

from sweeps import records
from sweeps.errors import redact
from sweeps.adapters import optuna_dashboard_private as notes
from sweeps.adapters import optuna_private
from sweeps.tracking.family_run import HTML, run_url
from sweeps.tracking.runs import client

log = logging.getLogger(__name__)

def study_note(family: str, family_url: str, report_url: str) -> str:
    return (f"**Family `{family}`** in MLflow: [its report]({report_url}) and [the family run]({family_url}); "
            "each trial's note links its own run.")


def trial_note(url: str) -> str:
    return f"[MLflow run]({url})"


def annotate(storage: str, family: str, tracking_uri: str, family_run_id: str) -> int:
    """Write the notes of the family's studies and of their trials that have none; returns how
    many notes it wrote. The notes are a convenience: a failure is logged, the report stands."""
    try:
        return _annotate(storage, family, tracking_uri, family_run_id)
    except Exception as e:   # a locked or unreachable storage: the next report writes them
        log.warning(redact(f"Could not write the optuna-dashboard notes of family {family!r}: "
                           f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"))
        return 0


def _annotate(storage: str, family: str, tracking_uri: str, family_run_id: str) -> int:
    experiment_id = client(tracking_uri).get_run(family_run_id).info.experiment_id
    family_url = run_url(tracking_uri, experiment_id, family_run_id)
    body = study_note(family, family_url, run_url(tracking_uri, experiment_id, family_run_id, HTML))
    written = 0
    opened = optuna.storages.get_storage(storage)   # once: opening a database costs ~0.2 s
    for name in optuna.get_all_study_names(opened):
        if records.family_of(name) != family:
            continue
        study = optuna.load_study(study_name=name, storage=opened)
        store = optuna_private.storage_of(study)
        study_id = store.get_study_id_from_name(name)
        system = optuna_private.study_system_attrs(study)
        attrs = {}
        if notes.note(system, None)[1] != body:
            attrs |= notes.note_attrs(system, None, body)
            written += 1
        for t in study.get_trials(deepcopy=False):
            run_id = t.user_attrs.get(records.MLFLOW_RUN_ID)
            tid = optuna_private.trial_id(t)
            if run_id and not notes.note(system, tid)[1]:
                attrs |= notes.note_attrs(system, tid, trial_note(run_url(tracking_uri, experiment_id, run_id)))
                written += 1
        if attrs:
            optuna_private.write_study_system_attrs(store, study_id, attrs)
    return written
