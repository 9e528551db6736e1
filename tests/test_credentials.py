"""Credentials inside a pasted text are masked before any door keeps or shows them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncdoctor import diagnose
from syncdoctor.interview import Interview, MemoryStore, SqliteStore
from syncdoctor.kb.credentials import mask_credentials
from syncdoctor.report import to_markdown, to_text

from support import NOW

STRIPE = "sk_live_9f8e7d6c5b4a3f2e1d0c"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NSJ9.c2lnbmF0dXJlaGVyZQ"
MESSAGE = (f"Mambu API returned 401 Unauthorized apikey={STRIPE} "
           f"Authorization: Bearer {JWT} password=hunter2")


@pytest.mark.parametrize(("text", "masked"), [
    (f"apikey={STRIPE} x", "apikey=*** x"),
    (f"Authorization: Bearer {JWT}", "Authorization: Bearer ***"),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "Authorization: Basic ***"),
    ('{"password": "hunter2", "user": "bob"}', '{"password": "***", "user": "bob"}'),
    ("X-API-Key: 0123456789abcdef", "X-API-Key: ***"),
    ("calling https://bob:s3cret@api.example.com/v1", "calling https://***@api.example.com/v1"),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123 leaked", "token *** leaked"),
    ("key AKIAABCDEFGHIJKLMNOP used", "key *** used"),
    ("blob?sv=2020-08-04&sig=abc%2Fdef", "blob?sv=2020-08-04&sig=***"),
    (f"sent {JWT} to the hub", "sent *** to the hub"),
    ("DB_PASSWORD=hunter2 next", "DB_PASSWORD=*** next"),
    ("aws_secret_access_key=wJalrXUtnFEMI/K7MDENG", "aws_secret_access_key=***"),
    ('password = "my secret pw" ok', 'password = "***" ok'),
    ("Password: Tr0ub4dor&3 end", "Password: *** end"),
    ("https://user:p@ss@host/x", "https://***@host/x"),
    ("key sk-proj-abcdefghijklmnopqrstuvwxyz12", "key ***"),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- tail", "*** tail"),
    ("passcode=123456", "passcode=***"),
    ("ASIAABCDEFGHIJKLMNOP", "***"),
    # A password someone chose reads like a word; after "password:" it is masked all the same.
    ("login failed, password: correcthorse", "login failed, password: ***"),
    ("Pwd: 482913 rejected", "Pwd: *** rejected"),
    ("client_secret: abcdefghij", "client_secret: ***"),
    # Shapes a pasted log or command line carries.
    ("the password is hunter2 for bob", "the password is *** for bob"),
    ("pass=hunter2 x", "pass=*** x"),
    ("DB_PASS=hunter2 PGPASSWORD=s3cr3t psql", "DB_PASS=*** PGPASSWORD=*** psql"),
    ("Cookie: sessionid=abc123; csrftoken=xyz789", "Cookie: sessionid=***; csrftoken=***"),
    ("Set-Cookie: sid=abcdef; Path=/; HttpOnly", "Set-Cookie: sid=***; Path=/; HttpOnly"),
    ("redis://:hunter2@cache:6379", "redis://***@cache:6379"),
    ("AccountName=acme;AccountKey=abc123def456==;EndpointSuffix=core",
     "AccountName=acme;AccountKey=***;EndpointSuffix=core"),
    ("SharedAccessKeyName=Root;SharedAccessKey=abcDEF123=",
     "SharedAccessKeyName=Root;SharedAccessKey=***"),
    ("sent ya29.a0AfH6SMBabcdefghijklmnopqrstuvwxyz", "sent ***"),
    ("GOCSPX-abcdefghijklmnopqrstuvwx", "***"),
    ("<Password>hunter2</Password><apiKey>abc</apiKey>",
     "<Password>***</Password><apiKey>***</apiKey>"),
    ("GET /v1?key=AIzaabc123def&x=1", "GET /v1?key=***&x=1"),
    ("callback?code=4/0AX4XfWh&state=1", "callback?code=***&state=1"),
    ("run --password hunter2 --user bob", "run --password *** --user bob"),
    ("mysql -u root -phunter2 db", "mysql -u root -p*** db"),
    ("passphrase=correcthorse", "passphrase=***"),
    ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "https://hooks.slack.com/services/***"),
    ("Authorization: ApiKey abc", "Authorization: ApiKey ***"),
    ("my pw: x", "my pw: ***"),
    ("{'password': 'hunter2', 'user': 'bob'}", "{'password': '***', 'user': 'bob'}"),
])
def test_credentials_are_masked(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked


@pytest.mark.parametrize("text", [
    "BOOKING 10319 - 1020 - Terms Code F48 is not defined in A/R Terms",
    "Invalid username or password: please check them",
    "OAuth token has expired (invalid_token)",
    "The access token is invalid",
    "Mambu API returned 401: API key invalid",
    "Payments Failing To Sync: key ACME-42",
    "QuickBooks sync failed: Basic authentication failed",
    "Xero: Invalid token: 401 Unauthorized",
    "Authorization: denied for this organisation",
    "credentials: 3 attempts left",
    "password: 3 attempts left",
    "Password: Invalid",
    "Password: is required.",
    "client secret: expired",
    "the password is incorrect",
    "The access token is invalid",
    "Checks pass: all",
    "bypass=true",
    "error?code=401",
    "mysql -p -u root",
    "psql -p 5432",
])
def test_the_words_of_a_message_are_left_alone(text: str) -> None:
    assert mask_credentials(text) == text


def test_no_bundled_message_is_changed_by_masking() -> None:
    # Masking must not change what the rules read: every text of the examples and the corpus.
    import yaml

    from support import REPO

    texts = []
    for path in [*REPO.glob("rules/*.test.yaml"), *REPO.glob("examples/*/*.yaml")]:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        texts += [entry.get("text", "") for entry in data.get("corpus") or []]
        for case in [*(data.get("cases") or []), data]:
            texts += [v for v in (case.get("facts") or {}).values() if isinstance(v, str)]
    assert len(texts) > 300
    assert [t for t in texts if mask_credentials(t) != t] == []


@given(st.text(max_size=300))
def test_masking_twice_changes_nothing_more(text: str) -> None:
    once = mask_credentials(text)
    assert mask_credentials(once) == once


def test_hostile_text_is_masked_in_linear_time() -> None:
    hostile = "authorization: " + "bearer " * 20_000 + "password=" * 20_000
    start = time.perf_counter()
    mask_credentials(hostile)
    assert time.perf_counter() - start < 2.0  # RE2: milliseconds; a backtracking engine: never


def test_a_diagnosis_never_shows_a_pasted_credential() -> None:
    result = diagnose({"error.message": MESSAGE}, pack="mambu_xero", now=NOW)
    shown = result.model_dump_json() + to_text(result) + to_markdown(result)
    for secret in (STRIPE, JWT, "hunter2"):
        assert secret not in shown
    assert "401 Unauthorized apikey=***" in shown  # the words the rules read are still there


def test_a_session_stores_no_pasted_credential(tmp_path: Path) -> None:
    path = tmp_path / "sessions.db"
    store = SqliteStore(path)
    interview = Interview.start(store=store, message=MESSAGE, now=NOW)
    if interview.pack is None:
        interview.choose_pack("mambu_xero")
    interview.answer("error.message", f"again: token={STRIPE}")
    resumed = Interview.resume(interview.id, store=store)
    assert resumed.header.title is not None and "apikey=***" in resumed.header.title
    store.close()
    with sqlite3.connect(path) as db:
        dump = "\n".join(db.iterdump())
    assert "401 Unauthorized" in dump
    for secret in (STRIPE, JWT, "hunter2"):
        assert secret not in dump


def test_a_title_holds_no_bidirectional_override() -> None:
    from syncdoctor.interview.events import message_title

    assert message_title("invoice 1234\u202e5678 failed\nmore") == "invoice 12345678 failed"


def test_a_message_with_control_characters_starts_a_session_its_title_without_them() -> None:
    iv = Interview.start(store=MemoryStore(), message="Xero API 500\x00 x\t\x1b[31mred\x07",
                         now=NOW)
    assert iv.header.title == "Xero API 500 x [31mred"
    assert "\x00" in iv.facts[next(iter(iv.facts))]  # the message itself is kept as given


def test_a_report_of_a_case_with_no_pack_shows_no_pasted_credential() -> None:
    from syncdoctor.report import render_ticket, ticket_from_case

    facts = {"error.message": f"failed: apikey={STRIPE} Authorization: Bearer {JWT} "
                              "password=hunter2"}
    result = diagnose(facts, now=NOW)
    assert result.pack is None  # the pack is not settled: the facts are shown untyped
    ticket = render_ticket(ticket_from_case(result, facts, title="Ticket password=hunter2"))
    for secret in (STRIPE, JWT, "hunter2"):
        assert secret not in ticket


@pytest.mark.parametrize("value", [
    "password=hunter2",
    f"Bearer {JWT}",
    {"note": f"apikey={STRIPE}"},
    {"password": "hunter2", "token": STRIPE},
    ["x", f"Authorization: Basic {STRIPE}"],
])
def test_a_wrong_value_is_echoed_with_its_credentials_masked(value: object) -> None:
    from syncdoctor.errors import FactError

    with pytest.raises(FactError) as raised:
        diagnose({"journal.date": value}, pack="mambu_xero", now=NOW)
    shown = f"{raised.value} {raised.value.value}"
    assert "***" in shown
    assert all(secret not in shown for secret in ("hunter2", STRIPE, JWT[:20]))


def test_a_wrong_clock_is_echoed_with_its_credentials_masked() -> None:
    from syncdoctor.errors import FactError

    with pytest.raises(FactError, match=r"got 'password=\*\*\*'"):
        diagnose({}, now="password=hunter2")
