"""A percentage given as a fraction (0.4 for 40 %) is said in the warnings, never guessed."""

from __future__ import annotations

import pytest

from syncdoctor import diagnose

from support import NOW


@pytest.mark.parametrize("share", [0.4, "0.4", "0.4%", 0.05])
def test_a_percentage_under_one_is_warned_of(share: object, bundled_kb) -> None:  # type: ignore[no-untyped-def]
    d = diagnose({"payments.failing_share": share}, pack="connectbooster", kb=bundled_kb, now=NOW)
    (warning,) = [w for w in d.warnings if "payments.failing_share" in w]
    assert "under 1 %" in warning and "was a fraction" in warning


@pytest.mark.parametrize("share", [0, 1, 40, 100])
def test_a_percentage_of_one_or_more_or_zero_is_not(share: int, bundled_kb) -> None:  # type: ignore[no-untyped-def]
    d = diagnose({"payments.failing_share": share}, pack="connectbooster", kb=bundled_kb, now=NOW)
    assert not [w for w in d.warnings if "under 1 %" in w]


def test_the_warning_says_what_the_fraction_would_be(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    d = diagnose({"payments.failing_share": 0.35}, pack="connectbooster", kb=bundled_kb, now=NOW)
    assert ("fact 'payments.failing_share' is 0.35 %, under 1 %: if 0.35 was a fraction (35 %), "
            "give 35") in d.warnings
