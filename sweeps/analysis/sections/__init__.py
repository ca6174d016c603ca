"""The report's markdown sections, each a function of the family's analysis."""

from .answers import across_section, known_answers_section
from .evidence import budget_section, lr_max_section, tunability_section
from .gamma import divergence_speed_section, lr_gamma_section, sensitivity_section
from .verdicts import gamma_one_section, importance_section, optimizer_section, schedule_section

__all__ = [
    "across_section",
    "known_answers_section",
    "budget_section",
    "lr_max_section",
    "divergence_speed_section",
    "gamma_one_section",
    "importance_section",
    "lr_gamma_section",
    "optimizer_section",
    "schedule_section",
    "sensitivity_section",
    "tunability_section",
]
