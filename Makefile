# Two entry points: `make demo` and `make test`. Everything else is a helper they call.
# Prefer 3.11 (durable-rules does not import on 3.13), fall back to python3.
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/syncdoctor diagnose examples/impac/sync-failed-app-api.yaml

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

check: test

bench: $(STAMP)
	$(BIN)/python bench/diagnose.py --json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
