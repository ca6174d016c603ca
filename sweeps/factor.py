"""The factor a study's protocol compares (``hydra.sweeper.protocol.factor``), its reference value
and its name in a report.

A protocol asks "how sensitive is the optimizer to this hyperparameter?": the factor is a swept
``choice`` parameter, every value of it is compared with the ``reference`` value on the
confirmation runs. It defaults to γ (``optimizer.gamma``, reference 0.99, PyTorch's default);
``reference_gamma``, the key older presets and studies declare, means a γ reference.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

GAMMA = "optimizer.gamma"
DEFAULT_REFERENCE = 0.99
_LABELS = {"optimizer.gamma": "γ", "optimizer.beta1": "β1", "optimizer.momentum": "μ", "optimizer.eps": "ε",
           "optimizer.lr": "lr"}


def declared(protocol: Mapping | None) -> tuple[str, Any]:
    """``(factor, reference)`` of a declared protocol; a protocol without a factor compares γ."""
    protocol = protocol or {}
    factor = protocol.get("factor") or GAMMA
    reference = protocol.get("reference")
    if reference is None and factor == GAMMA:
        reference = protocol.get("reference_gamma", DEFAULT_REFERENCE)
    return factor, reference


def label(key: str) -> str:
    """The factor's name in a report: γ, β1, μ, ε, else the key's last part."""
    return _LABELS.get(key, key.rsplit(".", 1)[-1])


def column(key: str) -> str:
    """The factor's column in the analysis's trials table."""
    from sweeps.analysis.load import short_name

    return short_name(key)
