"""The interview layer's errors: in the one tree, with their exit codes, HTTP statuses and JSON."""

from __future__ import annotations

import json

import pytest

from syncdoctor.errors import SyncdoctorError
from syncdoctor.interview import (
    DateTimeTextError,
    MemoryStore,
    SchemaVersionError,
    SessionExists,
    SessionNotFound,
    StoreError,
    StoreInputError,
    open_store,
)
from syncdoctor.interview.datetimes import parse_datetime_text
from syncdoctor.interview.store_url import redact_url

from store_support import STARTED, make_header


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (StoreError("disk full", store="sqlite:///s.db"), 503),
        (StoreInputError("nothing to undo", store="memory:"), 422),
        (SessionNotFound("abc", store="memory:"), 404),
        (SessionExists("abc", store="memory:"), 409),
        (SchemaVersionError(2, 1, store="sqlite:///s.db"), 503),
        (DateTimeTextError("soon", "not a form", ("now",)), 422),
    ],
)
def test_each_error_has_its_status_and_json(error: SyncdoctorError, status: int) -> None:
    assert isinstance(error, SyncdoctorError)
    assert (error.exit_code, error.http_status) == (2, status)
    data = error.to_dict()
    assert data["error"] == type(error).__name__ and data["message"] == str(error)
    json.dumps(data)  # JSON data, nothing else


def test_the_structured_fields() -> None:
    assert SessionNotFound("abc", store="memory:").to_dict()["session"] == "abc"
    assert SchemaVersionError(2, 1).to_dict()["found"] == 2
    refused = DateTimeTextError("soon", "not a form", ("now", "3 hours ago")).to_dict()
    assert (refused["text"], refused["accepted"]) == ("soon", ["now", "3 hours ago"])


def test_a_store_refusal_is_an_input_error_and_a_missing_store_is_not() -> None:
    store = MemoryStore()
    header = make_header()
    store.create(header)
    with pytest.raises(StoreInputError):
        store.append(header.id, "undo", source="agent", at=STARTED)
    with pytest.raises(SessionNotFound):
        store.append("nope", "undo", source="agent")
    with pytest.raises(DateTimeTextError) as raised:
        parse_datetime_text("soon", now=STARTED)
    assert raised.value.to_dict()["reason"] == "not a form syncdoctor reads"


def test_no_password_reaches_the_json_of_an_error() -> None:
    with pytest.raises(StoreError) as raised:
        open_store("postgresql://agent:hunter2@db/sessions?nonsense=1")  # refused before any lookup
    assert "hunter2" not in json.dumps(raised.value.to_dict())
    assert raised.value.to_dict()["store"] == redact_url("postgresql://agent:hunter2@db/sessions?x")
