"""Datetimes as text: ISO 8601 moments and the ``dt`` filter write what strftime writes.

Both build the text from the fields (strftime costs twice as much), except where strftime does
something of its own: a year before 1000 (left unpadded) and any value that is not a datetime.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from jinja2 import TemplateRuntimeError

from syncdoctor.kb.template_own import OWN_FILTERS
from syncdoctor.kb.values import iso_moment

MOMENTS = [
    datetime(year, month, day, hour, minute, second, micro, tzinfo=zone)
    for year in (1, 9, 99, 999, 1000, 1970, 2024, 9999)
    for month, day, hour, minute, second, micro in ((1, 1, 0, 0, 0, 0), (12, 31, 23, 59, 59, 999))
    for zone in (None, UTC, timezone(timedelta(hours=7)))
]


@pytest.mark.parametrize("moment", MOMENTS, ids=str)
def test_as_strftime_writes_them(moment: datetime) -> None:
    assert iso_moment(moment) == moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert OWN_FILTERS["dt"](moment) == moment.strftime("%Y-%m-%d %H:%M UTC")


def test_dt_of_other_values_is_strftime_s() -> None:
    assert OWN_FILTERS["dt"](date(2024, 5, 1)) == "2024-05-01 00:00 UTC"
    with pytest.raises(TemplateRuntimeError, match="dt needs a datetime fact, got text '2024"):
        OWN_FILTERS["dt"]("2024-05-01")
