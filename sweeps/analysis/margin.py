"""The declared equivalence margin (``sweeps/checks/margin.py``) as a number in the test metric's
units, with the sentence that says how it was obtained."""

from __future__ import annotations

import math

import numpy as np

from sweeps.checks.margin import leaf


def resolve(spec, *, model: str | None, metric: str, reference_values) -> tuple[float, str]:
    """``(margin, rule)``: the margin for ``model``'s comparisons of ``metric``, and in words how it
    follows from ``spec``; NaN (with the reason) when it cannot be had.

    ``reference_values``: the reference's test values of runs that trained (for a relative margin).

    ``resolve({"relative": 0.01}, model="mlp", metric="test_loss", reference_values=[0.4, 0.5])``
    is about 0.0045, "1% of the reference's mean test_loss 0.45".
    """
    found = leaf(spec, model)
    if found is None:
        return math.nan, f"the protocol declares no margin for model {model!r} (and no default)"
    kind, value = found
    if kind == "absolute":
        return value, f"±{value:g} in {metric}"
    if kind == "points":
        if "accuracy" not in metric:
            return math.nan, f"a margin in accuracy points does not apply to {metric}"
        return value / 100, f"{value:g} accuracy point{'s' if value != 1 else ''}"
    ref = np.asarray(reference_values, dtype=float)
    ref = ref[np.isfinite(ref)]
    if ref.size == 0:
        return math.nan, (f"{value:.3g} of the reference's mean {metric}, but no reference run "
                          "trained")
    mean = float(np.mean(ref))
    return value * abs(mean), f"{value * 100:g}% of the reference's mean {metric} {mean:.3g}"
