"""What the result page says, read over plain HTTP (no browser needed): a real server each."""

from __future__ import annotations

import re

import httpx

from support import NOW

CASE = {"error.message": '1020 - Terms Code "F48" is not defined in A/R Terms',
        "sales_order.erp_sync_status": "failed"}


def test_a_consequence_points_to_its_root_instead_of_repeating_its_steps(base: str) -> None:
    started = httpx.post(f"{base}/v1/sessions", json={"pack": "sage300", "facts": CASE,
                                                      "now": NOW})
    assert started.status_code == 201, started.text
    session = started.json()["id"]
    page = httpx.get(f"{base}/s/{session}/result")
    assert page.status_code == 200
    cards = re.findall(r'<article class="card cause" data-cause-id="([^"]+)"', page.text)
    assert cards[:2] == ["terms_missing_in_sage", "retries_exhausted"]
    cards_part, report = page.text.split('data-testid="report"')
    for shown in (cards_part, report):  # the cards, then the ticket report below them
        assert shown.count("After 5 attempts the scheduler never retries it") == 1
    assert 'data-folded-into="terms_missing_in_sage"' in page.text
    assert 'href="#cause-terms_missing_in_sage"' in page.text
