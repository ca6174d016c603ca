"""What a checked value may be, and the one-paragraph refusal every check raises."""

from __future__ import annotations

import math
import numbers
from typing import Any

from sweeps.errors import SweepError


def is_int(value: Any, low: int) -> bool:
    """An integer (not a bool, not a float) >= ``low``."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def is_real(value: Any) -> bool:
    """A number (int or float, not a bool); NaN and inf included."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def is_finite(value: Any) -> bool:
    return is_real(value) and math.isfinite(value)


def refuse(key: str, value: Any, allowed: str) -> SweepError:
    return SweepError(f"{key}={value!r} is not allowed; it must be {allowed}.")
