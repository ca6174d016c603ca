"""The section with the 2-D paths (from the ``trajectories`` preset or any 2-D problem study)."""

from __future__ import annotations

from pathlib import Path

from ..figures.trajectories import trajectory_figure
from ..trajectories import best_paths
from ._markdown import image, missing


def trajectories_section(storage: str, family: str, out: Path) -> str:
    """Draws the figures into ``out`` and returns the markdown that shows them."""
    per_optimizer, per_gamma = best_paths(storage, family)
    if not per_optimizer:
        return "## Paths on the 2-D problems\n\n" + missing("trials of the 2-D problems", "trajectories")
    lines = ["## Paths on the 2-D problems\n",
             "Each optimizer's best run (lowest final f among runs that did not diverge, lr from "
             "the study's grid) from the textbook start, over the contour lines of f.\n"]
    for problem in sorted({p.problem for p in per_optimizer}):
        file = f"paths_{problem}.png"
        trajectory_figure(problem, [p for p in per_optimizer if p.problem == problem],
                          f"{problem}: best path per optimizer", out / file)
        lines.append(image(file, f"paths on {problem}"))
    for problem in sorted({p.problem for p in per_gamma}):
        file = f"paths_{problem}_rmsprop_gamma.png"
        trajectory_figure(problem, [p for p in per_gamma if p.problem == problem],
                          f"{problem}: RMSprop's best path per γ", out / file)
        lines.append(image(file, f"RMSprop paths per gamma on {problem}"))
    return "\n".join(lines) + "\n"
