"""The report's figures (matplotlib, Agg backend, PNG): one module per kind of figure."""

from .budget import budget_figure
from .curves import divergence_figure, sensitivity_figure, speed_figure
from .heatmap import heatmap_figure
from .importance import importance_figure
from .optimizers import optimizer_figure
from .paired import paired_figure

__all__ = [
    "budget_figure",
    "divergence_figure",
    "heatmap_figure",
    "importance_figure",
    "optimizer_figure",
    "paired_figure",
    "sensitivity_figure",
    "speed_figure",
]
