# Two commands on a fresh machine: `make run` (install + serve the demo) and
# `make test` (install test dependencies + lint + types + every test; the
# PostgreSQL and Redis suites run whenever those answer on 127.0.0.1).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench chaos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/auctioneer serve --demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

test: $(STAMP)
	scripts/ensure-browser
	scripts/ensure-pdftotext
	scripts/ensure-xvfb
	scripts/ensure-nginx
	$(MAKE) lint
	env $$($(BIN)/python scripts/local-services) $(BIN)/pytest --cov --cov-report=term:skip-covered

bench: $(STAMP)
	$(BIN)/python -m bench.run

chaos: $(STAMP)
	$(BIN)/pytest -m slow tests/reliability

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
