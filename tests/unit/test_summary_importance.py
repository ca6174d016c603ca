"""The per-task sentence's importance clause: a swept seed is named as noise, not as a hyperparameter."""

import pandas as pd

from sweeps.analysis.summary import _importance_clause


def _imp(params: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"study": "s", "evaluator": "fANOVA", "param": p, "importance": v, "reason": None}
                         for p, v in params.items()])


def test_a_swept_seed_reads_as_seed_noise():
    clause = _importance_clause(_imp({"gamma": 0.67, "lr": 0.16, "seed": 0.17}), "s")
    assert clause == " γ's importance: fANOVA 0.67 (lr 0.16, seed noise 0.17)."


def test_without_a_seed_the_clause_names_the_hyperparameters():
    assert _importance_clause(_imp({"gamma": 0.5, "lr": 0.5}), "s") == " γ's importance: fANOVA 0.50 (lr 0.50)."
