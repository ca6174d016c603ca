"""The factor a study's protocol compares (``hydra.sweeper.protocol.factor``), its reference value,
its column and name in a report, and the scale its values are drawn and binned on.

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
# Coefficients of an exponential average (memory 1/(1 − x) steps): drawn on −log10(1 − x), binned
# by points.GAMMA_EDGES. Adam's β2 is its ``gamma``.
_MEMORY = {"optimizer.gamma", "optimizer.beta1", "optimizer.beta2", "optimizer.momentum"}
_LOG = {"optimizer.lr", "optimizer.eps"}
# What tuning the factor is measured against (Tunability): the libraries' defaults of γ, else the
# protocol's reference value.
GAMMA_DEFAULTS = {"PyTorch": 0.99, "Keras": 0.9}


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


def scale(key: str) -> str:
    """How the factor's values are spaced: ``memory`` (−log10(1 − x), an average's coefficient),
    ``log`` (lr, ε) or ``linear``."""
    return "memory" if key in _MEMORY else "log" if key in _LOG else "linear"


def is_gamma(key: str) -> bool:
    """Whether the factor is γ, the square average's coefficient: the sections about γ itself
    (γ = 1, the rising schedule, lr_max against 1 − γ, Reddi's threshold) need it swept."""
    return key == GAMMA


def defaults(key: str, reference: Any) -> dict[str, float]:
    """The defaults tuning the factor is measured against: PyTorch's and Keras' γ, else the
    protocol's reference (``{"reference": 0.9}``)."""
    if is_gamma(key):
        return dict(GAMMA_DEFAULTS)
    return {"reference": float(reference)} if isinstance(reference, (int, float)) else {}


def proper(key: str, values):
    """Which ``values`` (a Series) are ordinary points of the curve: on a memory scale those
    below 1 (an average; x = 1 never forgets its start), every value on another scale."""
    return values < 1.0 if scale(key) == "memory" else values.notna()
