"""The grid handed out by a counter the study keeps: every point once, across re-runs and workers.

Drives ``SharedStudy.ask`` (the sweeper's ask) on a real SQLite storage; each "worker" or "re-run"
opens its own RDBStorage and builds its own sampler, as a new process would.
"""

from __future__ import annotations

import functools

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.storages import RDBStorage
from optuna.trial import TrialState

from sweeps.samplers import EnumeratedGridSampler, make_sampler, study_seed
from sweeps.storages.shared_study import SharedStudy
from sweeps.study import remaining_budget

SPACE = {"optimizer.gamma": CategoricalDistribution([0.9, 0.99, 1.0]),
         "optimizer.lr": FloatDistribution(1e-3, 1e-1, log=True)}
POINTS = {(g, lr) for g in (0.9, 0.99, 1.0) for lr in (0.001, 0.01, 0.1)}   # grid_points=3


def worker(url: str, seed: int | None = 0) -> SharedStudy:
    """A fresh process's view: its own storage connection, sampler and SharedStudy."""
    study = optuna.load_study(study_name="g", storage=RDBStorage(url))
    study.sampler = make_sampler({"name": "grid", "seed": seed}, SPACE, 3, len(study.trials), "g")
    return SharedStudy(study, heartbeat_interval=None)


def run(w: SharedStudy, n_jobs: int, n_trials: int, max_trials: int | None = None, fail: set = frozenset()) -> list:
    """The sweeper's loop without Hydra: ask a batch, 'train' it, tell it; the points it ran."""
    launched, ran = 0, []
    while True:
        batch = w.ask(SPACE, n_jobs, functools.partial(remaining_budget, w.study, launched, n_trials, max_trials))
        if not batch.trials:
            return ran
        for t in batch.trials:
            point = (t.params["optimizer.gamma"], round(t.params["optimizer.lr"], 6))
            ran.append(point)
            w.study.tell(t, state=TrialState.FAIL) if point in fail else w.study.tell(t, 0.0)
        launched += len(batch.trials)


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path}/o.db"
    optuna.create_study(study_name="g", storage=url)
    return url


def test_the_grid_is_run_once_in_optunas_order_with_optunas_params(url):
    w = worker(url)
    ran = run(w, n_jobs=4, n_trials=100)
    assert sorted(ran) == sorted(POINTS)
    optunas = optuna.samplers.GridSampler(w.study.sampler._search_space, seed=study_seed(0, "g"))._all_grids
    trials = w.study.trials
    assert [t.system_attrs["grid_id"] for t in trials] == list(range(9))
    assert [tuple(t.params[k] for k in sorted(t.params)) for t in trials] == optunas[:9]
    assert all(t.distributions == {k: SPACE[k] for k in t.params} for t in trials)
    assert all(t.datetime_start is not None for t in trials)
    assert w.study.sampler.is_exhausted(w.study)


def test_a_rerun_continues_where_the_last_stopped(url):
    first = run(worker(url), n_jobs=2, n_trials=5)
    second = run(worker(url), n_jobs=2, n_trials=100)
    assert len(first) == 5 and len(second) == 4
    assert sorted(first + second) == sorted(POINTS)
    assert run(worker(url), n_jobs=2, n_trials=100) == []   # covered: nothing to add


def test_max_trials_caps_the_study_across_reruns(url):
    assert len(run(worker(url), n_jobs=4, n_trials=100, max_trials=3)) == 3
    assert len(run(worker(url), n_jobs=4, n_trials=100, max_trials=7)) == 4
    assert len(set(p for p in (tuple(t.params.values()) for t in optuna.load_study(
        study_name="g", storage=url).trials))) == 7


def test_interleaved_workers_never_run_the_same_point(url):
    a, b = worker(url), worker(url)
    ran, launched = [], {id(a): 0, id(b): 0}
    for _ in range(6):   # alternate batches, as two processes taking turns at the lock would
        for w in (a, b):
            batch = w.ask(SPACE, 1, lambda: 9 - len(w.study.get_trials(deepcopy=False)))
            for t in batch.trials:
                ran.append(tuple(t.params.values()))
                w.study.tell(t, 0.0)
    assert len(ran) == 9 and len(set(ran)) == 9


def test_a_failed_point_is_not_rerun_but_its_requeued_retry_is(url):
    fail = {(0.99, 0.01)}
    ran = run(worker(url), n_jobs=3, n_trials=100, fail=fail)
    assert sorted(ran) == sorted(POINTS)   # the failed point once, as Optuna's grid does
    study = optuna.load_study(study_name="g", storage=url)
    failed = next(t for t in study.trials if t.state == TrialState.FAIL)
    study.enqueue_trial(failed.params, user_attrs={"retry_of": failed.number})   # what a retry does
    again = run(worker(url), n_jobs=3, n_trials=100)
    assert again == [(0.99, 0.01)]


def test_a_study_begun_by_optunas_grid_sampler_is_taken_over_without_repeats(url):
    study = optuna.load_study(study_name="g", storage=url,
                              sampler=optuna.samplers.GridSampler(
                                  {k: sorted({p[i] for p in POINTS}) for i, k in enumerate(SPACE)}, seed=3))
    for _ in range(4):
        study.tell(study.ask(SPACE), 0.0)
    rest = run(worker(url, seed=None), n_jobs=2, n_trials=100)
    points = [tuple(t.params.values()) for t in optuna.load_study(study_name="g", storage=url).trials]
    assert len(rest) == 5 and len(set(points)) == 9


def test_the_grid_sampler_is_ours_for_any_seed():
    assert isinstance(make_sampler({"name": "grid", "seed": None}, SPACE, 3, 0), EnumeratedGridSampler)


def test_studies_sharing_a_space_and_a_seed_sample_different_points():
    """Four optimizers' studies of one family must not mirror each other's draws."""
    space = {"optimizer.lr": FloatDistribution(1e-4, 1.0, log=True)}
    firsts = {}
    for name in ("default.mnist_mlp.mnist_5k.adam", "default.mnist_mlp.mnist_5k.rmsprop"):
        study = optuna.create_study(sampler=make_sampler({"name": "tpe", "seed": 0}, space, 3, 0, name))
        firsts[name] = [study.ask(space).params["optimizer.lr"] for _ in range(3)]
    again = optuna.create_study(sampler=make_sampler({"name": "tpe", "seed": 0}, space, 3, 0,
                                                     "default.mnist_mlp.mnist_5k.adam"))
    assert firsts["default.mnist_mlp.mnist_5k.adam"] != firsts["default.mnist_mlp.mnist_5k.rmsprop"]
    assert [again.ask(space).params["optimizer.lr"] for _ in range(3)] == firsts["default.mnist_mlp.mnist_5k.adam"]
