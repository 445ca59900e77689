# The two commands of the README: `make demo` and `make test`. Both build .venv from pyproject.toml first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench i18n clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ksef-tui demo

test: $(STAMP)
	$(BIN)/ruff check ksef_tui tests benchmarks scripts
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check ksef_tui tests benchmarks scripts
	$(BIN)/ruff format --check ksef_tui tests benchmarks scripts

i18n: $(STAMP)
	$(BIN)/python scripts/i18n.py compile

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
