"""The metric histories of the training loop's members (K = 1 for a single run), one array per
evaluation.

Appending every member's metrics to its own lists costs K Python dicts per evaluation, which on a
2-D problem with K = 256 costs more than the evaluation itself. Kept instead: per evaluation its
step, which members it recorded and one length-K array per metric; a member's lists are read out
when it finishes (``of``), all finishing members from one stacked copy.
"""

from __future__ import annotations

import numpy as np


class Histories:
    def __init__(self, k: int):
        self.k = k
        self.steps: list[int] = []
        self.kept: list[np.ndarray] = []            # per evaluation: which members it recorded
        self.values: dict[str, list[np.ndarray]] = {}
        self._nan = np.full(k, np.nan)  # a metric's row before its values go in

    def add(self, step: int, members: np.ndarray, metrics: dict[str, np.ndarray],
            ok: np.ndarray | None = None) -> np.ndarray:
        """Record ``metrics`` (name -> one value per stack row) of the rows ``ok`` (None: all);
        ``members`` maps stack rows to member indices. Return the member indices recorded."""
        rows = members if ok is None else members[ok]
        kept = np.zeros(self.k, bool)
        kept[rows] = True
        self.steps.append(int(step))
        self.kept.append(kept)
        for name, v in metrics.items():
            v = np.asarray(v, dtype=float)
            full = self._nan.copy()
            full[rows] = v if ok is None else v[ok]
            self.values.setdefault(name, []).append(full)
        return rows

    def of(self, members) -> dict[int, dict[str, list]]:
        """Member index -> its history {"step": [...], metric: [...]}, as Python numbers."""
        members = list(members)
        if not members:
            return {}
        kept, steps = np.array(self.kept), np.array(self.steps)
        values = {name: np.array(v) for name, v in self.values.items()}
        out = {}
        for i in members:
            sel = kept[:, i]
            out[i] = {"step": steps[sel].tolist()} | {name: v[sel, i].tolist() for name, v in values.items()}
        return out
