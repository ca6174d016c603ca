"""sweeps.results on the storage of a real (tiny) sweep."""

from __future__ import annotations

from support.sweep_runner import run_sweep
from sweeps.results import trials
from sweeps.results._cli import main

STUDY = "default.binary_mlp.binary_teacher.rmsprop"


def test_a_real_sweep(tmp_path, capsys):
    run_sweep(tmp_path, "model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.n_trials=3")
    df = trials(output_dir=tmp_path)
    assert len(df) == 3 and set(df.study) == {STUDY} and (df.family == "default").all()
    assert (df.state == "COMPLETE").all() and df.outcome.isin(["trained", "diverged", "collapsed"]).all()
    assert df[["value", "lr", "gamma", "eps", "duration_s"]].notna().all().all()
    assert df.mlflow_run_id.str.len().gt(0).all()
    assert main(["list", "--output-dir", str(tmp_path)]) == 0
    assert main(["show", STUDY, "--output-dir", str(tmp_path)]) == 0
    listed, shown = capsys.readouterr().out.split(f"{STUDY}: 3 trials", 1)
    counts = df.outcome.value_counts()   # the listing's last column: the outcomes, counted in words
    words = ", ".join(f"{counts[k]} {k}" for k in ("trained", "diverged", "collapsed") if k in counts)
    assert listed.splitlines()[1].startswith(STUDY) and listed.splitlines()[1].endswith(" " + words)
    table = shown.splitlines()[2:]
    assert table[0].split()[:4] == ["number", "state", "outcome", "value"] and len(table) == 1 + 3
