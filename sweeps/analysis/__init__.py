"""Analysis of a study family: how sensitive is RMSprop to γ, what γ = 1 does, whether γ should rise.

Load once, then pure functions over the tidy trials table (``load_family``) and the studies table
(``load_studies``); ``analyse`` runs them all for the report (``sweeps.report``).

    trials = load_family("sqlite:///outputs/optuna.db", "gamma_sensitivity")
    studies = load_studies("sqlite:///outputs/optuna.db", "gamma_sensitivity")
    for v in gamma_variants(trials):
        print(v.name, curve(v)[["span", "best", "fixed_best"]])
"""

from .direction import best_index, gain
from .divergence import divergence_rate
from .family import FamilyAnalysis, VariantResult, analyse
from .gamma_one import gamma_one
from .importance import importances
from .load import families, load_family, load_studies, study_names
from .lr_gamma import lr_gamma
from .optimizers import optimizer_table
from .schedule import schedule_verdict
from .sensitivity import curve
from .speed import steps_to_target
from .summary import summary
from .tunability import tunability
from .variants import Variant, gamma_variants

__all__ = [
    "FamilyAnalysis",
    "Variant",
    "VariantResult",
    "analyse",
    "best_index",
    "curve",
    "divergence_rate",
    "families",
    "gain",
    "gamma_one",
    "gamma_variants",
    "importances",
    "load_family",
    "load_studies",
    "lr_gamma",
    "optimizer_table",
    "schedule_verdict",
    "steps_to_target",
    "study_names",
    "summary",
    "tunability",
]
