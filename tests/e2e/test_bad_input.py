"""The bad-input rule, as a table: every value a user controls that is wrong gets one paragraph on
stderr naming it, exit code 2 and no traceback, before any trial runs and before any study, MLflow
experiment or parent run exists (``python sweep.py`` as a real subprocess, as a user runs it).

The rows run four at a time in one module fixture (each is a Python start-up, ~3 s of imports,
and fails before training); each test then reads its row's result.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from support.servers import free_port
from support.sweep_runner import ROOT, tiny

pytestmark = pytest.mark.slow   # ~85 Python start-ups in the module fixture, four at a time

BASE = ["model=quadratic", "optimizer=sgd", "hydra.sweeper.n_trials=1"]


def _corrupt_optuna_db(out: Path) -> None:
    """A real study with trials, then garbage over the pages after the first two."""
    import optuna

    storage = optuna.storages.RDBStorage(f"sqlite:///{out}/optuna.db")
    study = optuna.create_study(study_name="default.quadratic.sgd", storage=storage)
    for i in range(30):
        study.enqueue_trial({"x": i}, user_attrs={"pad": "x" * 500})
    storage.engine.dispose()
    db = out / "optuna.db"
    # a rollback-journal file whatever this process set before (sweeps.storages.sqlite_wal switches every
    # SQLite connection of a process to WAL, and a WAL database grows -wal/-shm files when read)
    with contextlib.closing(sqlite3.connect(db)) as con:
        con.execute("PRAGMA journal_mode=DELETE")
    data = bytearray(db.read_bytes())
    page = 4096
    data[2 * page: len(data) - page] = b"\xa5" * (len(data) - 3 * page)
    db.write_bytes(bytes(data))


def _corrupt_mlflow_db(out: Path) -> None:
    (out / "mlflow.db").write_bytes(b"this is not a database\n" * 200)


def _not_sqlite_optuna_db(out: Path) -> None:
    (out / "optuna.db").write_text("hello\n")


def _foreign(name: str):
    """Another program's SQLite database under the store's name: valid, with tables of its own."""
    def setup(out: Path) -> None:
        with contextlib.closing(sqlite3.connect(out / name)) as con:
            con.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
            con.execute("INSERT INTO invoices VALUES (1, 9.5)")
            con.commit()
    return setup


def _newer_mlflow_db(out: Path) -> None:
    """An MLflow store as this MLflow makes it, then stamped with a revision it does not know."""
    from sweeps.tracking import template

    template.seed(out / "mlflow.db")
    with contextlib.closing(sqlite3.connect(out / "mlflow.db")) as con:
        con.execute("UPDATE alembic_version SET version_num = 'ffffffffffff'")
        con.commit()
        con.execute("PRAGMA journal_mode=DELETE")   # no -wal/-shm files to compare


_HOLD = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(120)
"""
_HOLDERS: list[subprocess.Popen] = []   # ended when the table has run


def _locked_optuna_db(out: Path) -> None:
    """A sound Optuna storage that another process holds with BEGIN EXCLUSIVE (as `sqlite3` would)
    for longer than the sweep's check waits (stores.LOCK_WAIT, 10 s). Another process: a lock of
    this one would go with the first close of the file here (POSIX locks are per process)."""
    import optuna

    storage = optuna.storages.RDBStorage(f"sqlite:///{out}/optuna.db")
    optuna.create_study(study_name="default.quadratic.sgd", storage=storage)
    storage.engine.dispose()
    with contextlib.closing(sqlite3.connect(out / "optuna.db")) as con:
        con.execute("PRAGMA journal_mode=DELETE")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD, str(out / "optuna.db")], stdout=subprocess.PIPE, text=True)
    _HOLDERS.append(holder)
    assert holder.stdout.readline().strip() == "locked"


_PORT = free_port()   # nothing listens: the server is unreachable
_LONG = "x" * 220     # a split value that makes a study name longer than checks.MAX_NAME (200)

