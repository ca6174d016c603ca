"""A real sweep end to end: Hydra multirun -> our Optuna sweeper -> training -> MLflow."""

import pytest
from optuna.trial import TrialState

from support.sweep_runner import artifact_names, load, mlflow_runs, run_sweep


@pytest.mark.slow
def test_sweep_resumes_without_losing_or_repeating_trials(tmp_path):
    args = ["model=quadratic", "optimizer=rmsprop", "hydra.sweeper.n_trials=3", "mlflow.log_curve_png=true"]
    run_sweep(tmp_path, *args)
    run_sweep(tmp_path, *args)
    study = load(tmp_path, "default.quadratic.rmsprop")
    assert [t.number for t in study.trials] == list(range(6))
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in study.trials)
    points = {tuple(sorted(t.params.items())) for t in study.trials}
    assert len(points) == 6, "a resumed seeded sampler repeated earlier points"
    assert set(study.trials[0].params) == {"optimizer.lr", "optimizer.gamma", "optimizer.eps"}

    runs = mlflow_runs(tmp_path, "gammasweep-default")
    parents = [r for r in runs if "gammasweep.study" in r.data.tags]
    children = [r for r in runs if "gammasweep.trial" in r.data.tags]
    assert len(parents) == 1, "the study's parent run must be reused on resume"
    assert len(children) == 6
    assert {c.data.tags["mlflow.parentRunId"] for c in children} == {parents[0].info.run_id}
    # drawn by the sweeper's figure helper (sweeps/tracking/curve_worker.py), all in before the sweep ends
    done = [c for c in children if c.data.tags["outcome"] in ("trained", "diverged", "collapsed")]
    assert done and all(artifact_names(tmp_path, c) == ["loss_curve.png"] for c in done)
    child = children[0]
    for key in ("lr", "gamma", "eps", "optimizer", "model", "data_fingerprint", "seed", "dtype", "code_version"):
        assert key in child.data.params
    trained = next(c for c in children if c.data.tags["outcome"] == "trained")
    assert {"val_loss", "train_loss", "objective"} <= set(trained.data.metrics)
    assert "test_loss" not in child.data.metrics  # tuning trials never score the test split
    trial = study.trials[0]
    assert trial.user_attrs["outcome"] in ("trained", "diverged", "collapsed")
    assert set(trial.user_attrs["final"]) == {"train_loss", "val_loss"} and trial.user_attrs["seed"] == 0
    finished = parents[0].data.metrics["n_complete"] + parents[0].data.metrics["n_pruned"]
    assert finished == 6
    assert float(parents[0].data.tags["best.optimizer.lr"]) > 0


def test_group_sweep_makes_one_study_per_optimizer_and_drops_absent_params(tmp_path):
    run_sweep(tmp_path, "model=binary_mlp", "optimizer=choice(sgd,adam)", "hydra.sweeper.n_trials=2")
    sgd = load(tmp_path, "default.binary_mlp.binary_teacher.sgd")
    adam = load(tmp_path, "default.binary_mlp.binary_teacher.adam")
    assert set(sgd.trials[0].params) == {"optimizer.lr"}, "sgd has no gamma or eps to sweep"
    assert set(adam.trials[0].params) == {"optimizer.lr", "optimizer.gamma", "optimizer.eps"}
    assert len(sgd.trials) == len(adam.trials) == 2
    identity = adam.user_attrs["gammasweep.identity"]
    assert identity["data_fingerprint"].startswith("binary_teacher:")
    assert identity["model"] == "binary_mlp"


@pytest.mark.slow
def test_max_trials_caps_the_study_and_the_exit_code_says_so(tmp_path):
    args = ["model=quadratic", "optimizer=sgd", "hydra.sweeper.n_trials=3", "hydra.sweeper.max_trials=4"]
    run_sweep(tmp_path, *args)
    run_sweep(tmp_path, *args)
    assert len(load(tmp_path, "default.quadratic.sgd").trials) == 4
    third = run_sweep(tmp_path, *args, check=False)
    assert third.returncode == 3
    assert len(load(tmp_path, "default.quadratic.sgd").trials) == 4


