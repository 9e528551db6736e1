"""What the page says, read over plain HTTP (no browser needed): a real server each."""

from __future__ import annotations

import re

import httpx
import pytest
from web_server import serve

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


BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.mark.parametrize(("method", "path", "status", "heading", "said"), [
    ("GET", "/start", 405, "Not a page to open", "/start takes a form&#39;s answer, not a visit"),
    ("POST", "/", 405, "Not a form", "/ is a page to open, not a form to send"),
    ("GET", "/no/such/<b>page</b>", 404, "No such page",
     "There is no page at /no/such/&lt;b&gt;page&lt;/b&gt;."),
])
def test_a_browser_is_shown_a_page_for_what_the_router_refuses(
        base: str, method: str, path: str, status: int, heading: str, said: str) -> None:
    answer = httpx.request(method, f"{base}{path}", headers=BROWSER)
    assert answer.status_code == status
    assert answer.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in answer.headers["content-security-policy"]
    assert f'<h1 id="problem-heading">{heading}</h1>' in answer.text
    assert said in answer.text and "<b>" not in answer.text
    assert "set-cookie" not in answer.headers


def test_the_api_and_htmx_keep_their_problem_json(base: str) -> None:
    for path, headers in (("/v1/nope", BROWSER), ("/nope", {}), ("/nope", {**BROWSER,
                                                                       "hx-request": "true"})):
        answer = httpx.get(f"{base}{path}", headers=headers)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"] == f"no route {path}"


def test_a_post_too_big_is_a_page_that_says_the_limit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with serve(f"sqlite:///{tmp_path / 's.db'}", max_body=2000) as url:
        big = b"paste=" + b"a" * 5000
        form = {**BROWSER, "content-type": "application/x-www-form-urlencoded"}
        page = httpx.post(f"{url}/start", content=big, headers=form)
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert "What you sent is larger than 2000 bytes" in page.text
        api = httpx.post(f"{url}/v1/diagnose", content=big, headers=BROWSER)
        assert api.status_code == 413 and api.json()["code"] == "BodyTooLarge"


def test_why_names_the_question_step_by_its_title(base: str, bundled_kb) -> None:  # type: ignore[no-untyped-def]
    started = httpx.post(f"{base}/v1/sessions", json={"pack": "impac",
                                                      "facts": {"sync.status": "failed"},
                                                      "now": NOW}).json()
    question = started["next_question"]
    steps = {s.id: s.title for s in bundled_kb.packs["impac"].playbook.steps}
    assert steps[question["step"]] != question["step"]
    page = httpx.get(f"{base}/s/{started['id']}").text
    assert f"step <q>{steps[question['step']]}</q>" in page
    assert f"<q>{question['step']}</q>" not in page


def test_an_answer_to_a_question_answered_meanwhile_is_said_not_kept(base: str) -> None:
    started = httpx.post(f"{base}/v1/sessions", json={"pack": "impac",
                                                      "facts": {"sync.status": "failed"},
                                                      "now": NOW}).json()
    session, first = started["id"], started["next_question"]
    with httpx.Client(base_url=base) as browser:
        page = browser.get(f"/s/{session}")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        answered = httpx.post(f"{base}/v1/sessions/{session}/answers",  # the other tab
                              json={"fact": first["fact"], "unknown": True})
        assert answered.status_code == 200
        late = browser.post(f"/s/{session}/answer", data={
            "csrf": token.group(1), "fact": first["fact"], "value": "yes", "action": "answer"},
            follow_redirects=True)
        assert late.status_code == 200
        assert "your answer was not kept" in late.text and "data-notice" in late.text
        kept = httpx.get(f"{base}/v1/sessions/{session}").json()["answers"]
        assert [(a["fact"], a["unknown"]) for a in kept] == [(first["fact"], True)]
        assert "data-notice" not in browser.get(f"/s/{session}").text


def test_fixed_is_kept_closes_the_session_and_can_be_taken_back(base: str) -> None:
    started = httpx.post(f"{base}/v1/sessions", json={"pack": "sage300", "facts": CASE,
                                                      "now": NOW}).json()
    session, top = started["id"], started["diagnosis"]["causes"][0]["id"]
    with httpx.Client(base_url=base) as browser:
        page = browser.get(f"/s/{session}/result")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        outcome = {"csrf": token.group(1), "cause": top}
        done = browser.post(f"/s/{session}/outcome", data={**outcome, "fixed": "yes"})
        assert done.status_code == 303 and "fixed=" not in done.headers["location"]
        kept = httpx.get(f"{base}/v1/sessions/{session}").json()
        assert kept["fixed"] == top and kept["finished"] and kept["next_question"] is None
        shown = browser.get(f"/s/{session}/result").text
        assert 'data-outcome="fixed"' in shown and "data-fixed-by" in shown
        assert shown.count('data-action="fixed"') == 0  # no other "yes" on a closed session
        listed = f'data-session-id="{session}" data-session-fixed'
        assert listed in browser.get("/").text  # the recent sessions say it is fixed
        assert "**Fixed** by the remediation of" in httpx.get(
            f"{base}/v1/sessions/{session}/report").text
        browser.post(f"/s/{session}/outcome", data={**outcome, "fixed": "no"})
        reopened = httpx.get(f"{base}/v1/sessions/{session}").json()
        assert reopened["fixed"] is None and top in [
            r["id"] for r in reopened["diagnosis"]["ruled_out"]]
        assert listed not in browser.get("/").text
    assert 'data-outcome="fixed"' not in httpx.get(f"{base}/s/{session}/result?fixed=1").text


def test_still_broken_says_which_cause_was_ruled_out_once(base: str) -> None:
    started = httpx.post(f"{base}/v1/sessions", json={"pack": "sage300", "facts": CASE,
                                                      "now": NOW}).json()
    session, top = started["id"], started["diagnosis"]["causes"][0]
    with httpx.Client(base_url=base) as browser:
        page = browser.get(f"/s/{session}/result")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        done = browser.post(f"/s/{session}/outcome",
                            data={"csrf": token.group(1), "cause": top["id"], "fixed": "no"})
        assert done.status_code == 303
        assert done.headers["location"] == f"/s/{session}?ruled={top['id']}"
        told = browser.get(done.headers["location"]).text
        assert f"Ruled out: {top['title']}, since its remediation did not fix" in told
        assert "Ruled out: " not in browser.get(f"/s/{session}").text  # said once
        assert "Ruled out: " not in browser.get(f"/s/{session}?ruled=no_such_cause").text
