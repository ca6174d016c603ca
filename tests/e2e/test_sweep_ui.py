"""What a user reads: the closing table, the console, the job folders, MLflow's runs, --help."""

from __future__ import annotations

import collections
import logging
import math
import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient
from optuna.distributions import FloatDistribution, IntDistribution

from support import wait_until
from support.sweep_runner import ROOT, interruptible, load, mlflow_runs, run_sweep
from sweeps import tracking
from sweeps.tracking import family_run, run_labels
from sweeps.terminal import console, progress
from sweeps.hydra.search_space import to_json
from sweeps.study import differences

TINY_SWEEP = ["model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.n_trials=3", "train.steps=20",
              "hydra.sweeper.parts=[]"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """The issue's tiny sweep, with its report: (output folder, the process)."""
    out = tmp_path_factory.mktemp("ui")
    return out, run_sweep(out, *TINY_SWEEP, "hydra.sweeper.report=true")


def test_the_sweep_ends_with_a_table_of_each_study_and_where_to_look(swept):
    out, proc = swept
    study = load(out, "default.binary_mlp.binary_teacher.rmsprop")
    best = study.best_trial
    lines = proc.stdout.splitlines()
    head = next(i for i, line in enumerate(lines) if line.startswith("study "))
    assert lines[head - 1].startswith("+new, time: this invocation; ") and "all trials of the study" in lines[head - 1]
    columns, row = lines[head].split(), lines[head + 1].split()
    assert columns == ["study", "+new", "trained", "diverged", "collapsed", "pruned", "failed",
                       "best", "lr", "γ", "ε", "time"]
    cells = dict(zip(columns, row))
    assert cells["study"] == study.study_name and cells["+new"] == "3"
    outcomes = [t.user_attrs.get("outcome") for t in study.trials]
    for outcome in ("trained", "diverged", "collapsed"):
        assert int(cells[outcome]) == outcomes.count(outcome)
    assert float(cells["best"]) == pytest.approx(best.value, rel=1e-3)
    for column, key in (("lr", "lr"), ("γ", "gamma"), ("ε", "eps")):
        assert float(cells[column]) == pytest.approx(best.params[f"optimizer.{key}"], rel=0.06)
    assert re.fullmatch(r"\d+(\.\d)?s|\d+m\d\ds", cells["time"])
    assert f"Report: {out}/reports/default/report.md" in proc.stdout
    assert (proc.stdout + proc.stderr).count("Report: ") == 1
    assert re.search(r"Report logged to MLflow: the family run 'default' in experiment "
                     r"gammasweep-default\.$", proc.stdout + proc.stderr, re.MULTILINE)
    experiment = MlflowClient(f"sqlite:///{out}/mlflow.db").get_experiment_by_name("gammasweep-default")
    assert (f"MLflow: mlflow ui --backend-store-uri sqlite:///{out}/mlflow.db   # then open "
            f"http://127.0.0.1:5000/#/experiments/{experiment.experiment_id}?workflowType=machine_learning"
            ) in proc.stdout


def test_the_console_drops_hydras_launch_lines_but_the_job_log_keeps_them(swept):
    out, proc = swept
    assert "Launching" not in proc.stdout + proc.stderr
    assert not re.search(r"#\d+ : ", proc.stdout + proc.stderr)
    logs = list((out / "multirun").rglob("sweep.log"))
    assert logs and all("Launched with: " in p.read_text() and "trial.job=" in p.read_text() for p in logs)
    assert "Launched with" not in proc.stdout + proc.stderr


def test_console_filter_and_progress_decision():
    def record(name, level=logging.INFO):
        return logging.LogRecord(name, level, "", 0, "m", None, None)

    launcher = record("hydra._internal.core_plugins.basic_launcher")
    assert not console.shown(launcher, bar_active=False)
    assert console.shown(launcher, bar_active=False, verbose=True)
    assert console.shown(record("hydra._internal.core_plugins.basic_launcher", logging.WARNING), False)
    assert console.shown(record("sweeps.jobs.member"), bar_active=False)      # cron/CI: a line per trial
    assert not console.shown(record("sweeps.jobs.member"), bar_active=True)   # terminal: the bar counts it

    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    assert progress.wanted(Stream(True), {"TERM": "xterm"})
    assert not progress.wanted(Stream(False), {})
    assert not progress.wanted(Stream(True), {"TERM": "dumb"})
    assert not progress.wanted(Stream(True), {"GAMMASWEEP_PROGRESS": "off"})
    assert progress.wanted(Stream(False), {"GAMMASWEEP_PROGRESS": "on"})


@pytest.mark.slow
def test_on_a_terminal_one_bar_counts_the_trials(tmp_path):
    """Under a pseudo-terminal: the bar (n/total, best, elapsed, time left) and no per-trial lines."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = dict(os.environ, TERM="xterm", PYTHONWARNINGS="ignore")
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}", *TINY_SWEEP,
         "train.eval_every=5", "hydra.sweeper.report=false", "mlflow.log_curve_png=false"],
        cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:   # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(120) == 0
    text = b"".join(chunks).decode(errors="replace")
    assert re.search(r"3/3 trials \[\d\d:\d\d elapsed, \d\d:\d\d left\], best [\d.e-]+ \(#\d\)", text), text[-2000:]
    assert "sweeps.jobs.member" not in text and "Launching" not in text
    assert "default.binary_mlp.binary_teacher.rmsprop" in text   # the closing table


@pytest.mark.slow
def test_job_folders_are_named_by_study_and_trial_and_never_reused(tmp_path):
    args = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=2", "hydra.sweeper.population=1"]
    run_sweep(tmp_path, *args)
    run_sweep(tmp_path, *args)
    root = tmp_path / "multirun" / "default" / "default.quadratic.rmsprop"
    assert sorted(int(p.name) for p in root.iterdir()) == [0, 1, 2, 3]
    for job in root.iterdir():   # each folder holds its own trial's config
        overrides = (job / ".hydra" / "overrides.yaml").read_text()
        assert f"trial.number={job.name}" in overrides
    run_sweep(tmp_path, "model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.n_trials=3",
              "hydra.sweeper.sampler.name=random")
    stacked = tmp_path / "multirun" / "default" / "default.binary_mlp.binary_teacher.rmsprop"
    assert [p.name for p in stacked.iterdir()] == ["0-2"]


def test_mlflow_runs_read_like_the_question(swept):
    out, _ = swept
    study = load(out, "default.binary_mlp.binary_teacher.rmsprop")
    client = MlflowClient(f"sqlite:///{out}/mlflow.db")
    experiment = client.get_experiment_by_name("gammasweep-default")
    assert experiment.tags["mlflow.experimentKind"] == "custom_model_development"
    runs = mlflow_runs(out, "gammasweep-default")
    (family,) = [r for r in runs if "gammasweep.family" in r.data.tags]
    (parent,) = [r for r in runs if "gammasweep.study" in r.data.tags]
    children = {r.info.run_id: r for r in runs if "gammasweep.trial" in r.data.tags}
    assert len(runs) == 2 + len(children)

    # The family run is the one top-level run: it holds the report once, the parent nests under it.
    assert family.info.run_name == "default" and "mlflow.parentRunId" not in family.data.tags
    assert parent.data.tags["mlflow.parentRunId"] == family.info.run_id
    assert {c.data.tags["mlflow.parentRunId"] for c in children.values()} == {parent.info.run_id}
    assert {"report", "report.html"} <= {a.path for a in client.list_artifacts(family.info.run_id)}
    assert "report/report.md" in {a.path for a in client.list_artifacts(family.info.run_id, "report")}
    assert not [a for a in client.list_artifacts(parent.info.run_id) if a.path == "report"]
    assert "report.html" in experiment.tags["mlflow.note.content"]

    assert parent.info.status == "FINISHED", "a parent run ends with its invocation"
    best = study.best_trial
    assert parent.data.metrics["best_val_loss"] == pytest.approx(best.value)
    assert parent.data.params["best_trial"] == str(best.number)
    assert float(parent.data.params["lr"]) == pytest.approx(best.params["optimizer.lr"])
    assert float(parent.data.params["1_log10_lr"]) == pytest.approx(math.log10(best.params["optimizer.lr"]))
    note = parent.data.tags["mlflow.note.content"]
    counts = collections.Counter(t.user_attrs["outcome"] for t in study.trials)
    assert "val_loss" in note and f"#{best.number}" in note
    assert all(f"{n} {outcome}" in note for outcome, n in counts.items()), (counts, note)

    for t in study.trials:
        run = children[t.user_attrs["mlflow_run_id"]]
        p = {k.split(".")[-1]: v for k, v in t.params.items()}
        name = (f"rmsprop γ={run_labels.number(p['gamma'])} lr={run_labels.number(p['lr'])} "
                f"ε={run_labels.number(p['eps'])} #{t.number}")
        outcome = t.user_attrs["outcome"]
        assert run.info.run_name == run_labels.PREFIX.get(outcome, "") + name
        assert run.data.tags["outcome"] == outcome and run.info.status == "FINISHED"
        for key, value in (("log10_lr", math.log10(p["lr"])), ("log10_eps", math.log10(p["eps"])),
                           ("log10_1m_gamma", math.log10(1 - p["gamma"]))):
            assert float(run.data.params[run_labels.AXIS_PARAMS[key]]) == pytest.approx(value)
            assert run.data.metrics[key] == pytest.approx(value)


def test_run_names_and_log_axes():
    assert run_labels.number(1e-3) == "1e-3" and run_labels.number(3.2e-4) == "3.2e-4"
    assert run_labels.number(0.99) == "0.99" and run_labels.number(0.0) == "0"
    name = run_labels.run_name("rmsprop", {"optimizer.lr": 1e-3, "optimizer.gamma": 0.99,
                                           "optimizer.eps": 1e-8, "train.seed": 3}, 12)
    assert name == "rmsprop γ=0.99 lr=1e-3 ε=1e-8 seed=3 #12"
    assert run_labels.labelled(name, "diverged").startswith("[diverged] rmsprop")
    axes = run_labels.log_axes({"lr": 1e-3, "eps": 1e-8, "gamma": 0.99})
    assert axes == pytest.approx({"log10_lr": -3, "log10_eps": -8, "log10_1m_gamma": -2})
    assert "log10_1m_gamma" not in run_labels.log_axes({"lr": 1e-3, "gamma": 1.0})
    # As params they sort first, lr, 1−γ, ε, as MLflow's compare view orders its default axes
    params = run_labels.axis_params(axes)
    assert sorted([*params, "batch_size", "beta1", "eps", "gamma", "lr"])[:3] == [
        "1_log10_lr", "2_log10_1m_gamma", "3_log10_eps"]


def test_links_open_the_model_training_view():
    assert tracking.ui_link("http://10.0.0.2:5000/", "7") == (
        None, "http://10.0.0.2:5000/#/experiments/7?workflowType=machine_learning")
    command, url = tracking.ui_link("sqlite:///outputs/mlflow.db", "1")
    assert command == f"mlflow ui --backend-store-uri sqlite:///{Path('outputs/mlflow.db').resolve()}"
    assert url == "http://127.0.0.1:5000/#/experiments/1?workflowType=machine_learning"
    # a run's page and an artifact of it, without the password of a server's URI
    assert family_run.run_url("http://u:secret@10.0.0.2:5000", "7", "abc", "report.html") == (
        "http://10.0.0.2:5000/#/experiments/7/runs/abc/artifacts/report.html?workflowType=machine_learning")


def test_a_refused_study_says_what_differs_in_words():
    old = {"model": "binary_mlp", "train": {"steps": 20, "dtype": "float32"},
           "search_space": to_json({"optimizer.lr": FloatDistribution(1e-4, 1e-1, log=True),
                                    "optimizer.gamma": FloatDistribution(0.0, 1.0)})}
    new = {"model": "binary_mlp", "train": {"steps": 30, "dtype": "float32"},
           "search_space": to_json({"optimizer.lr": FloatDistribution(1e-5, 1.0, log=True),
                                    "train.batch_size": IntDistribution(8, 64, step=8)})}
    assert differences(old, new) == [
        "search space of optimizer.gamma: study has uniform [0, 1], this run none (not swept)",
        "search space of optimizer.lr: study has log-uniform [1e-4, 0.1], this run log-uniform [1e-5, 1]",
        "search space of train.batch_size: study has none (not swept), this run integers [8, 64] in steps of 8",
        "train.steps: study has 20, this run 30",
    ]


def test_the_refusal_on_the_command_line_is_one_line_per_difference(tmp_path):
    base = ["model=binary_mlp", "optimizer=sgd", "hydra.sweeper.n_trials=1"]
    run_sweep(tmp_path, *base)
    proc = run_sweep(tmp_path, *base, "train.steps=30", "optimizer.lr=tag(log,interval(1e-5,1))",
                     check=False)
    assert proc.returncode == 2
    assert "  - train.steps: study has 20, this run 30" in proc.stderr.splitlines()
    assert any(line.startswith("  - search space of optimizer.lr: study has log-uniform [")
               for line in proc.stderr.splitlines())
    assert '"attributes"' not in proc.stderr, "no raw distribution JSON"


def test_help_lists_the_sweeper_keys():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(ROOT / "sweep.py"), "--help"], capture_output=True, text=True,
                         timeout=120, cwd=ROOT).stdout
    for key in ("study_name", "storage", "n_trials", "max_trials", "n_jobs", "sampler.name", "pruner.name",
                "seeds.n", "population", "params", "protocol"):
        assert re.search(rf"^\s+{re.escape(key)}\b", out, re.M), key
    assert "hydra.sweeper." in out


@pytest.mark.parametrize("seed", [0, 1])
def test_the_readmes_first_single_run_trains(tmp_path, seed):
    """`python sweep.py` (mnist_mlp + RMSprop defaults) trains; lr = 1e-2 diverged on seed 1."""
    run_sweep(tmp_path, f"train.seed={seed}", "train.steps=300", multirun=False)
    (run,) = mlflow_runs(tmp_path, "gammasweep-default")
    assert run.data.tags["outcome"] == "trained", run.data.metrics
    assert run.data.params["model"] == "mnist_mlp" and run.data.params["optimizer"] == "rmsprop"


def _parent(out):
    runs = mlflow_runs(out, "gammasweep-default")
    (parent,) = [r for r in runs if "gammasweep.study" in r.data.tags]
    return parent, [r for r in runs if "gammasweep.trial" in r.data.tags]


@pytest.mark.slow
def test_a_failed_sweep_ends_its_parent_run_failed_and_a_resume_finishes_it(tmp_path):
    crash = ["model=quadratic", "optimizer=sgd", "optimizer.lr=0.1", "train.batch_size=choice(0,8)",
             "hydra.sweeper.sampler.name=grid", "hydra.sweeper.n_trials=2"]
    assert run_sweep(tmp_path, *crash, "hydra.sweeper.max_failure_rate=0.0", check=False).returncode == 1
    parent, children = _parent(tmp_path)
    assert parent.info.status == "FAILED"
    failed = [c for c in children if c.data.tags.get("outcome") == "failed"]
    assert failed and all(c.info.run_name.startswith("[failed] sgd batch_size=0 #")
                          and c.info.status == "FAILED" for c in failed)
    run_sweep(tmp_path, *crash, "hydra.sweeper.max_failure_rate=1.0", check=False)   # the grid is done: exit 3
    assert _parent(tmp_path)[0].info.status == "FINISHED"


def test_ctrl_c_ends_the_parent_run_killed(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}", "model=quadratic",
           "optimizer=sgd", "hydra.sweeper.n_trials=50", "hydra.sweeper.population=1", "train.steps=2000",
           "hydra.sweeper.report=false", "mlflow.log_curve_png=false", "hydra.sweeper.pruner.name=none"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONWARNINGS="ignore"), preexec_fn=interruptible)
    try:
        # mid-sweep: the family run, the parent and two trials
        wait_until(lambda: proc.poll() is not None or len(_safe_runs(tmp_path)) >= 4, 120, interval=0.2)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(120) == 130, proc.communicate()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert _parent(tmp_path)[0].info.status == "KILLED"


def _safe_runs(out):
    try:
        return mlflow_runs(out, "gammasweep-default")
    except Exception:   # the store is still being created
        return []
