"""Slow analyses on two processes: the same results, in the order asked, as one core gives."""

import optuna
import pandas as pd

from support.synthetic import GAMMAS, LRS, gamma_strong, grid, lr_only, make_study
from sweeps.analysis import importances, load_family, load_studies
from sweeps.analysis import two_cores

CELL = {"model": "mnist_mlp", "data": "mnist_5k", "optimizer": "rmsprop"}


def test_jobs_worth_two_processes_come_back_in_the_order_asked():
    jobs = [(2, 3), (3, 2), (5, 1), (7, 0)]
    # the estimates put the last job first on the workers
    assert two_cores.starmap(pow, jobs, [1.0, 2.0, 3.0, two_cores.WORTH]) == [8, 9, 5, 1]


def test_importances_on_two_processes_equal_those_on_one():
    storage = optuna.storages.InMemoryStorage()
    for family, objective in (("a", lr_only), ("b", gamma_strong)):
        make_study(storage, family, CELL, grid(lr=LRS, gamma=GAMMAS), objective)
    jobs = []
    for family in ("a", "b"):
        s = load_studies(storage, family).iloc[0]
        jobs.append((load_family(storage, family), s["distributions"], s["direction"]))
    serial = two_cores.starmap(importances, jobs, [0.0, 0.0])
    both = two_cores.starmap(importances, jobs, [two_cores.WORTH, two_cores.WORTH])
    for one, two in zip(serial, both, strict=True):
        pd.testing.assert_frame_equal(one, two)
    assert serial[0]["study"].iloc[0] != serial[1]["study"].iloc[0]
