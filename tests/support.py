"""Paths and constants shared by the tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent
NOW = "2024-05-01T12:00:00Z"