@pytest.mark.slow
def test_joblib_launcher_runs_trials_in_parallel_processes(tmp_path):
    run_sweep(
        tmp_path, "model=rotated_quadratic", "optimizer=adam", "hydra/launcher=joblib",
        "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2", "hydra.sweeper.n_trials=4",
        "hydra.sweeper.pruner.name=none", "mlflow.log_curve_png=true",
    )
    study = load(tmp_path, "default.rotated_quadratic.adam")
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    # Workers reported intermediate values through the storage.
    assert all(len(t.intermediate_values) == 5 for t in study.trials)
    runs = mlflow_runs(tmp_path, "gammasweep-default")
    assert len(runs) == 6   # the family run, the study's parent run, 4 trials
    children = [r for r in runs if "gammasweep.trial" in r.data.tags]
    assert all(artifact_names(tmp_path, c) == ["loss_curve.png"] for c in children)  # drawn in place


def test_grid_sampler_covers_the_grid_once(tmp_path):
    run_sweep(
        tmp_path, "model=quadratic", "optimizer=rmsprop", "hydra.sweeper.sampler.name=grid",
        "optimizer.gamma=choice(0.9,1.0)", "optimizer.lr=tag(log,interval(0.001,0.1))",
        "optimizer.eps=1e-8", "hydra.sweeper.grid_points=3", "hydra.sweeper.n_trials=100",
    )
    study = load(tmp_path, "default.quadratic.rmsprop")
    got = sorted((t.params["optimizer.gamma"], round(t.params["optimizer.lr"], 6)) for t in study.trials)
    assert got == sorted((g, lr) for g in (0.9, 1.0) for lr in (0.001, 0.01, 0.1))


def test_diverged_trial_is_recorded_with_its_penalty_and_the_sweep_goes_on(tmp_path):
    run_sweep(tmp_path, "model=quadratic", "optimizer=sgd", "optimizer.lr=choice(5.0,0.1)",
              "hydra.sweeper.sampler.name=grid", "hydra.sweeper.n_trials=2")
    study = load(tmp_path, "default.quadratic.sgd")
    by_lr = {t.params["optimizer.lr"]: t for t in study.trials}
    assert by_lr[5.0].state == TrialState.COMPLETE and by_lr[5.0].user_attrs["diverged"]
    assert by_lr[5.0].value == pytest.approx(49 / 20 + 4, rel=1e-6)  # f at the start: the penalty
    assert not by_lr[0.1].user_attrs["diverged"] and by_lr[0.1].value < by_lr[5.0].value


def test_study_refuses_trials_on_other_data(tmp_path):
    base = ["model=binary_mlp", "optimizer=sgd", "hydra.sweeper.n_trials=1"]
    run_sweep(tmp_path, *base)
    proc = run_sweep(tmp_path, *base, "data.options.data_seed=1", check=False)
    assert proc.returncode == 2
    assert "Refusing to add trials" in proc.stderr and "data_fingerprint" in proc.stderr
    assert len(load(tmp_path, "default.binary_mlp.binary_teacher.sgd").trials) == 1


def test_single_run_logs_one_mlflow_run(tmp_path):
    proc = run_sweep(tmp_path, "model=linear_regression", "optimizer=adam", "optimizer.lr=0.1", multirun=False)
    runs = mlflow_runs(tmp_path, "gammasweep-default")
    assert len(runs) == 1 and runs[0].data.params["optimizer"] == "adam"
    assert "val_loss" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_crashed_trial_is_recorded_and_the_sweep_goes_on_up_to_max_failure_rate(tmp_path):
    crash = ["model=quadratic", "optimizer=sgd", "optimizer.lr=0.1", "train.batch_size=choice(0,8)",
             "hydra.sweeper.sampler.name=grid", "hydra.sweeper.n_trials=2"]
    run_sweep(tmp_path, *crash, "hydra.sweeper.max_failure_rate=0.5")
    trials = load(tmp_path, "default.quadratic.sgd").trials
    states = {t.params["train.batch_size"]: t.state for t in trials}
    assert states == {0: TrialState.FAIL, 8: TrialState.COMPLETE}
    failed = next(t for t in trials if t.state == TrialState.FAIL)
    assert "train.batch_size=0 is not allowed" in failed.user_attrs["error"]

    (tmp_path / "strict").mkdir()
    strict = run_sweep(tmp_path / "strict", *crash, "hydra.sweeper.max_failure_rate=0.0", check=False)
    assert strict.returncode == 1
    assert "max_failure_rate=0.0" in strict.stderr


