"""How every figure a user sees is rounded: 四舍五入 (half away from zero), in one place.

Python's round() and format() round half to even on the binary value (round(3.625, 2) is 3.62,
f"{0.125:.2f}" is 0.12), which a leader checking a figure by hand reads as wrong. Every shown
average, hour total and percentage goes through `half_up`; `rate` is the one way a share is
formed from its numerator and denominator (None, never 0, when there is nothing to divide by).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(value: float | int | Decimal | None, places: int = 1) -> float | None:
    """`value` rounded to `places` decimals, halves away from zero (四舍五入); None stays None.

    The float is read through its shortest decimal form (repr), so 3.625 is 3.625 and not the
    binary 3.62499…; that is the number a user would write down."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rate(numerator: int | float, denominator: int | float) -> float | None:
    """numerator ÷ denominator, or None when the denominator is 0 (no data is not 0 %)."""
    return numerator / denominator if denominator else None


def percent_value(share: float | None, places: int = 1) -> float | None:
    """A share (0–1) as a percentage rounded half up: 0.8125 → 81.3."""
    if share is None:
        return None
    return half_up(Decimal(repr(float(share))) * 100, places)
