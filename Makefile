# Two entry points: `make demo` and `make test`. Everything else is a helper they call.
#
# Every package comes from the hash-pinned files under requirements/ (see the README's
# "Dependencies"); the build tools are installed first, from their own lock, so that nothing is
# ever built in isolation from unpinned packages.
#
# The suite runs on every core (pytest-xdist: `-n auto`); a plain `.venv/bin/pytest tests/...`
# stays serial, for the quick loop.
#
# The main environment is .venv, on the first of Python 3.11 and 3.12 found (durable-rules does
# not import on 3.13). `make test` runs the suite on every one of the two that is installed.
SUPPORTED := 3.11 3.12
# find-python VERSION -> an interpreter that really runs (a pyenv shim of an inactive version
# does not), looking on PATH and then in pyenv's versions folder.
find-python = $(shell for c in python$(1) \
	$$(ls -d "$${PYENV_ROOT:-$$HOME/.pyenv}"/versions/$(1).*/bin/python$(1) 2>/dev/null | sort -V | tail -n 1); \
	do "$$c" -c '' >/dev/null 2>&1 && { command -v "$$c"; break; }; done)
$(foreach v,$(SUPPORTED),$(eval PYTHON_$(v) := $(call find-python,$(v))))
PYTHONS   := $(foreach v,$(SUPPORTED),$(if $(PYTHON_$(v)),$(v)))
# Only `make clean` works without one.
ifeq ($(PYTHONS),)
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),demo)),)
$(error syncdoctor needs Python 3.11 or 3.12 (python3.11 or python3.12 on PATH, or in pyenv))
endif
endif
PRIMARY   := $(firstword $(PYTHONS))
OTHERS    := $(wordlist 2,$(words $(PYTHONS)),$(PYTHONS))
VENV      := .venv
BIN       := $(VENV)/bin
LOCKS     := requirements/build.txt requirements/dev.txt
PIP_FLAGS := --quiet --disable-pip-version-check

# venv-for VERSION -> the environment's directory
venv-for = $(if $(filter $(1),$(PRIMARY)),$(VENV),.venvs/$(1))

# install PYTHON, DIRECTORY: a fresh environment holding exactly the locked versions
define install
	rm -rf $(2)
	$(PYTHON_$(1)) -m venv $(2)
	$(2)/bin/python -m pip install $(PIP_FLAGS) --require-hashes --no-deps -r requirements/build.txt
	$(2)/bin/python -m pip install $(PIP_FLAGS) --require-hashes --no-build-isolation -r requirements/dev.txt
	$(2)/bin/python -m pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	touch $(2)/.installed
endef

.PHONY: demo test lint postgres browser screenshots check bench lock clean $(addprefix pytest-,$(PYTHONS))

$(VENV)/.installed: $(LOCKS) pyproject.toml
	$(call install,$(PRIMARY),$(VENV))

.venvs/%/.installed: $(LOCKS) pyproject.toml
	$(call install,$*,.venvs/$*)

demo: $(VENV)/.installed
	$(BIN)/syncdoctor diagnose examples/impac/sync-failed-app-api.yaml

test: lint postgres browser $(addprefix pytest-,$(PYTHONS))

# The session store tests start a throwaway PostgreSQL cluster (tests/postgres_server.py) from
# the server binaries of Debian's postgresql package, installed here when missing and we are
# root. Otherwise those tests skip, loudly; under SYNCDOCTOR_REQUIRE_POSTGRES=1 (.ci/run) they
# fail instead.
postgres:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "$$SYNCDOCTOR_PG_BIN" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing Debian's postgresql for the session store tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get install -y -qq --no-install-recommends postgresql >/dev/null 2>&1 || \
		  { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql; }; } || \
		echo "== could not install postgresql: its tests will skip (or fail on CI)"; \
	else echo "== no PostgreSQL server binaries and not root: the PostgreSQL store tests will skip"; fi

# The web page's tests drive Debian's Chromium (Playwright cannot download a browser here).
# As root, install it when it is missing; otherwise those tests skip loudly, or fail when
# SYNCDOCTOR_REQUIRE_BROWSER=1 (as .ci/run sets it).
CHROMIUM := /usr/bin/chromium
browser:
	@if [ -x $(CHROMIUM) ] || [ -n "$$SYNCDOCTOR_CHROMIUM" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "== installing Debian's chromium for the web page's tests"; \
		export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || \
		  { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }; } || \
		echo "== could not install chromium: the web page's tests will skip (or fail on CI)"; \
	else echo "== no $(CHROMIUM) and not root: the web page's tests will skip"; fi

# Regenerate docs/images/web-*.png (tests/web/test_screenshots.py says when they are stale).
screenshots: $(VENV)/.installed browser
	$(BIN)/python scripts/screenshots.py

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

define pytest-on
pytest-$(1): $(call venv-for,$(1))/.installed
	@echo "== pytest on Python $(1)"
	$(call venv-for,$(1))/bin/pytest -n auto
endef
$(foreach v,$(PYTHONS),$(eval $(call pytest-on,$(v))))

check: test

bench: $(VENV)/.installed
	$(BIN)/python bench/diagnose.py --json

# Regenerate the locks, keeping every version that still fits; `make lock UPGRADE=pydantic`
# moves one package (and what it needs) to its newest release. The dev lock (every extra the
# tests need) is resolved first and the others are constrained by it, so a package has one
# version in all of them: runtime.txt (pip install syncdoctor), service.txt (runtime + the
# service extra: serve and mcp), reconcile.txt (runtime + polars), build.txt.
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes \
	--custom-compile-command "make lock"
lock: | $(VENV)/.installed  # order-only: an out-of-date lock must not block its own fix
	$(UV_COMPILE) pyproject.toml requirements/build.in --extra dev --extra service --extra reconcile $(if $(UPGRADE),--upgrade-package $(UPGRADE)) -o requirements/dev.txt
	$(UV_COMPILE) pyproject.toml -c requirements/dev.txt -o requirements/runtime.txt
	$(UV_COMPILE) pyproject.toml --extra service -c requirements/dev.txt -o requirements/service.txt
	$(UV_COMPILE) pyproject.toml --extra reconcile -c requirements/dev.txt -o requirements/reconcile.txt
	$(UV_COMPILE) requirements/build.in -c requirements/dev.txt -o requirements/build.txt

clean:
	rm -rf $(VENV) .venvs .pytest_cache .mypy_cache .ruff_cache
