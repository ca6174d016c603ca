"""Bad input gets one clear paragraph and exit code 2, never a traceback, and writes no trials."""

import pytest

from support.sweep_runner import run_sweep


@pytest.mark.parametrize(
    "args, expected",
    [
        (["optimizer.gamma=1.5"], "gamma must be in [0, 1]"),
        (["optimizer.lr=-1"], "lr must be in (0, inf)"),
        (["-m", "optimizer.gamma=interval(0.5,1.5)"], "optimizer.gamma reaches 1.5"),
        (["-m", "optimizer.lr=tag(log,interval(0,1))"], "low > 0"),
        (["-m", "optimizer.gama=interval(0.1,0.2)"], "optimizer.gama"),
        (["-m", "hydra.sweeper.sampler.name=bayes"], "Unknown sampler 'bayes'"),
        (["model=binary_mlp", "data=mnist_5k"], "takes 100 features"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, args, expected):
    multirun = args[:1] == ["-m"]
    proc = run_sweep(tmp_path, "model=quadratic" if "model=binary_mlp" not in args else "train.steps=5",
                     *args[multirun:], multirun=multirun, check=False)
    assert proc.returncode == 2, proc.stderr
    assert expected in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_unknown_optimizer_lists_the_known_ones(tmp_path):
    proc = run_sweep(tmp_path, "optimizer=nope", multirun=False, check=False)
    assert proc.returncode != 0
    assert "Could not find 'optimizer/nope'" in proc.stderr and "rmsprop_graves" in proc.stderr


def test_a_job_folder_that_cannot_be_made_is_one_paragraph_and_its_trials_are_requeued(tmp_path):
    """A 300-byte job folder name (past the 255 bytes a name may have): the launch fails with
    ENAMETOOLONG. The paragraph names the file and the reason; the batch is re-queued, not lost."""
    from optuna.trial import TrialState

    from support.workers import trials_of

    proc = run_sweep(tmp_path, "model=quadratic", "optimizer=sgd", "hydra.sweeper.n_trials=2",
                     "hydra.sweeper.report=false", f"hydra.sweep.subdir={'x' * 300}", check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert "Could not write" in proc.stderr and "ENAMETOOLONG" in proc.stderr and "x" * 300 in proc.stderr
    states = sorted(t.state for t in trials_of(f"sqlite:///{tmp_path}/optuna.db", "default.quadratic.sgd"))
    assert states.count(TrialState.FAIL) == states.count(TrialState.WAITING) > 0, "the batch failed and re-queued"
