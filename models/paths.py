"""The paths θ_0, θ_1, ... of the training loop's members on a 2-D problem (``trajectory``).

One (steps + 1, K, 2) float64 array for all K members (K = 1 for a single run), written at every
step for the rows still training; a member's points after it stopped stay NaN. A member's
trajectory ends at its last finite point, so a diverged run's path shows where it was still
finite.
"""

import numpy as np


class Paths:
    """Every member's path θ_0, θ_1, ... through the plane: (steps + 1, K, 2) float64, NaN where
    a member has no point."""

    def __init__(self, key, steps, k):
        self.key, self.k, self.xy = key, k, np.full((steps + 1, k, 2), np.nan)
        # where the points of all K go: θ is (2,) for a single run (an index is cheaper than a
        # broadcast over the member axis, on a step that costs a few µs), (K, 2) for a stack
        self.every = 0 if k == 1 else slice(None)

    def record(self, step, pop):
        """θ_step of the rows still training."""
        members = pop.members
        self.xy[step, self.every if members.size == self.k else members] = pop.params[self.key]

    def of(self, member, done):
        """The member's path θ_0..θ_done, up to (not including) its first non-finite point."""
        path = self.xy[: done + 1, member]
        finite = np.isfinite(path).all(axis=1)
        return path[: len(path) if finite.all() else int(np.argmin(finite))].copy()
