# Two commands for a newcomer: `make demo` (set up, run the demo, serve its web UI) and `make test`.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
# uv keeps its wheel cache outside the clone (~/.cache/uv), so a second clone or CI on the same
# machine links torch and its CUDA wheels from the cache instead of downloading gigabytes again.
UV := $(PY) -m uv

.PHONY: setup demo test lint check es-start es-stop bench clean browser assets

$(VENV)/.installed: pyproject.toml
	@$(PY) -m uv --version >/dev/null 2>&1 || $(PY) -m pip install --quiet 'uv>=0.8,<1'
	@test -x $(VENV)/bin/python || $(UV) venv --quiet --python $(PY) $(VENV)
	$(UV) pip install --quiet --python $(VENV)/bin/python -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/earful demo --serve

# Lint first (fast, catches layer violations), then the whole suite against a real Elasticsearch.
test: setup browser lint
	bash infra/test.sh

# Debian's Chromium (and CJK fonts) for the browser tests; apt-get only when missing.
browser:
	bash infra/browser.sh

# Re-vendor the web UI's browser libraries from api/web/package-lock.json (needs npm); commit the result.
assets:
	bash infra/assets.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy core crawlers nlp index crm alerts reports flows demo api
	$(VENV)/bin/lint-imports

bench: setup
	bash infra/bench.sh
