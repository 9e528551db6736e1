"""Certainties as people read them: rounded half up from the number the engine wrote.

A combined certainty such as 1 - (1 - 0.9) * (1 - 0.75) is 0.975 in the JSON, yet the nearest
float lies just below it, so ``f"{0.975:.2f}"`` printed 0.97 where the terminal's ``:.0%`` said
98% and the page's ``round()`` (half to even) 97%. Each surface now rounds the shortest decimal
that reads back as the float (its ``repr``, what the JSON shows), half up, the same way.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

__all__ = ["certainty_percent", "certainty_places"]

_HUNDREDTHS = Decimal("0.01")
_WHOLE = Decimal(1)


def certainty_places(certainty: float) -> str:
    """Two decimal places: 0.975 -> ``0.98``."""
    return str(Decimal(repr(float(certainty))).quantize(_HUNDREDTHS, ROUND_HALF_UP))


def certainty_percent(certainty: float) -> str:
    """A whole percentage: 0.975 -> ``98%``, 0.125 -> ``13%``."""
    scaled = Decimal(repr(float(certainty))) * 100
    return f"{scaled.quantize(_WHOLE, ROUND_HALF_UP)}%"
