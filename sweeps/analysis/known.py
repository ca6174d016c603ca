"""Checks of the problems with a known answer against that answer: where Reddi's failure band
ends on the γ grid, SGD's analytic optimum on the rotated quadratic, and the lr spacing tried.

SGD on f = ½·Σ λᵢ·zᵢ² (z in the eigenbasis) multiplies each zᵢ by (1 − lr·λᵢ) a step. The rotated
quadratic 0.2u² + 4v² has λ = 0.4 and 8 at every angle (SGD does not see the rotation). The lr
minimising the slowest factor is lr* = 2/(λmin + λmax), where both factors are ρ = (κ − 1)/(κ + 1),
κ = λmax/λmin, so f − f* shrinks by exactly ρ² a step from any start, and the first step with
f − f* ≤ tol·(f₀ − f*) is k* = ⌈ln(tol)/(2·ln ρ)⌉.
"""

from __future__ import annotations

import math

import numpy as np

ROTATED_EIGENVALUES = (0.4, 8.0)   # the Hessian of 0.2u² + 4v² (models/problems.py)


def sgd_optimum(tolerance: float, eigenvalues: tuple[float, float] = ROTATED_EIGENVALUES) -> tuple[float, int]:
    """(lr*, steps to ``tolerance`` at lr*)."""
    lo, hi = min(eigenvalues), max(eigenvalues)
    rho = (hi / lo - 1) / (hi / lo + 1)
    return 2 / (lo + hi), math.ceil(math.log(tolerance) / (2 * math.log(rho)) - 1e-9)


def failure_edge(gammas: list[float], converged: list[bool]) -> tuple[float | None, float] | None:
    """(a, b): b the smallest γ whose best run converged, a the γ tried just below it (None when b
    is the smallest γ tried); None when no γ converged. The band's edge lies in (a, b]."""
    pairs = sorted(zip(gammas, converged))
    for i, (g, ok) in enumerate(pairs):
        if ok:
            return (pairs[i - 1][0] if i else None), g
    return None


def edge_sentence(gammas: list[float], converged: list[bool]) -> str:
    edge = failure_edge(gammas, converged)
    if edge is None:
        return "No γ tried converged: the failure band covers the whole γ grid."
    a, b = edge
    if a is None:
        return f"Every γ tried converged; the failure band's edge lies at or below γ = {b:g}."
    return (f"The failure band's edge lies in ({a:g}, {b:g}]: the best run fails at every γ tried up "
            f"to {a:g} and converges at γ = {b:g}.")


def spacing(lrs) -> str:
    """The lr values tried, as "n values in [a, b], k a decade" (k from the median log10 gap)."""
    v = np.unique(np.asarray([x for x in lrs if x and x > 0], float))
    if len(v) < 2:
        return f"{len(v)} lr value(s)"
    per_decade = 1 / float(np.median(np.diff(np.log10(v))))
    return f"{len(v)} lr values in [{v[0]:.3g}, {v[-1]:.3g}], {per_decade:.3g} a decade (median spacing)"
