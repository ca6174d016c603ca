"""The report's figures (matplotlib, Agg backend, PNG): one module per kind of figure."""

from .curves import divergence_figure, sensitivity_figure, speed_figure
from .heatmap import heatmap_figure
from .importance import importance_figure
from .optimizers import optimizer_figure

__all__ = [
    "divergence_figure",
    "heatmap_figure",
    "importance_figure",
    "optimizer_figure",
    "sensitivity_figure",
    "speed_figure",
]
