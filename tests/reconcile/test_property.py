"""Planted discrepancies are always found and classified; the order of rows changes nothing."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reconcile_support import Row, txn, write_csv, write_ndjson

from syncdoctor.importers.mapping import MappingFile
from syncdoctor.reconcile import reconcile_files

pytest.importorskip("polars")

# What each plant does to the UI, the API and the hub, and the class it must get.
PLANTS = {
    "app_bug": "the UI alone is changed",
    "sync_bug": "the hub alone is changed",
    "app_and_sync": "the API and the hub each changed differently",
    "one_source": "only the hub holds it",
    "missing_from_hub": "the hub lacks it (a sync_bug)",
    "moved_in_hub": "the hub files it under another account (a sync_bug)",
}
EXPECTED = {"missing_from_hub": "sync_bug", "moved_in_hub": "sync_bug"}

cents = st.integers(min_value=-10**9, max_value=10**9)
base_rows = st.lists(st.tuples(cents, st.integers(0, 3), st.integers(1, 28)), min_size=1,
                     max_size=40)


def _amount(value: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}{abs(value) // 100}.{abs(value) % 100:02d}"


def build(rows: list[tuple[int, int, int]], plants: list[str]) -> tuple[
        list[Row], list[Row], list[Row], dict[str, str]]:
    ui, api, hub = [], [], []
    for index, (value, account, day) in enumerate(rows):
        row = txn(f"T{index:04}", _amount(value), account=f"Account {account}",
                  date=f"2024-0{1 + account}-{day:02d}")
        ui.append(row), api.append(dict(row)), hub.append(dict(row))
    planted: dict[str, str] = {}
    for index, plant in enumerate(plants):
        row = txn(f"P{index:04}", "100.00")
        changed = dict(row, amount="101.00")
        other = dict(row, amount="102.50")
        if plant == "app_bug":
            ui.append(changed), api.append(row), hub.append(row)
        elif plant == "sync_bug":
            ui.append(row), api.append(row), hub.append(changed)
        elif plant == "app_and_sync":
            ui.append(row), api.append(changed), hub.append(other)
        elif plant == "one_source":
            hub.append(row)
        elif plant == "missing_from_hub":
            ui.append(row), api.append(row)
        else:
            ui.append(row), api.append(row), hub.append(dict(row, account="Suspense"))
        planted[row["id"]] = EXPECTED.get(plant, plant)  # type: ignore[index]
    return ui, api, hub, planted


def _run(folder: Path, ui: list[Row], api: list[Row], hub: list[Row]) -> tuple[
        dict[str, str], object, list[tuple[object, ...]]]:
    files = {"ui": [write_csv(folder / "ui.csv", ui)],
             "api": [write_ndjson(folder / "api.ndjson", api)],
             "hub": [write_csv(folder / "hub.csv", hub)]}
    result = reconcile_files(files, MappingFile())
    found = dict(result.discrepancies.select("id", "class").iter_rows())
    return found, result.facts, result.periods.rows()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=base_rows, plants=st.lists(st.sampled_from(sorted(PLANTS)), max_size=8),
       seed=st.integers(0, 2**32 - 1))
def test_planted_discrepancies_are_found_and_order_does_not_matter(
        rows: list[tuple[int, int, int]], plants: list[str], seed: int) -> None:
    ui, api, hub, planted = build(rows, plants)
    with tempfile.TemporaryDirectory() as first, tempfile.TemporaryDirectory() as second:
        found, facts, periods = _run(Path(first), ui, api, hub)
        assert found == planted
        shuffle = random.Random(seed)
        for rows_of in (ui, api, hub):
            shuffle.shuffle(rows_of)
        again, facts_again, periods_again = _run(Path(second), ui, api, hub)
    assert again == found
    assert facts_again == facts
    assert periods_again == periods
