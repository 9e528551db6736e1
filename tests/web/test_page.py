"""The web page in Chromium: whole interviews, skip/back/why, resume, "did this fix it?", HOW and
WHY NOT, datetime phrases, records pasted from a spreadsheet, the report, a hostile message.

Every test runs against the real service on uvicorn; the ``page`` fixture fails a test on any
console error or dialog.
"""

from __future__ import annotations

import re

import pytest
from agent import (
    TERMS_MESSAGE,
    act,
    answer_plausibly,
    cause_ids,
    current_fact,
    skip_to_result,
    start_with_message,
    start_with_pack,
)
from playwright.sync_api import Page

from syncdoctor.engine.knowledge import default_kb

PACKS = sorted(default_kb().packs)


def test_done_when_terms_code_message_skipped_to_the_cause_and_back(page: Page, base: str) -> None:
    start_with_message(page, base, TERMS_MESSAGE)
    assert re.search(r"/s/[0-9a-f]{32}$", page.url)
    assert page.locator("[data-given='error.message']").inner_text() == TERMS_MESSAGE
    asked = skip_to_result(page)
    assert asked, "the message alone should leave questions to ask"
    assert "terms_missing_in_sage" in cause_ids(page)
    assert page.locator('[data-testid="report"]').inner_text().count("F48") >= 1
    steps = page.locator("[data-cause-id='terms_missing_in_sage'] [data-remediation] ol > li")
    assert steps.count() >= 2  # the playbook's numbered steps, as a list, not Markdown text
    assert "**" not in page.locator("[data-remediation]").first.inner_text()
    assert page.locator("[data-remediation] strong", has_text="Resync Invoice").count() >= 1
    act(page, "back")
    assert current_fact(page) == asked[-1]
    act(page, "back")
    assert current_fact(page) == asked[-2]


@pytest.mark.parametrize("pack", PACKS)
def test_a_whole_interview_in_each_pack(page: Page, base: str, pack: str) -> None:
    start_with_pack(page, base, pack)
    assert page.locator("[data-question]").count() == 1
    asked = skip_to_result(page, answer=True)
    assert len(asked) == len(set(asked)), f"a question came twice: {asked}"
    assert page.locator("h1").first.inner_text().startswith("Result")
    answered = page.locator("[data-answered]").count()
    assert answered == len(asked)
    report = page.locator('[data-testid="report"] pre').inner_text()
    for cause in page.locator("article[data-cause-id] h2").all_inner_texts():
        assert cause in report


