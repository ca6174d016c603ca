"""Parameter importances of every study, one panel per evaluator (fANOVA, PED-ANOVA)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..importance import EVALUATORS
from ._style import figure, save, title


def importance_figure(imp: pd.DataFrame, labels: dict[str, str], path: Path) -> Path:
    """``labels`` maps study names to the short labels shown on the y axis."""
    studies = list(dict.fromkeys(imp["study"]))
    params = list(dict.fromkeys(imp["param"]))
    rows = len(studies) * max(1.0, len(params) / 3)
    fig = figure(11, max(3.0, 1.2 + 0.5 * rows))
    axes = fig.subplots(1, len(EVALUATORS), sharey=True, squeeze=False)[0]
    height = 0.8 / max(len(params), 1)
    for ax, ev in zip(axes, EVALUATORS):
        part = imp[imp["evaluator"] == ev]
        for k, p in enumerate(params):
            share = [part[(part["study"] == s) & (part["param"] == p)]["importance"] for s in studies]
            values = [float(x.iloc[0]) if len(x) else np.nan for x in share]
            ax.barh(np.arange(len(studies)) + k * height, np.nan_to_num(values), height, label=p,
                    color=f"C{k}")
        for i, s in enumerate(studies):
            if part[part["study"] == s]["importance"].isna().all():
                ax.text(0.01, i + 0.4 - height / 2, "n/a (see table)", va="center", fontsize=8, color="0.4")
        ax.set_yticks(np.arange(len(studies)) + 0.4 - height / 2, [labels.get(s, s) for s in studies])
        ax.set(xlim=(0, 1), xlabel="importance (share of 1)", title=ev)
        ax.grid(axis="x", alpha=0.3)
    axes[0].invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    if handles:  # below the panels, off the bars
        fig.legend(handles, names, title="parameter", loc="outside lower center", fontsize=8,
                   ncol=min(len(params), 6))
    title(fig, "Parameter importances per study", width=100)
    return save(fig, path)