# (id, arguments, what stderr must name, setup, multirun)
ROWS = [
    # Hydra's own errors: unknown option of a group, unknown key, unparsable override
    ("unknown-optimizer", ["optimizer=adamw"], ["'adamw'", "rmsprop_graves"], None, True),
    ("unknown-model", ["model=resnet"], ["'resnet'", "binary_mlp"], None, True),
    ("unknown-data", ["data=cifar"], ["'cifar'", "mnist_5k"], None, True),
    ("misspelled-key", ["train.batchsize=3"], ["train.batchsize"], None, True),
    ("misspelled-group-key", ["optimizer.gama=0.5"], ["optimizer.gama"], None, True),
    ("unparsable-override", ["optimizer.lr=interval(1"], ["optimizer.lr=interval(1"], None, True),
    ("appended-unknown-train-key", ["+train.lr_decay=0.1"], ["train.lr_decay"], None, True),
    # training settings, checked once before any study
    ("batch-size-0", ["train.batch_size=0"], ["train.batch_size=0"], None, True),
    ("steps-negative", ["train.steps=-5"], ["train.steps=-5"], None, True),
    ("steps-0", ["train.steps=0"], ["train.steps=0"], None, True),
    ("steps-float", ["train.steps=2.5"], ["train.steps=2.5"], None, True),
    ("divergence-negative", ["train.divergence_factor=-1"], ["train.divergence_factor=-1"], None, True),
    ("divergence-1", ["train.divergence_factor=1"], ["train.divergence_factor=1"], None, True),
    ("eval-every-0", ["train.eval_every=0"], ["train.eval_every=0"], None, True),
    ("eval-subset-0", ["train.eval_subset=0"], ["train.eval_subset=0"], None, True),
    ("dtype-float16", ["train.dtype=float16"], ["float16", "float64"], None, True),
    ("seed-negative", ["train.seed=-1"], ["train.seed=-1"], None, True),
    ("metric-test", ["optimized_metric=test_loss"], ["test_loss", "val_loss"], None, True),
    ("n-val-0", ["model=binary_mlp", "data.options.n_val=0"], ["n_val=0"], None, True),
    ("n-val-huge", ["model=binary_mlp", "data.options.n_val=1000000000"], ["10,000,000"], None, True),
    # the sweeper's options
    ("n-jobs-0", ["hydra.sweeper.n_jobs=0"], ["n_jobs=0"], None, True),
    ("n-trials-0", ["hydra.sweeper.n_trials=0"], ["n_trials=0"], None, True),
    ("n-trials-negative", ["hydra.sweeper.n_trials=-3"], ["n_trials=-3"], None, True),
    ("n-trials-text", ["hydra.sweeper.n_trials=many"], ["n_trials='many'"], None, True),
    ("max-trials-negative", ["hydra.sweeper.max_trials=-1"], ["max_trials=-1"], None, True),
    ("grid-points-0", ["hydra.sweeper.sampler.name=grid", "hydra.sweeper.grid_points=0"],
     ["grid_points=0"], None, True),
    ("heartbeat-0", ["hydra.sweeper.heartbeat_interval=0"], ["heartbeat_interval=0"], None, True),
    ("grace-below-heartbeat", ["hydra.sweeper.grace_period=5"], ["grace_period=5"], None, True),
    ("retries-negative", ["hydra.sweeper.retry_failed_trials=-1"], ["retry_failed_trials=-1"], None, True),
    ("failure-rate-2", ["hydra.sweeper.max_failure_rate=2"], ["max_failure_rate=2"], None, True),
    ("direction", ["hydra.sweeper.direction=up"], ["'up'", "minimize"], None, True),
    ("seeds-negative", ["hydra.sweeper.seeds.n=-1"], ["seeds.n=-1"], None, True),
    ("margin-0", ["hydra.sweeper.protocol.margin=0"], ["protocol.margin=0"], None, True),
    ("alpha-1", ["hydra.sweeper.protocol.alpha=1"], ["protocol.alpha=1"], None, True),
    # names that become paths, filter strings and MLflow experiments
    ("study-name-quote", ['hydra.sweeper.study_name="it\'s"'], ["it's", "A-Z"], None, True),
    ("study-name-escape", ["hydra.sweeper.study_name=../../escape"], ["../../escape", "A-Z"], None, True),
    ("study-name-slash", ["hydra.sweeper.study_name=a/b"], ["a/b"], None, True),
    ("study-name-300", ["hydra.sweeper.study_name=" + "a" * 300], ["300 characters", "at most 200"], None, True),
    ("study-name-empty", ["hydra.sweeper.study_name=''"], ["study_name=''"], None, True),
    ("split-by-value-slash", ["hydra.sweeper.split_by=[mlflow.artifact_location]",
                              "mlflow.artifact_location=choice(a/b,c/d)"], ["'a/b'", "split_by"], None, True),
    ("split-by-experiment-escape", ["hydra.sweeper.split_by=[mlflow.experiment_name]",
                                    "mlflow.experiment_name=choice(../../x,y)"], ["../../x"], None, True),
    ("split-by-long-name", ["hydra.sweeper.split_by=[mlflow.experiment_name]",
                            f"mlflow.experiment_name=choice({_LONG},y)"], ["at most 200"], None, True),
    ("experiment-empty", ["mlflow.experiment_name=''"], ["experiment_name=''"], None, True),
    ("experiment-escape", ["mlflow.experiment_name=../../escape"], ["'../../escape'"], None, True),
    ("experiment-absolute", ["mlflow.experiment_name=/tmp/escape"], ["'/tmp/escape'"], None, True),
    # the sampler's and pruner's options, against their constructors
    ("sampler-seed-text", ["hydra.sweeper.sampler.seed=abc"], ["sampler.seed='abc'"], None, True),
    ("sampler-unknown-option", ["+hydra.sweeper.sampler.foo=1"], ["sampler.foo", "tpe"], None, True),
    ("random-unknown-option", ["hydra.sweeper.sampler.name=random", "+hydra.sweeper.sampler.foo=1"],
     ["sampler.foo", "random"], None, True),
    ("pruner-warmup-negative", ["hydra.sweeper.pruner.n_warmup_steps=-1"], ["n_warmup_steps=-1"], None, True),
    # more of the sweeper's options
    ("unknown-sweeper-option", ["+hydra.sweeper.nope=1"], ["hydra.sweeper.nope"], None, True),
    ("report-text", ["hydra.sweeper.report=maybe"], ["report='maybe'"], None, True),
    ("lr-max-rounds-negative", ["hydra.sweeper.lr_max.rounds=-1"], ["lr_max.rounds=-1"], None, True),
    ("split-by-unknown-key", ["hydra.sweeper.split_by=[train.nope]"], ["'train.nope'"], None, True),
    ("seeds-per-unknown-key", ["hydra.sweeper.seeds.n=1", "hydra.sweeper.seeds.per=[optimizer.nope]"],
     ["'optimizer.nope'"], None, True),
    ("seeds-tune-without-grid", ["hydra.sweeper.seeds.tune=3"], ["seeds.tune=3 needs the grid sampler"], None, True),
    ("protocol-factor-not-swept", ["optimizer=adam", "hydra.sweeper.seeds.n=1", "hydra.sweeper.protocol.factor=optimizer.beta1",
                                   "hydra.sweeper.protocol.reference=0.9"], ["protocol.factor is 'optimizer.beta1'"], None, True),
    # training settings no run could carry out
    ("steps-huge", ["train.steps=1000000000000"], ["train.steps=1000000000000", "1,000,000,000"], None, True),
    ("eval-every-above-steps", ["train.eval_every=1000"], ["eval_every=1000", "train.steps=20"], None, True),
    ("divergence-inf", ["train.divergence_factor=inf"], ["divergence_factor=inf"], None, True),
    ("batch-above-training-set", ["model=binary_mlp", "train.batch_size=100000"],
     ["batch_size=100000", "at most 10000"], None, True),
    ("swept-steps-huge", ["train.steps=choice(20,1000000000000)"], ["train.steps", "1000000000000"], None, True),
    ("swept-batch-above-training-set", ["model=binary_mlp", "train.batch_size=choice(64,100000)"],
     ["train.batch_size", "100000", "at most 10000"], None, True),
    # where things are written and read
    ("storage-in-memory", ["hydra.sweeper.storage=sqlite:///:memory:"], [":memory:", "in-memory"], None, True),
    ("storage-sqlite-no-path", ["hydra.sweeper.storage=sqlite://"], ["'sqlite://'"], None, True),
    ("mlflow-in-memory", ["mlflow.tracking_uri=sqlite:///:memory:"], [":memory:", "in-memory"], None, True),
    ("optuna-db-of-another-program", [], ["optuna.db", "invoices"], _foreign("optuna.db"), True),
    ("mlflow-db-of-another-program", [], ["mlflow.db", "invoices"], _foreign("mlflow.db"), True),
    ("mlflow-db-newer-schema", [], ["'ffffffffffff'", "newer MLflow"], _newer_mlflow_db, True),
    ("optuna-db-locked", [], ["optuna.db", "locked by another process", "10 s"], _locked_optuna_db, True),
    ("mlflow-file-store", ["mlflow.tracking_uri=file:./mlruns"], ["file:./mlruns", "MLFLOW_ALLOW_FILE_STORE"],
     None, True),
    ("log-curve-text", ["mlflow.log_curve_png=maybe"], ["log_curve_png='maybe'"], None, True),
    ("artifact-location-unwritable", ["mlflow.artifact_location=/proc/gammasweep"], ["/proc/gammasweep"],
     None, True),
    ("output-dir-unwritable", ["output_dir=/proc/gammasweep"], ["/proc/gammasweep"], None, True),
    ("storage-unwritable", ["hydra.sweeper.storage=sqlite:////proc/gammasweep/optuna.db"],
     ["/proc/gammasweep"], None, True),
    ("storage-nonsense", ["hydra.sweeper.storage=nonsense"], ["'nonsense'"], None, True),
    ("optuna-db-corrupted", [], ["optuna.db", "not a usable SQLite database"], _corrupt_optuna_db, True),
    ("optuna-db-not-sqlite", [], ["optuna.db", "not a usable SQLite database"], _not_sqlite_optuna_db, True),
    ("mlflow-db-corrupted", [], ["mlflow.db", "not a usable SQLite database"], _corrupt_mlflow_db, True),
    ("mlflow-password-unreachable", [f"mlflow.tracking_uri=http://alice:s3cret@127.0.0.1:{_PORT}"],
     [f"http://alice:***@127.0.0.1:{_PORT}", "refused"], None, True),
    ("mlflow-unknown-scheme", ["mlflow.tracking_uri=ftp://alice:s3cret@127.0.0.1/x"],
     ["ftp://alice:***@127.0.0.1/x", "http://"], None, True),
    # the single-run path
    ("run-unknown-optimizer", ["optimizer=adamw"], ["'adamw'", "rmsprop_graves"], None, False),
    ("run-misspelled-key", ["train.batchsize=3"], ["train.batchsize"], None, False),
    ("run-steps-0", ["train.steps=0"], ["train.steps=0"], None, False),
    ("run-batch-size-0", ["train.batch_size=0"], ["train.batch_size=0"], None, False),
    ("run-mlflow-db-corrupted", [], ["mlflow.db", "not a usable SQLite database"], _corrupt_mlflow_db, False),
    ("run-steps-huge", ["train.steps=1000000000000"], ["train.steps=1000000000000"], None, False),
    ("run-batch-above-training-set", ["model=binary_mlp", "train.batch_size=100000"], ["batch_size=100000"],
     None, False),
    ("run-experiment-escape", ["mlflow.experiment_name=../../escape"], ["'../../escape'"], None, False),
    ("run-mlflow-in-memory", ["mlflow.tracking_uri=sqlite:///:memory:"], [":memory:"], None, False),
    ("run-mlflow-db-of-another-program", [], ["mlflow.db", "invoices"], _foreign("mlflow.db"), False),
]


