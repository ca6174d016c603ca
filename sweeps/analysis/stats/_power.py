"""The smallest equivalence margin a paired design can show (its MDE), at 80 % power by default.

The verdict rule (``_verdict``) calls a config *equivalent* when its two-sided (1 − a) t-interval
of the mean paired difference lies inside ±margin, i.e. when

    |mean(d)| + c · s / √n < margin,     c = t_{1 − a/2, n − 1},

for n differences with sample standard deviation s. If the true mean difference is 0 and the
differences have standard deviation σ, then √n · mean(d) / σ = Z ~ N(0, 1) and s / σ = U with
(n − 1) U² ~ χ²_{n − 1}, independent, so with x = √n · margin / σ

    P(equivalent) = E_U[ max(0, 2 Φ(x − c U) − 1) ],

computed here by quadrature over U's density (exact, not the normal approximation). The MDE is
the margin at which that probability equals ``power``: MDE = x* · σ / √n. It scales with σ, so a
report gives it at the measured standard deviation of the differences.
"""

from __future__ import annotations

import math
from functools import lru_cache

from scipy import integrate, optimize, stats


def p_equivalent(x: float, n: int, level: float) -> float:
    """P(the (``level``) t-interval of n null differences lies inside ±margin); x = √n·margin/σ."""
    c = stats.t.ppf(1 - (1 - level) / 2, n - 1)
    u = stats.chi(n - 1, scale=1 / math.sqrt(n - 1))   # U = s / σ

    def integrand(v: float) -> float:
        return (2 * stats.norm.cdf(x - c * v) - 1) * u.pdf(v)

    if x <= 0:
        return 0.0
    return float(integrate.quad(integrand, 0, x / c, limit=200)[0])


@lru_cache(maxsize=256)
def _x_star(n: int, level: float, power: float) -> float:
    c = stats.t.ppf(1 - (1 - level) / 2, n - 1)
    high = c + 10.0
    while p_equivalent(high, n, level) < power:   # heavy U tails at n = 3 need a wider bracket
        high *= 2
    return float(optimize.brentq(lambda x: p_equivalent(x, n, level) - power, 1e-9, high, xtol=1e-10))


def equivalence_mde(sd: float, n: int, level: float, power: float = 0.8) -> float:
    """The margin that a design of ``n`` paired differences with standard deviation ``sd`` shows
    equivalent with probability ``power`` when the true difference is 0, the interval having
    confidence ``level``; NaN for n < 2 or a sd that is not a positive finite number."""
    if n < 2 or not (math.isfinite(sd) and sd > 0):
        return math.nan
    return _x_star(int(n), float(level), float(power)) * sd / math.sqrt(n)
