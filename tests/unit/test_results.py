"""sweeps.results on a small real Optuna storage: trials(), list, show, export, and the errors."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import optuna
import pandas as pd
import pytest
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from sweeps.errors import EXIT_BAD_INPUT, SweepError
from sweeps.results import trials
from sweeps.results._cli import main
from sweeps import records

ROOT = Path(__file__).resolve().parents[2]
TUNING = "fam.mlp.mnist_5k.rmsprop"
SEEDS = TUNING + ".seeds"
OTHER = "other.quadratic.adam"
DISTS = {"optimizer.lr": FloatDistribution(1e-5, 1.0, log=True), "optimizer.gamma": FloatDistribution(0.0, 1.0),
         "optimizer.eps": FloatDistribution(1e-10, 1e-2, log=True)}
P = {"optimizer.lr": 1e-3, "optimizer.gamma": 0.9, "optimizer.eps": 1e-8}
FINAL = {"train_loss": 0.25, "val_loss": 0.3, "val_accuracy": 0.91, "test_loss": 0.31, "test_accuracy": 0.9}
IDENTITY = {"model": "mlp", "data": "mnist_5k", "optimizer": "rmsprop",
            "optimizer_settings": {"initial_square_avg": 0.0}, "train": {"steps": 100, "seed": 7},
            "optimized_metric": "test_loss", "search_space": {}}


def _trial(state=TrialState.COMPLETE, value=None, params=P, **attrs) -> optuna.trial.FrozenTrial:
    return create_trial(state=state, value=value, params=dict(params),
                        distributions={k: DISTS.get(k, IntDistribution(0, 100)) for k in params},
                        user_attrs=attrs)


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """Two families: a tuning study with every kind of trial, its seed study, a maximised one."""
    out = tmp_path_factory.mktemp("results")
    url = f"sqlite:///{out}/optuna.db"
    s = optuna.create_study(study_name=TUNING, storage=url)
    s.set_user_attr(records.IDENTITY, IDENTITY)
    first = _trial(value=0.31, outcome="trained", final=FINAL, seed=3, mlflow_run_id="run0",
                   train_seconds=1.5)
    first.datetime_start = first.datetime_complete - dt.timedelta(seconds=12.5)
    s.add_trial(first)                                                                    # 0
    s.add_trial(_trial(value=2.3, params=P | {"optimizer.lr": 0.5}, outcome="diverged",
                       diverged_step=40, final=FINAL | {"test_loss": 2.3}))               # 1
    s.add_trial(_trial(value=5.0, diverged=True, diverged_step=10))   # 2: old style, diverged
    s.add_trial(_trial(value=0.2, params=P | {"optimizer.gamma": 0.5}))   # 3: old style: the best
    s.add_trial(_trial(state=TrialState.PRUNED, mlflow_run_id="run4"))                  # 4
    s.add_trial(_trial(state=TrialState.FAIL, error="ValueError: boom\nTraceback ..."))  # 5
    s.add_trial(_trial(value=0.69, outcome="collapsed", final=FINAL | {"val_accuracy": 0.5}))  # 6
    seeds = optuna.create_study(study_name=SEEDS, storage=url)
    for seed in (1, 2):
        seeds.add_trial(_trial(value=0.2 + seed / 100, params=P | {"train.seed": seed}, source_trial=3,
                               outcome="trained"))
    m = optuna.create_study(study_name=OTHER, storage=url, direction="maximize")
    m.set_user_attr(records.IDENTITY, {"optimizer_settings": {"gamma": 0.999, "eps": 1e-8}})  # not swept
    optuna.create_study(study_name="other.empty.sgd", storage=url)
    m.add_trial(_trial(value=0.1, params={"optimizer.lr": 0.1}, outcome="trained"))
    m.add_trial(_trial(value=0.9, params={"optimizer.lr": 0.01}, outcome="trained"))
    m.add_trial(_trial(state=TrialState.RUNNING, params={"optimizer.lr": 0.02}))
    return out


def test_trials_columns_and_values(out):
    df = trials(out)
    assert list(df.columns) == [
        "family", "study", "number", "state", "outcome", "value", "lr", "gamma", "eps",
        "final_test_accuracy", "final_test_loss", "final_train_loss", "final_val_accuracy",
        "final_val_loss", "seed", "mlflow_run_id", "source_trial", "error", "diverged_step",
        "train_seconds", "datetime_start", "datetime_complete", "duration_s"]
    assert len(df) == 7 + 2 + 3
    t = df[df.study == TUNING].set_index("number")
    assert (t.family == "fam").all()
    assert list(t.state) == ["COMPLETE"] * 4 + ["PRUNED", "FAIL", "COMPLETE"]
    assert t.outcome.tolist()[:4] == ["trained", "diverged", "diverged", "trained"]
    assert t.outcome.isna()[[4, 5]].all() and t.outcome[6] == "collapsed"
    assert t.value[0] == 0.31 and pd.isna(t.value[4])
    assert t.lr[1] == 0.5 and t.gamma[3] == 0.5 and t.eps[0] == 1e-8
    assert t.final_val_accuracy[0] == 0.91 and t.final_test_loss[1] == 2.3 and pd.isna(t.final_test_loss[2])
    assert t.seed[0] == 3 and t.seed[2] == 7          # its own attr; else the identity's train seed
    assert t.mlflow_run_id[0] == "run0" and t.mlflow_run_id[4] == "run4"
    assert t.error[5].startswith("ValueError: boom") and pd.isna(t.error[0])
    assert t.diverged_step[1] == 40 and t.train_seconds[0] == 1.5
    assert t.duration_s[0] == pytest.approx(12.5)
    s = df[df.study == SEEDS]
    assert s.seed.tolist() == [1, 2] and s.source_trial.tolist() == [3, 3]   # seed from train.seed
    o = df[df.study == OTHER]
    assert o.seed.isna().all() and o.state.tolist() == ["COMPLETE", "COMPLETE", "RUNNING"]
    assert pd.isna(o.duration_s.iloc[2]) and pd.isna(o.outcome.iloc[2])


def test_trials_family_storage_and_default_dir(out, tmp_path, monkeypatch):
    assert set(trials(out, family="fam").study) == {TUNING, SEEDS}
    # storage wins over output_dir
    assert len(trials(tmp_path / "nowhere", storage=f"sqlite:///{out}/optuna.db")) == 12
    monkeypatch.setenv("GAMMASWEEP_OUTPUT_DIR", str(out))
    assert len(trials(family="other")) == 3
    with pytest.raises(SweepError, match="No study family 'nope'.*families found: fam, other"):
        trials(out, family="nope")
    with pytest.raises(SweepError, match="no Optuna storage"):
        trials(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_list(out, capsys):
    assert main(["list", "--output-dir", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["study", "trials", "best", "lr", "gamma", "eps", "outcomes"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert list(rows) == [TUNING, SEEDS, "other.empty.sgd", OTHER]
    # the best of a minimised study (trial 3), of a maximised one; no eps in OTHER's params
    assert rows[TUNING].split()[1:6] == ["7", "0.2", "0.001", "0.5", "1e-08"]
    assert rows[OTHER].split()[1:6] == ["3", "0.9", "0.01", "0.999", "1e-08"]   # γ, ε: fixed
    assert rows["other.empty.sgd"].split() == ["other.empty.sgd", "0", "-"]
    start = lines[0].index("outcomes")   # the counts, left-aligned in the last column
    assert rows[TUNING][start:] == "2 trained, 2 diverged, 1 collapsed, 1 pruned, 1 failed"
    assert rows[SEEDS][start:] == "2 trained" and rows[OTHER][start:] == "2 trained, 1 running"
    assert start < 100
    assert main(["list", "--output-dir", str(out), "--family", "other"]) == 0
    text = capsys.readouterr().out.splitlines()
    assert len(text) == 3 and text[2].startswith(OTHER)


def test_show(out, capsys):
    assert main(["show", TUNING, "--storage", f"sqlite:///{out}/optuna.db"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{TUNING}: 7 trials, minimize test_loss"
    assert lines[2].split() == ["number", "state", "outcome", "value", "lr", "gamma", "eps", "seed", "seconds"]
    rows = [line.split() for line in lines[3:10]]
    assert rows[0] == ["0", "COMPLETE", "trained", "0.31", "0.001", "0.9", "1e-08", "3", "12.5"]
    assert rows[1][:4] == ["1", "COMPLETE", "diverged", "2.3"]
    assert rows[4][:2] == ["4", "PRUNED"] and rows[5][:2] == ["5", "FAIL"] and rows[6][2] == "collapsed"
    assert lines[-1] == "trial 5 (FAIL): ValueError: boom"
    assert main(["show", "other.empty.sgd", "--output-dir", str(out)]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "(no trial yet)"


def test_export_csv(out, tmp_path, capsys):
    path = tmp_path / "sub" / "trials.csv"
    assert main(["export", "--output-dir", str(out), "--family", "fam", "--format", "csv",
                 "--output", str(path)]) == 0
    assert "Wrote 9 trials of 2 studies" in capsys.readouterr().out
    back = pd.read_csv(path, parse_dates=["datetime_start", "datetime_complete"])
    want = trials(out, family="fam")
    assert list(back.columns) == list(want.columns)
    pd.testing.assert_frame_equal(back, want, check_dtype=False)


def test_export_parquet(out, tmp_path):
    pytest.importorskip("pyarrow", reason="Parquet needs pyarrow (pip install pyarrow)")
    path = tmp_path / "trials.parquet"
    assert main(["export", "--output-dir", str(out), "--format", "parquet", "--output", str(path)]) == 0
    pd.testing.assert_frame_equal(pd.read_parquet(path), trials(out), check_dtype=False)


@pytest.mark.parametrize("argv, names", [
    (["show", "fam.mlp.rmsprop"], ["'fam.mlp.rmsprop'", f"Closest: {TUNING}", OTHER]),
    (["list", "--family", "nope"], ["'nope'", "families found: fam, other"]),
    (["export", "--family", "nope", "--output", "x.csv"], ["'nope'", "fam, other"]),
])
def test_unknown_study_or_family(out, tmp_path, capsys, argv, names):
    argv = [a if a != "x.csv" else str(tmp_path / "x.csv") for a in argv]
    assert main([*argv, "--output-dir", str(out)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("gammasweep: error: ") and err.count("\n") == 1
    assert all(n in err for n in names)
    assert not (tmp_path / "x.csv").exists()


def test_missing_storage_from_the_shell(tmp_path):
    missing = tmp_path / "no_sweep_here"
    proc = subprocess.run([sys.executable, "-m", "sweeps.results", "list", "--output-dir", str(missing)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_BAD_INPUT and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert str(missing / "optuna.db") in proc.stderr and "--output-dir" in proc.stderr
    assert not missing.exists()   # no empty database made on the way


def test_password_redacted(capsys, monkeypatch):
    monkeypatch.setattr("sweeps.storages.rdb.BACKOFF", 0.0)   # refused at once: no need to wait
    url = "postgresql+psycopg2://user:secret@127.0.0.1:1/db"
    assert main(["list", "--storage", url]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "secret" not in err and "user:***@" in err


def test_parquet_without_pyarrow(out, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)   # `import pyarrow` raises ImportError
    path = tmp_path / "t.parquet"
    assert main(["export", "--output-dir", str(out), "--output", str(path)]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "pip install pyarrow" in err and err.count("\n") == 1 and not path.exists()


@pytest.mark.parametrize("output", ["/proc/gammasweep/trials.csv", "/dev/full", "{tmp}"])
def test_export_to_a_place_that_cannot_be_written(out, tmp_path, capsys, output):
    """No folder can be made in /proc, /dev/full is a full disk, a folder is not a file."""
    output = output.format(tmp=tmp_path)
    assert main(["export", "--output-dir", str(out), "--output", output]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("gammasweep: error: Cannot write ") and err.count("\n") == 1
    assert repr(output) in err and "nothing was written" in err


def test_export_to_an_unwritable_path_from_the_shell(out):
    proc = subprocess.run([sys.executable, "-m", "sweeps.results", "export", "--output-dir", str(out),
                           "--output", "/proc/gammasweep/trials.csv"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == EXIT_BAD_INPUT and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "'/proc/gammasweep/trials.csv'" in proc.stderr


def test_another_programs_database_is_read_by_nobody(tmp_path, capsys):
    """An optuna.db that is not Optuna's is refused, and Optuna adds no table to it."""
    import sqlite3

    with sqlite3.connect(tmp_path / "optuna.db") as con:
        con.execute("CREATE TABLE invoices (id INTEGER)")
    before = (tmp_path / "optuna.db").read_bytes()
    assert main(["list", "--output-dir", str(tmp_path)]) == EXIT_BAD_INPUT
    assert "its tables: invoices" in capsys.readouterr().err
    assert (tmp_path / "optuna.db").read_bytes() == before
