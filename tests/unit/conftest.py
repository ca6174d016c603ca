"""Fixtures shared by unit test modules."""

import gc

import pytest


@pytest.fixture(scope="module")
def frozen_heap():
    """statsmodels' Holm adjustment calls ``gc.collect()`` on every call (~0.15 s with pandas and
    scipy loaded, 2 calls per study); freezing the heap already built makes that collection cheap."""
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()
