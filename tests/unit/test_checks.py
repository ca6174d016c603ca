"""The bad-input checks (``sweeps.checks``, ``sweeps.samplers``) on the values a user can type:
each bad one is a SweepError naming it, raised before anything exists, and every SQLite file it
looks at is left byte for byte as it was. The same cases run end to end in tests/e2e/test_bad_input.py."""

from __future__ import annotations

import contextlib
import hashlib
import math
import sqlite3
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import optuna
import pytest
from omegaconf import OmegaConf

from sweeps import checks, samplers
from sweeps.checks import stores
from sweeps.errors import SweepError
from sweeps.tracking import template as mlflow_template
from sweeps.tracking.runs import _artifact_uri

ROOT = Path(__file__).resolve().parents[2]
SWEEPER = OmegaConf.load(ROOT / "conf/hydra/sweeper/gammasweep.yaml")


def _train(**changes):
    base = OmegaConf.load(ROOT / "conf/config.yaml").train
    return OmegaConf.create({"train": {**OmegaConf.to_container(base), **changes}, "data": {"name": "d"}})


# names ---------------------------------------------------------------------------------------------

def test_a_study_name_holds_at_most_200_bytes():
    checks.check_study_name("a" * checks.MAX_NAME)
    with pytest.raises(SweepError, match=r"201 characters, and at most 200"):
        checks.check_study_name("a" * (checks.MAX_NAME + 1))


@pytest.mark.parametrize("name", ["", "a/b", "../x", ".hidden", "a..b", "it's", "a b", None, 3])
def test_a_bad_study_name_is_refused(name):
    with pytest.raises(SweepError, match="hydra.sweeper.study_name"):
        checks.check_study_name(name)


def test_a_derived_study_name_names_the_values_it_was_made_from():
    checks.check_derived_name("fam.quadratic.sgd.initial_square_avg=1.0", {"x": 1.0})
    with pytest.raises(SweepError, match=r"mlflow.experiment_name='\.\./x'.*split_by"):
        checks.check_derived_name("fam.quadratic.sgd.experiment_name=../x", {"mlflow.experiment_name": "../x"})
    with pytest.raises(SweepError, match="at most 200"):
        checks.check_derived_name("fam." + "x" * 200, {"k": "x" * 200})


@pytest.mark.parametrize("name", ["", "  ", ".", "..", "../escape", "/tmp/escape", "a/b", "a\\b", "x\n", "é" * 128])
def test_a_bad_experiment_name_is_refused(name):
    with pytest.raises(SweepError, match="mlflow.experiment_name"):
        checks.check_experiment_name(name)


@pytest.mark.parametrize("name", ["..", "../x", "/tmp/x", "a/b"])
def test_the_artifact_folder_of_an_experiment_stays_in_the_artifact_location(tmp_path, name):
    assert _artifact_uri(f"sqlite:///{tmp_path}/mlflow.db", None, "gammasweep-x") == \
        (tmp_path / "mlartifacts" / "gammasweep-x").as_uri()
    with pytest.raises(SweepError, match="would not be a folder of the artifact location"):
        _artifact_uri(f"sqlite:///{tmp_path}/mlflow.db", None, name)


# training -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, named", [
    ({"steps": 10**12}, "at most 1,000,000,000"),
    ({"steps": 20, "eval_every": 50}, "eval_every=50"),
    ({"divergence_factor": float("inf")}, "divergence_factor=inf"),
])
def test_training_settings_out_of_range(changes, named):
    checks.check_training(_train(steps=10**9))
    with pytest.raises(SweepError, match=named):
        checks.check_training(_train(**changes))


@pytest.mark.parametrize("warmup, named", [(-1, "an integer >= 0"), (2.5, "an integer >= 0"),
                                           (True, "an integer >= 0"), (21, "at most train.steps=20")])
def test_a_warmup_is_whole_steps_within_the_run(warmup, named):
    cfg = _train(steps=20, eval_every=10)
    cfg.optimizer = {"name": "rmsprop", "lr_warmup": 20}
    checks.check_training(cfg)
    cfg.optimizer.lr_warmup = warmup
    with pytest.raises(SweepError, match=rf"optimizer.lr_warmup={warmup!r} is not allowed.*{named}"):
        checks.check_training(cfg)


def test_a_batch_holds_at_most_the_training_set():
    data = SimpleNamespace(x_train=np.zeros((300, 2)))
    checks.check_batch_size(_train(batch_size=300), data)
    checks.check_batch_size(_train(batch_size=10**6), None)   # a problem draws any batch
    with pytest.raises(SweepError, match=r"train.batch_size=301.*at most 300"):
        checks.check_batch_size(_train(batch_size=301), data)


