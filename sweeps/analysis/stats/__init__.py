"""Inference over seed-paired runs: pure functions of ``config, seed, value`` tables.

    table = compare_paired(runs, reference=0.99, margin=0.01, direction="minimize")
    curves = expected_best_by(trials, group="gamma", direction="minimize")
    t = tunability(runs, default=0.99, best=gamma_chosen_on_validation, direction="minimize")

``compare_paired`` gives each config one of three verdicts against the reference
("equivalent", "different", "inconclusive") read off its simultaneous (Bonferroni) t-interval,
with its failure rate compared apart (McNemar's exact test, Holm) and the smallest margin the
design could show (``equivalence_mde``); ``expected_best`` is the expected best of B trials;
``tunability`` the gain of tuning over a default with a t-interval.
"""

from ._budget import expected_best, expected_best_by
from ._paired import compare_paired
from ._power import equivalence_mde
from ._tunability import tunability
from ._verdict import VERDICTS

__all__ = ["VERDICTS", "compare_paired", "equivalence_mde", "expected_best", "expected_best_by",
           "tunability"]
