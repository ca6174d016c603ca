"""sweeps.hydra.reporting.current: a report is current only beside a stamp that holds the family's
tally of finished trials as it is now."""

from __future__ import annotations

import json

import optuna
from omegaconf import OmegaConf

from sweeps.hydra import reporting


def test_a_report_is_current_until_a_trial_of_its_family_finishes(tmp_path):
    storage = f"sqlite:///{tmp_path}/optuna.db"
    o, cfg = OmegaConf.create({"storage": storage, "study_name": "fam"}), OmegaConf.create({"output_dir": str(tmp_path)})
    study = optuna.create_study(study_name="fam.a", storage=storage)
    study.add_trial(optuna.trial.create_trial(value=1.0))
    optuna.create_study(study_name="other.a", storage=storage).add_trial(optuna.trial.create_trial(value=1.0))
    out = reporting.folder(o, cfg)
    out.mkdir(parents=True)
    assert reporting.tally(storage, "fam") == {"fam.a": [1, 0, 0]}
    (out / reporting.STAMP).write_text(json.dumps(reporting.tally(storage, "fam")))
    assert not reporting.current(o, cfg), "no report.md"
    (out / "report.md").write_text("# report")
    assert reporting.current(o, cfg)
    study.add_trial(optuna.trial.create_trial(state=optuna.trial.TrialState.FAIL))
    assert not reporting.current(o, cfg), "a trial finished since"
    (out / reporting.STAMP).write_text("{half")
    assert not reporting.current(o, cfg), "a stamp cut short"