@pytest.mark.slow
def test_population_jobs_match_one_trial_per_job(tmp_path):
    grid = ["model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.sampler.name=grid",
            "optimizer.gamma=choice(0.9,0.999)", "optimizer.lr=tag(log,interval(1e-3,1e-1))",
            "hydra.sweeper.grid_points=3", "optimizer.eps=1e-8", "hydra.sweeper.n_trials=6",
            "hydra.sweeper.pruner.name=none", "train.dtype=float64", "data.options.n_train=512",
            "data.options.n_test=256"]
    (tmp_path / "one").mkdir()
    (tmp_path / "stacked").mkdir()
    run_sweep(tmp_path / "one", *grid, "hydra.sweeper.population=1")
    run_sweep(tmp_path / "stacked", *grid, "hydra.sweeper.population=4")

    def values(out):
        study = load(out, "default.binary_mlp.binary_teacher.rmsprop")
        return {tuple(sorted(t.params.items())): t.value for t in study.trials}

    one, stacked = values(tmp_path / "one"), values(tmp_path / "stacked")
    assert len(one) == 6 and one.keys() == stacked.keys()
    for point, value in one.items():
        assert stacked[point] == pytest.approx(value, rel=1e-9)
    children = [r for r in mlflow_runs(tmp_path / "stacked", "gammasweep-default")
                if "gammasweep.trial" in r.data.tags]
    assert len(children) == 6
    assert {float(c.data.params["gamma"]) for c in children} == {0.9, 0.999}


@pytest.mark.slow
def test_ctrl_c_requeues_the_trial_in_flight_and_the_same_command_finishes_it(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    from support import wait_until
    from support.sweep_runner import ROOT, TINY, interruptible

    args = ["model=mnist_mlp", "optimizer=sgd", "hydra.sweeper.n_trials=1", "train.steps=20000",
            "train.eval_every=1000"]
    cmd = [sys.executable, str(ROOT / "sweep.py"), "-m", f"output_dir={tmp_path}", *TINY, *args]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)

    def running():
        try:
            return any(t.state == TrialState.RUNNING for t in load(tmp_path, "default.mnist_mlp.mnist_5k.sgd").trials)
        except Exception:   # the study does not exist yet
            return False

    wait_until(running, 120, interval=0.5)   # wait until the trial is running, then press Ctrl-C
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "run the same command again to resume" in err and "Traceback" not in err

    study = load(tmp_path, "default.mnist_mlp.mnist_5k.sgd")
    assert [t.state for t in study.trials] == [TrialState.FAIL, TrialState.WAITING]
    run_sweep(tmp_path, *args)
    retried = load(tmp_path, "default.mnist_mlp.mnist_5k.sgd").trials[1]
    assert retried.state == TrialState.COMPLETE and retried.user_attrs["retry_of"] == 0
    assert retried.params == study.trials[0].params


@pytest.mark.slow
def test_tpe_stacks_only_its_random_startup_trials_and_draws_the_same_points(tmp_path):
    args = ["model=binary_mlp", "optimizer=rmsprop", "hydra.sweeper.sampler.name=tpe",
            "hydra.sweeper.sampler.n_startup_trials=4", "hydra.sweeper.n_trials=6",
            "hydra.sweeper.pruner.name=none", "train.dtype=float64", "data.options.n_train=512",
            "data.options.n_test=256"]
    (tmp_path / "one").mkdir()
    (tmp_path / "auto").mkdir()
    run_sweep(tmp_path / "one", *args, "hydra.sweeper.population=1")
    run_sweep(tmp_path / "auto", *args)   # population=auto: binary_mlp stacks up to 32

    def trials(out):
        return load(out, "default.binary_mlp.binary_teacher.rmsprop").trials

    one, auto = trials(tmp_path / "one"), trials(tmp_path / "auto")
    for a, b in zip(one[:4], auto[:4]):   # the start-up draws: same points, same results
        assert a.params == b.params
        assert b.value == pytest.approx(a.value, rel=1e-9)
    jobs = sorted(p.name for p in (tmp_path / "auto" / "multirun").glob("*/*/*") if p.is_dir())
    assert len(jobs) == 3, f"4 start-up trials in one job, then one job per TPE trial: {jobs}"
    assert len(auto) == 6 and all(t.state == TrialState.COMPLETE for t in auto)