def test_every_control_has_a_label_and_the_page_fits_200_percent_zoom(page: Page, base: str
                                                                      ) -> None:
    start_with_pack(page, base, "impac")
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]), select, textarea, button')].filter(e => !(e.labels && e.labels.length) &&
        !e.getAttribute('aria-label') && !e.textContent.trim() && !e.closest('label'))
        .map(e => e.outerHTML)""")
    assert unlabelled == []
    page.set_viewport_size({"width": 640, "height": 400})  # 1280x800 at 200% zoom
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.goto(f"{base}/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"


def test_skip_back_and_why(page: Page, base: str) -> None:
    start_with_pack(page, base, "connectbooster")
    first = current_fact(page)
    why = page.locator('[data-action="why"]')
    why.focus()
    page.keyboard.press("Enter")  # reachable and usable from the keyboard
    causes = page.locator("[data-why-cause]").all_inner_texts()
    assert causes and all(title in page.locator("details.why").inner_text() for title in causes)
    assert page.locator('[data-action="back"]').is_disabled()
    act(page, "skip")
    second = current_fact(page)
    assert second != first
    assert page.locator(f"[data-answered='{first}']").inner_text() == "I don't know"
    page.locator('[data-action="back"]').focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert current_fact(page) == first
    assert page.locator("[data-answered]").count() == 0


def test_resume_from_the_sessions_list(page: Page, base: str) -> None:
    start_with_pack(page, base, "mambu_xero")
    session = page.url.rsplit("/", 1)[1]
    answer_plausibly(page)
    where = current_fact(page)
    page.goto(f"{base}/")
    page.click(f"[data-session-id='{session}'] a")
    page.wait_for_load_state()
    assert page.url.endswith(f"/s/{session}")
    assert current_fact(page) == where
    assert page.locator("[data-answered]").count() == 1


def test_did_this_fix_it(page: Page, base: str) -> None:
    start_with_message(page, base, TERMS_MESSAGE)
    skip_to_result(page)
    first, *others = cause_ids(page)
    page.click(f'article[data-cause-id="{first}"] [data-action="not-fixed"]')
    page.wait_for_load_state()
    gone = page.locator(f'[data-ruled-out-id="{first}"]')
    assert "did not fix" in gone.inner_text()
    skip_to_result(page)
    assert first not in cause_ids(page)
    top = cause_ids(page)[0]
    page.click(f'article[data-cause-id="{top}"] [data-action="fixed"]')
    page.wait_for_load_state()
    assert page.locator('[data-outcome="fixed"]').is_visible()
    assert others  # the message supports more than one cause


def test_how_and_why_not_on_click(page: Page, base: str) -> None:
    start_with_message(page, base, TERMS_MESSAGE)
    cause = page.locator("[data-cause-id]").first
    cause_id = cause.get_attribute("data-cause-id")
    cause.locator("summary").click()
    account = page.locator(f'[data-account="{cause_id}"]')
    account.wait_for()
    assert account.get_attribute("data-status") == "holds"
    assert "F48" in account.inner_text()
    gone = page.locator("[data-ruled-out-id]").first
    gone.locator("summary").click()
    gone_id = gone.get_attribute("data-ruled-out-id")
    assert page.locator(f'[data-account="{gone_id}"]').get_attribute("data-status") == "ruled_out"


def test_datetime_phrase_shows_what_it_understood(page: Page, base: str) -> None:
    start_with_pack(page, base, "sage300")
    for _ in range(10):
        if page.locator("#answer-picker").count():
            break
        act(page, "skip")
    page.fill("#answer-value", "3 hours ago")
    understood = page.locator("#understood .understood")
    understood.wait_for()
    assert understood.inner_text().startswith("Understood as ")
    assert "3 hours before" in understood.inner_text() or "UTC" in understood.inner_text()
    page.fill("#answer-value", "the day after never")
    page.locator("#understood .error").wait_for()
    page.fill("#answer-value", "yesterday 15:00")
    page.locator("#understood .understood").wait_for()
    fact = current_fact(page)
    act(page, "answer")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT15:00:00Z", page.locator(
        f"[data-answered='{fact}']").inner_text())


def test_records_pasted_from_a_spreadsheet(page: Page, base: str) -> None:
    start_with_pack(page, base, "impac")
    for _ in range(25):
        if page.locator("table.records-table").count():
            break
        act(page, "skip")
    table = page.locator("table.records-table")
    assert table.count() == 1, "impac should ask for its transactions"
    names = [n.split()[0] for n in table.locator("thead th[scope=col]").all_inner_texts()[1:]]
    rows = ["\t".join(f"INV-{r}" if n == "id" else ("invoice" if n == "kind" else f"{r}0.5")
                      for n in names) for r in range(1, 6)]  # five rows: more than the table has
    table.locator("tbody input").first.evaluate(
        """(cell, text) => { const data = new DataTransfer(); data.setData('text/plain', text);
        cell.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true})); }""",
        "\n".join(rows) + "\n")
    assert table.locator("tbody tr").count() == 5
    assert table.locator('tbody tr input[name="rec-4-id"]').input_value() == "INV-5"
    assert table.locator('tbody tr select[name="rec-4-kind"]').input_value() == "invoice"
    fact = current_fact(page)
    act(page, "answer")
    assert page.locator("#q-error").count() == 0
    assert page.locator(f"[data-answered='{fact}']").inner_text() == "5 records"


def test_copy_the_report_as_markdown(page: Page, base: str) -> None:
    start_with_message(page, base, TERMS_MESSAGE)
    skip_to_result(page)
    act(page, "copy")
    page.locator(".copied", has_text="Copied.").wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#report-markdown").text_content()
    assert copied.startswith("# ")
    download = page.request.get(page.url + "/report.md")
    assert download.text() == copied


HOSTILE = ('<script>alert("x")</script><img src=x onerror=alert(1)> {{ 7*7 }} {% raw %} '
           '${7*7} 1020 - Terms Code "<b>F48</b>" is not defined in A/R Terms')


def test_a_hostile_message_is_shown_literally(page: Page, base: str) -> None:
    start_with_message(page, base, HOSTILE)
    shown = page.locator("[data-given]").first
    assert shown.inner_text() == HOSTILE
    assert page.locator("script").count() == 2  # htmx and the page's own, nothing injected
    assert page.locator("img").count() == 0 and page.locator("main b").count() == 0
    skip_to_result(page)
    assert "{{ 7*7 }}" in page.locator("#report-markdown").text_content()
    shown_in_steps = page.locator("[data-remediation]")
    assert shown_in_steps.count() >= 1 and "F48" in shown_in_steps.first.inner_text()
    assert page.locator("[data-remediation] :is(script, img, a, b)").count() == 0
    page.goto(f"{base}/")
    listed = page.locator("[data-session-id] a").first.inner_text()
    assert listed.endswith("…") and HOSTILE.startswith(listed[:-1].rstrip())  # cut at a word


def test_without_javascript_every_step_is_a_page_load(page_without_js: Page, base: str) -> None:
    page = page_without_js
    start_with_message(page, base, TERMS_MESSAGE)
    cause = page.locator("[data-cause-id]").first
    cause.locator("summary").click()
    cause.locator("a", has_text="Show HOW").click()
    page.wait_for_load_state()
    assert page.locator("[data-account]").get_attribute("data-status") == "holds"
    asked = skip_to_result(page)
    assert "terms_missing_in_sage" in cause_ids(page)
    assert page.locator('[data-action="copy"]').is_hidden()  # copying needs a script
    act(page, "back")
    assert current_fact(page) == asked[-1]


def test_check_button_reads_a_datetime_phrase_without_javascript(page_without_js: Page, base: str
                                                                 ) -> None:
    page = page_without_js
    start_with_pack(page, base, "sage300")
    for _ in range(10):
        if page.locator("#answer-picker").count():
            break
        act(page, "skip")
    page.fill("#answer-value", "2 days ago")
    act_check = page.locator("button", has_text="Check what this means")
    act_check.click()
    page.wait_for_load_state()
    assert page.locator("#understood").inner_text().startswith("Understood as ")
    assert page.locator("#answer-value").input_value() == "2 days ago"


def test_the_packs_that_recognise_the_message_come_first_with_their_reading(
    page: Page, base: str
) -> None:
    start_with_message(page, base, "Invoice INV-0042 could not be found")
    assert page.locator("h1").inner_text() == "Which integration is this about?"
    order = [b.get_attribute("data-pack") for b in page.query_selector_all("[data-pack]")]
    assert sorted(order[:2]) == ["connectbooster", "impac"], order
    assert sorted(order) == PACKS
    booster = page.locator('[data-pack="connectbooster"] .pack-reading').inner_text()
    assert "An invoice was deleted and recreated" in booster and "(50%)" in booster
    assert page.locator('[data-pack="sage300"] .pack-reading').count() == 0


def test_a_message_that_names_no_integration_asks_which(page: Page, base: str) -> None:
    start_with_message(page, base, "sync failed again")
    assert page.locator("h1").inner_text() == "Which integration is this about?"
    assert sorted(b.get_attribute("data-pack") for b in page.query_selector_all("[data-pack]")
                  ) == PACKS
    page.click('[data-pack="connectbooster"]')
    page.wait_for_load_state()
    assert page.locator("[data-question]").count() == 1
    assert "connectbooster" not in page.locator("[data-given]").all_inner_texts()
    assert page.locator("[data-given]").first.inner_text() == "sync failed again"


def test_a_one_time_notice_is_not_shown_again_on_a_reload(page: Page, base: str) -> None:
    import httpx

    session = httpx.post(f"{base}/v1/sessions", json={
        "pack": "impac", "facts": {"sync.status": "failed"}}).json()["id"]
    page.goto(f"{base}/s/{session}?moved=1")
    assert page.locator("[data-notice]").is_visible()
    assert "moved" not in page.url  # taken out of the address
    page.reload()
    assert page.locator("[data-notice]").count() == 0
