"""File names of the report's figures, shared by the code that draws them and the text that links them."""

from __future__ import annotations

import re

IMPORTANCES = "importances.png"
OPTIMIZERS = "optimizers.png"
PER_VARIANT = ("sensitivity", "paired", "heatmap", "divergence", "speed", "budget")


def variant_file(kind: str, variant_name: str) -> str:
    """e.g. ``sensitivity_mnist_mlp-mnist_5k-rmsprop.png``; only [A-Za-z0-9_.-] in the name."""
    if kind not in PER_VARIANT:
        raise ValueError(f"kind must be one of {PER_VARIANT}, but got {kind=}.")
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", variant_name.replace("/", "-")).strip("-")
    return f"{kind}_{slug}.png"
