"""What a posted form says: the records table, rows pasted as text, bools, bad forms."""

from __future__ import annotations

import pytest

from syncdoctor.diagnosis.result import Question, RecordField
from syncdoctor.errors import FactError
from syncdoctor.web.forms import MAX_FIELDS, answer_value, parse_form, record_rows

FIELDS = [RecordField(name="id", type="text"), RecordField(name="hub", type="decimal"),
          RecordField(name="ok", type="bool")]


def _question(kind: str) -> Question:
    return Question(fact="f", ask="?", help=None, type=kind, values=None,  # type: ignore[arg-type]
                    fields=FIELDS if kind == "records" else None, step="s", causes=[], why="")


def test_table_cells_then_pasted_rows_with_or_without_a_header() -> None:
    form = parse_form(b"rec-0-id=A&rec-0-hub=1.5&rec-1-id=&rec-7-id=B&rec-0-nope=x"
                      b"&paste=hub%09id%0A2%09C%0A%0A")
    assert record_rows(FIELDS, form) == [{"id": "A", "hub": "1.5"}, {"id": "B"},
                                         {"hub": "2", "id": "C"}]
    headless = parse_form(b"paste=D%093%09yes%0AE")
    assert answer_value(_question("records"), headless) == [
        {"id": "D", "hub": "3", "ok": True}, {"id": "E"}]


def test_bool_and_empty_answers() -> None:
    assert answer_value(_question("bool"), parse_form(b"value=false")) is False
    with pytest.raises(FactError):
        answer_value(_question("bool"), parse_form(b"value=maybe"))
    with pytest.raises(FactError, match="I don't know"):
        answer_value(_question("integer"), parse_form(b"value=+"))
    with pytest.raises(FactError):
        answer_value(_question("records"), parse_form(b"rec-0-id="))


def test_a_form_too_big_or_not_utf8_is_a_clear_error() -> None:
    with pytest.raises(FactError, match="fields"):
        parse_form(b"&".join(b"a=1" for _ in range(MAX_FIELDS + 1)))
    with pytest.raises(FactError, match="UTF-8"):
        parse_form(b"value=\xff")


def test_records_fields_come_as_declared_so_headless_rows_land_right() -> None:
    """The table's columns, and a pasted row without a header, follow the facts file's order:
    id, kind, then the UI, API and hub amounts, as a support agent reads them off the screens.
    (Alphabetical order put app_api before app_ui: UI-then-API rows went in swapped.)"""
    from syncdoctor import diagnose

    asked = diagnose({}, pack="impac", now="2024-05-01T12:00:00Z").questions
    (txn,) = [q for q in asked if q.fact == "txn"]
    assert [f.name for f in txn.fields or []] == ["id", "kind", "app_ui", "app_api", "hub"]
    pasted = parse_form(b"paste=INV-1%09invoice%09100%0990%0990")
    assert answer_value(txn, pasted) == [
        {"id": "INV-1", "kind": "invoice", "app_ui": "100", "app_api": "90", "hub": "90"}]


def test_a_records_error_names_the_row_and_the_column(bundled_kb) -> None:  # type: ignore[no-untyped-def]
    from syncdoctor import Interview, MemoryStore
    from syncdoctor.web.routes import said

    iv = Interview.start(store=MemoryStore(), pack="impac", now="2024-05-01T12:00:00Z",
                         kb=bundled_kb)
    with pytest.raises(FactError) as caught:
        iv.answer("txn", [{"id": "A", "hub": "x"}, {"id": "B", "hub": "2,5,0"}])
    assert said(caught.value) == ("Row 1, hub: expected a number; got 'x' (and 1 more: row 2, "
                                  "hub: expected a number; got '2,5,0')")
