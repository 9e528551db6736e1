"""A support agent at the page, as the tests drive it: start, answer, skip, back, through to a result."""

from __future__ import annotations

from playwright.sync_api import Page

TERMS_MESSAGE = '1020 - Terms Code "F48" is not defined in A/R Terms'
MAX_STEPS = 40


def start_with_message(page: Page, base: str, message: str) -> None:
    page.goto(f"{base}/")
    page.fill('[data-testid="start-message"]', message)
    page.click('[data-action="start"]')
    page.wait_for_load_state()


def start_with_pack(page: Page, base: str, pack: str) -> None:
    page.goto(f"{base}/")
    page.click(f'[data-pack="{pack}"]')
    page.wait_for_load_state()


def current_fact(page: Page) -> str | None:
    question = page.query_selector("[data-question]")
    return None if question is None else question.get_attribute("data-fact")


def act(page: Page, action: str) -> None:
    page.click(f'[data-action="{action}"]')
    page.wait_for_load_state()


def answer_plausibly(page: Page) -> None:
    """Fill the question's control with a value of its type, and press Answer."""
    radios = page.locator('[data-question] input[type="radio"]')
    if radios.count():
        radios.first.check()
    elif page.locator("table.records-table").count():
        headers = page.locator("table.records-table thead th .type").all_inner_texts()
        cells = page.locator("table.records-table tbody tr").first.locator("input, select")
        for index, kind in enumerate(headers):
            cell = cells.nth(index)
            if cell.evaluate("e => e.tagName") == "SELECT":
                cell.select_option(index=1)
            else:
                cell.fill({"decimal": "10.50", "integer": "3", "datetime": "2024-05-01T08:00:00Z",
                           "duration": "1h"}.get(kind, f"T-{index}"))
    else:
        control = page.locator("#answer-value")
        kind = control.get_attribute("type")
        if control.evaluate("e => e.tagName") == "TEXTAREA":
            control.fill("Sync failed again this morning")
        elif kind == "number":
            control.fill(control.get_attribute("min") or "1")
        elif page.locator("#answer-picker").count():
            control.fill("3 hours ago")
        else:
            control.fill("1h")
    act(page, "answer")


def skip_to_result(page: Page, *, answer: bool = False) -> list[str]:
    """Skip (or answer) every question until the result; returns the facts asked."""
    asked: list[str] = []
    for _ in range(MAX_STEPS):
        fact = current_fact(page)
        if fact is None:
            break
        asked.append(fact)
        if answer:
            answer_plausibly(page)
            error = page.query_selector("#q-error")
            assert error is None, f"{fact}: {error.inner_text()}"
        else:
            act(page, "skip")
    assert current_fact(page) is None, f"still asking after {MAX_STEPS} steps: {asked}"
    return asked


def cause_ids(page: Page) -> list[str]:
    return [e.get_attribute("data-cause-id") or "" for e in page.query_selector_all("[data-cause-id]")]