def _run(out: Path, args: list[str], setup, multirun: bool) -> dict:
    out.mkdir(parents=True)
    if setup is not None:
        setup(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    given = {a.split("=")[0].lstrip("+") for a in args}
    base = [a for a in BASE if a.split("=")[0] not in given] + tiny([a.lstrip("+") for a in args])
    if not any(a.startswith("output_dir=") for a in args):
        base.insert(0, f"output_dir={out}")
    cmd = [sys.executable, str(ROOT / "sweep.py"), *(["-m"] if multirun else []), *base, *args]
    env = dict(os.environ, HYDRA_FULL_ERROR="0", PYTHONWARNINGS="ignore")
    try:
        proc = subprocess.run(cmd, cwd=out, capture_output=True, text=True, env=env, timeout=90)
    except subprocess.TimeoutExpired as e:   # reported by the row's test, not by the fixture
        proc = subprocess.CompletedProcess(cmd, "timeout", str(e.stdout), f"timed out after 90 s: {e.stderr}")
    after = {p.name: (p.read_bytes() if p.is_file() else None) for p in out.iterdir()}
    return {"proc": proc, "before": before, "after": after}


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("bad_input")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            futures = {row[0]: pool.submit(_run, root / row[0], row[1], row[3], row[4]) for row in ROWS}
            return {name: f.result() for name, f in futures.items()}
    finally:
        for holder in _HOLDERS:
            holder.kill()
            holder.wait()


@pytest.mark.parametrize("name, args, named, setup, multirun", ROWS, ids=[r[0] for r in ROWS])
def test_bad_input_is_one_paragraph_exit_2_and_writes_nothing(results, name, args, named, setup, multirun):
    r = results[name]
    proc = r["proc"]
    shown = f"stdout:\n{proc.stdout[-2000:]}\nstderr:\n{proc.stderr[-3000:]}"
    assert proc.returncode == 2, shown
    assert "Traceback" not in proc.stdout + proc.stderr, shown
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gammasweep: error: "), shown
    for text in named:
        assert text in lines[0], shown
    assert "s3cret" not in proc.stdout + proc.stderr
    # Nothing written: the files the row put there are unchanged; a single run may leave only
    # Hydra's job folder (runs/), never a study or an MLflow store.
    for file, content in r["before"].items():
        assert r["after"].get(file) == content, f"{file} changed"
    new = set(r["after"]) - set(r["before"])
    assert new <= (set() if multirun else {"runs"}), new


def test_the_table_covers_the_issue(results):
    assert len(ROWS) >= 80