def test_a_swept_value_is_held_to_the_upper_limits_only():
    """Above them no trial could finish; under the lower ones a trial fails and is recorded."""
    data = SimpleNamespace(x_train=np.zeros((300, 2)))
    checks.check_limits(_train(batch_size=0, steps=10**9), data)
    with pytest.raises(SweepError, match="train.steps=1000000001"):
        checks.check_limits(_train(steps=10**9 + 1), data)
    with pytest.raises(SweepError, match="train.batch_size=301"):
        checks.check_limits(_train(batch_size=301), data)


# the sweeper's options -----------------------------------------------------------------------------

def test_the_known_sweeper_options_are_the_configs():
    assert set(checks.SWEEPER_KEYS) == set(SWEEPER) - {"_target_"}


@pytest.mark.parametrize("change, named", [
    ({"nope": 1}, "hydra.sweeper.nope"),
    ({"report": "maybe"}, "report='maybe'"),
    ({"fail_on_change": "yes"}, "fail_on_change='yes'"),
    ({"split_by": "abc"}, "split_by='abc'"),
    ({"lr_max": {"rounds": -1}}, "lr_max.rounds=-1"),
    ({"lr_max": {"resolution": 0}}, "lr_max.resolution=0"),
    ({"sampler": {"seed": "abc"}}, "sampler.seed='abc'"),
    ({"sampler": {"seed": 2.5}}, "sampler.seed=2.5"),
    ({"sampler": {"foo": 1}}, "sampler.foo is not an option of the tpe sampler"),
    ({"sampler": {"n_startup_trials": -1}}, "sampler.n_startup_trials=-1"),
    ({"sampler": {"multivariate": "yes"}}, "sampler.multivariate='yes'"),
    ({"sampler": {"name": "random", "foo": 1}}, "sampler.foo is not an option of the random sampler"),
    ({"sampler": {"name": "bogus"}}, "Unknown sampler 'bogus'"),
    ({"pruner": {"n_warmup_steps": -1}}, "pruner.n_warmup_steps=-1"),
    ({"pruner": {"n_startup_trials": "abc"}}, "pruner.n_startup_trials='abc'"),
    ({"pruner": {"foo": 1}}, "pruner.foo is not an option of the median pruner"),
    ({"pruner": {"name": "bogus"}}, "Unknown pruner 'bogus'"),
    ({"protocol": {"margin": 0}}, "protocol.margin=0"),
    ({"protocol": {"margin": {"relative": -0.01}}}, "protocol.margin={'relative': -0.01}"),
    ({"protocol": {"margin": {"percent": 1}}}, "protocol.margin={'percent': 1}"),
    ({"protocol": {"margin": {"mnist_mlp": {"relative": 0.01}}}}, "protocol.margin={'mnist_mlp'"),
    ({"protocol": {"margin": {"by_model": {"mnist_mlp": {"relative": 0.01, "points": 1}}}}}, "by_model"),
])
def test_a_bad_sweeper_option_is_refused_naming_it(change, named):
    checks.check_sweeper(SWEEPER)
    with pytest.raises(SweepError) as e:
        checks.check_sweeper(OmegaConf.merge(SWEEPER, change))
    assert named in str(e.value)


@pytest.mark.parametrize("margin", [0.01, {"absolute": 0.01}, {"relative": 0.01}, {"points": 1},
                                    {"by_model": {"mnist_mlp": {"relative": 0.01}, "noisy_quadratic": 0.0005,
                                                  "default": 0.01}}])
def test_a_margin_is_absolute_relative_or_in_points_and_may_be_per_model(margin):
    checks.check_sweeper(OmegaConf.merge(SWEEPER, {"protocol": {"margin": None}}, {"protocol": {"margin": margin}}))


def test_a_declared_margin_resolves_per_model_against_the_reference():
    from sweeps.analysis.margin import resolve

    spec = {"by_model": {"mnist_mlp": {"relative": 0.01}, "binary_mlp": {"points": 1}, "default": 0.002}}
    assert resolve(spec, model="mnist_mlp", metric="test_loss", reference_values=[0.4, 0.5])[0] \
        == pytest.approx(0.0045)
    assert resolve(spec, model="binary_mlp", metric="test_accuracy", reference_values=[])[0] == pytest.approx(0.01)
    assert resolve(spec, model="reddi", metric="test_loss", reference_values=[])[0] == 0.002
    margin, why = resolve({"relative": 0.01}, model=None, metric="test_loss", reference_values=[])
    assert math.isnan(margin) and "no reference run trained" in why
    margin, why = resolve({"points": 1}, model=None, metric="test_loss", reference_values=[1.0])
    assert math.isnan(margin) and "does not apply to test_loss" in why


