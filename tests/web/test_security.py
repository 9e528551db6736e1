"""The page's locks over plain HTTP (no browser): CSP, CSRF, same-origin, key sign-in, static files.

A real uvicorn server each; httpx plays a browser (it keeps cookies) or an attacker (it does not).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from importlib.resources import files

import httpx
import pytest
from web_server import serve

from syncdoctor.service.config import ApiKeys

KEY = "test-key-7f3a9c"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def locked() -> Iterator[str]:
    """The service with an API key configured."""
    with serve("memory:", ApiKeys([KEY])) as url:
        yield url


def _token(client: httpx.Client, path: str = "/") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match
    return match.group(1)


def test_every_page_has_a_strict_content_security_policy(base: str) -> None:
    page = httpx.get(f"{base}/")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe" not in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text, "no inline script"
    assert not re.search(r"<[^>]+\son[a-z]+=", page.text), "no event handler attribute"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_a_post_without_the_browser_token_is_refused(base: str) -> None:
    with httpx.Client(base_url=base) as browser:
        token = _token(browser)
        no_token = browser.post("/start", data={"pack": "impac"})
        assert no_token.status_code == 403
        wrong = browser.post("/start", data={"pack": "impac", "csrf": token + "x"})
        assert wrong.status_code == 403
        started = browser.post("/start", data={"pack": "impac", "csrf": token})
        assert started.status_code == 303 and started.headers["location"].startswith("/s/")
    # An attacker's page can send the field, never the HttpOnly, SameSite=Strict cookie.
    forged = httpx.post(f"{base}/start", data={"pack": "impac", "csrf": token})
    assert forged.status_code == 403


def test_only_the_page_own_origin_may_post(base: str) -> None:
    with httpx.Client(base_url=base) as browser:
        token = _token(browser)
        host = base.removeprefix("http://")
        evil = browser.post("/start", data={"pack": "impac", "csrf": token},
                            headers={"origin": "https://evil.example"})
        assert evil.status_code == 403
        own = browser.post("/start", data={"pack": "impac", "csrf": token},
                           headers={"origin": f"http://{host}"})
        assert own.status_code == 303


def test_a_json_body_is_not_a_form(base: str) -> None:
    with httpx.Client(base_url=base) as browser:
        token = _token(browser)
        sent = browser.post("/start", content=f'{{"csrf": "{token}"}}',
                            headers={"content-type": "application/json"})
        assert sent.status_code == 415


def test_an_outcome_is_yes_or_no_and_nothing_else_is_kept(base: str) -> None:
    with httpx.Client(base_url=base) as browser:
        token = _token(browser)
        started = browser.post("/start", data={
            "message": "Terms code 30NET does not exist in Sage 300", "csrf": token})
        session = started.headers["location"].removeprefix("/s/")
        outcome = f"/s/{session}/outcome"
        held = httpx.get(f"{base}/v1/sessions/{session}").json()["diagnosis"]["causes"]
        cause = {"cause": held[0]["id"], "csrf": token}
        maybe = browser.post(outcome, data={**cause, "fixed": "maybe"})
        assert maybe.status_code == 422 and "yes or no" in maybe.text
        assert browser.post(outcome, data=cause).status_code == 422  # no answer at all
        before = httpx.get(f"{base}/v1/sessions/{session}").json()["diagnosis"]
        assert [c["id"] for c in before["causes"]] == [c["id"] for c in held]  # nothing kept
        assert browser.post(outcome, data={**cause, "fixed": "no"}).status_code == 303
        ruled = httpx.get(f"{base}/v1/sessions/{session}").json()["diagnosis"]["ruled_out"]
        assert held[0]["id"] in [r["id"] for r in ruled]


def test_a_pasted_control_character_or_bidi_override_shows_and_is_never_obeyed(
        base: str) -> None:
    with httpx.Client(base_url=base) as browser:
        token = _token(browser)
        started = browser.post("/start", data={
            "message": "Terms code 30NET \x1b[31mred\x07 12\u202e34 does not exist in Sage 300",
            "csrf": token})
        assert started.status_code == 303, started.text
        for path in (started.headers["location"], "/"):
            page = browser.get(path).text
            assert "30NET" in page
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]",
                                 page), path
        assert "␛[31mred␇" in browser.get(started.headers["location"]).text


def test_an_unknown_session_is_a_page_not_a_traceback(base: str) -> None:
    missing = httpx.get(f"{base}/s/{'0' * 32}")
    assert missing.status_code == 404 and "No such session" in missing.text
    odd = httpx.get(f"{base}/s/..%2F..%2Fetc")
    assert odd.status_code == 404


def test_with_keys_a_browser_signs_in_once(locked: str) -> None:
    with httpx.Client(base_url=locked) as browser:
        first = browser.get("/")
        assert first.status_code == 303 and first.headers["location"] == "/sign-in?next=/"
        token = _token(browser, "/sign-in")
        wrong = browser.post("/sign-in", data={"key": "nope", "csrf": token, "next": "/"})
        assert wrong.status_code == 401
        assert "syncdoctor_auth" not in browser.cookies
        signed = browser.post("/sign-in", data={"key": KEY, "csrf": token,
                                                "next": "https://evil.example/"})
        assert signed.status_code == 303 and signed.headers["location"] == "/"
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()
        assert KEY not in cookie
        assert browser.get("/").status_code == 200
        started = browser.post("/start", data={"pack": "sage300", "csrf": token})
        assert started.status_code == 303
        assert browser.get(started.headers["location"]).status_code == 200
        # The cookie opens the page, never the API: that still needs the key itself.
        assert browser.get("/v1/packs").status_code == 401
        assert browser.get("/v1/packs", headers={"x-api-key": KEY}).status_code == 200
        browser.post("/sign-out", data={"csrf": token})
        assert browser.get("/").status_code == 303


def test_a_forged_sign_in_cookie_does_not_open_the_page(locked: str) -> None:
    forged = httpx.get(f"{locked}/", cookies={"syncdoctor_auth": "00" * 16 + "." + "ab" * 32})
    assert forged.status_code == 303
    other_key = httpx.get(f"{locked}/", cookies={"syncdoctor_auth": "not-even-hex"})
    assert other_key.status_code == 303


def test_static_files_are_a_fixed_list(base: str) -> None:
    assert httpx.get(f"{base}/static/app.js").headers["content-type"].startswith(
        "text/javascript")
    assert httpx.get(f"{base}/static/..%2F__init__.py").status_code == 404
    assert httpx.get(f"{base}/static/templates").status_code == 404


def test_the_vendored_htmx_is_the_published_file_with_its_licence() -> None:
    text = files("syncdoctor.web").joinpath("static", "htmx.min.js").read_bytes()
    header, _, body = text.partition(b" */\n")
    recorded = re.search(rb"sha256 of that file:\n \* ([0-9a-f]{64})", header)
    assert recorded and hashlib.sha256(body).hexdigest().encode() == recorded.group(1)
    assert b"htmx.org 2.0.11" in header and b"Zero-Clause BSD" in header
