"""What ``sweeps.adapters.optuna_dashboard_private`` relies on in optuna-dashboard's note format
(``optuna_dashboard/_note.py``): notes it writes, the dashboard reads, and the other way round,
for a study and a trial, across the 2045-character chunks, with a shorter note after a longer."""

from __future__ import annotations

import optuna
import pytest

from sweeps.adapters import optuna_dashboard_private as notes
from sweeps.adapters import optuna_private

dashboard = pytest.importorskip("optuna_dashboard", reason="pip install -e '.[test]' installs optuna-dashboard")


def test_notes_read_and_write_as_the_dashboard_does(tmp_path):
    study = optuna.create_study(storage=f"sqlite:///{tmp_path}/optuna.db", study_name="s")
    trial = study.ask()
    study.tell(trial, 1.0)
    storage = optuna_private.storage_of(study)
    study_id = storage.get_study_id_from_name("s")
    tid = optuna_private.trial_id(trial)
    long, short = "a" * 2045 + "b" * 2045 + "c", "[MLflow run](http://127.0.0.1:5000/#/x)"

    dashboard.save_note(trial, long)   # the dashboard writes, we read
    assert notes.note(optuna_private.study_system_attrs(study), tid) == (1, long)
    assert notes.note(optuna_private.study_system_attrs(study), None) == (0, "")

    for body in (short, long, short):   # we write (a longer note, then a shorter), the dashboard reads
        for target, key in ((trial, tid), (study, None)):
            system = optuna_private.study_system_attrs(study)
            version = notes.note(system, key)[0]
            optuna_private.write_study_system_attrs(storage, study_id, notes.note_attrs(system, key, body))
            assert dashboard.get_note(target) == body
            assert notes.note(optuna_private.study_system_attrs(study), key)[0] == version + 1
    # a trial's note does not leak into the study's, nor the other way round
    assert notes.note(optuna_private.study_system_attrs(study), tid)[1] == short