@pytest.mark.parametrize("name", samplers.SAMPLERS)
def test_every_sampler_is_built_from_the_default_options(name):
    cfg = dict(SWEEPER.sampler, name=name)
    space = {"x": optuna.distributions.FloatDistribution(0.1, 1.0)}
    sampler = samplers.make_sampler(cfg, space, 3, 0, "fam.a.b")
    assert isinstance(sampler, optuna.samplers.BaseSampler)


# stores --------------------------------------------------------------------------------------------

def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha1(p.read_bytes()).hexdigest() for p in folder.iterdir()}


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "sqlite://", "sqlite:///file::memory:?cache=shared"])
@pytest.mark.parametrize("setting", ["hydra.sweeper.storage", "mlflow.tracking_uri"])
def test_an_in_memory_database_is_refused(url, setting):
    check = checks.check_storage_url if setting == "hydra.sweeper.storage" else checks.check_tracking_uri
    with pytest.raises(SweepError, match=setting):
        check(url)


@pytest.mark.parametrize("setting", ["hydra.sweeper.storage", "mlflow.tracking_uri"])
def test_another_programs_database_is_refused_and_left_unchanged(tmp_path, setting):
    db = tmp_path / "store.db"
    with contextlib.closing(sqlite3.connect(db)) as con:
        con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        con.commit()
    before = _digest(tmp_path)
    with pytest.raises(SweepError, match=r"another program \(its tables: invoices\)"):
        checks.check_sqlite(f"sqlite:///{db}", setting)
    assert _digest(tmp_path) == before


def test_an_optuna_storage_passes(tmp_path):
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/optuna.db")
    optuna.create_study(study_name="s", storage=storage)
    storage.engine.dispose()
    checks.check_sqlite(f"sqlite:///{tmp_path}/optuna.db", "hydra.sweeper.storage")


def test_an_mlflow_store_of_a_newer_mlflow_is_refused_naming_both_revisions(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "out" / "mlflow.db"
    db.parent.mkdir()
    mlflow_template.seed(db)
    checks.check_sqlite(f"sqlite:///{db}", "mlflow.tracking_uri")   # this MLflow's own: fine
    with contextlib.closing(sqlite3.connect(db)) as con, con:
        con.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
    before = db.read_bytes()
    with pytest.raises(SweepError) as e:
        checks.check_sqlite(f"sqlite:///{db}", "mlflow.tracking_uri")
    from sweeps.adapters import mlflow_private

    assert "'ffffffffffff'" in str(e.value) and repr(mlflow_private.schema_revisions()[0]) in str(e.value)
    # the database byte for byte (a reader of a WAL database may leave SQLite's empty -wal/-shm files)
    assert db.read_bytes() == before


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_locked_database_is_called_locked_after_a_bounded_wait(tmp_path, monkeypatch, journal):
    monkeypatch.setattr(stores, "LOCK_WAIT", 0.2)
    storage = optuna.storages.RDBStorage(f"sqlite:///{tmp_path}/optuna.db")
    optuna.create_study(study_name="s", storage=storage)
    storage.engine.dispose()
    with contextlib.closing(sqlite3.connect(tmp_path / "optuna.db")) as con:
        con.execute(f"PRAGMA journal_mode={journal}")
    before = _digest(tmp_path)
    holder = sqlite3.connect(tmp_path / "optuna.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")   # as `sqlite3 optuna.db` would, in another process
    try:
        with pytest.raises(SweepError, match=r"locked by another process.*0.2 s"):
            checks.check_sqlite(f"sqlite:///{tmp_path}/optuna.db", "hydra.sweeper.storage")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _digest(tmp_path) == before


@pytest.mark.parametrize("path", ["", "  ", None])
def test_an_empty_output_dir_is_refused_before_a_store_lands_at_the_root(path):
    """``sqlite:///${output_dir}/optuna.db`` with an empty output_dir is /optuna.db."""
    with pytest.raises(SweepError, match="output_dir=.* must name a folder"):
        checks.check_output_dir(path)


def test_a_file_store_is_refused_unless_mlflow_is_told_to_take_it(monkeypatch):
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    with pytest.raises(SweepError, match="MLFLOW_ALLOW_FILE_STORE=true"):
        checks.check_tracking_uri("file:./mlruns")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    checks.check_tracking_uri("file:./mlruns")
