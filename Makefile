# The two commands of the README: `make demo` and `make test`. Both build .venv from the lock first:
# pip installs the pinned uv (requirements/bootstrap.txt), uv installs exactly requirements/lock.txt
# (every runtime and development dependency, pinned with hashes), then the project itself without deps.
# The venv is re-synced whenever the lock, the bootstrap pin or pyproject.toml changes.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements/lock.txt
UV_COMPILE := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes
# Extra arguments for `make lock`, e.g. LOCK_ARGS='-P babel==2.19.0' to move one pin,
# or LOCK_ARGS=--upgrade to move them all (see docs/DECISIONS.md "Locked dependencies").
LOCK_ARGS ?=
PATHS := ksef_tui tests benchmarks scripts

.PHONY: demo test lint typecheck contracts bench i18n lock clean

$(STAMP): $(LOCK) requirements/bootstrap.txt requirements/build.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/uv --version >/dev/null 2>&1 || \
		$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/bootstrap.txt
	$(BIN)/uv pip sync --quiet --python $(BIN)/python --require-hashes $(LOCK)
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps \
		--build-constraints requirements/build.txt -e .
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/ksef-tui demo

# The gates, cheapest first: lint, formatting, types, import contracts (DESIGN.md "Layers"), then pytest.
test: $(STAMP)
	$(BIN)/ruff check $(PATHS)
	$(BIN)/ruff format --check $(PATHS)
	$(BIN)/mypy ksef_tui
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check $(PATHS)
	$(BIN)/ruff format --check $(PATHS)

typecheck: $(STAMP)
	$(BIN)/mypy ksef_tui

contracts: $(STAMP)
	$(BIN)/lint-imports

i18n: $(STAMP)
	$(BIN)/python scripts/i18n.py compile

# Re-resolve the lock files from pyproject.toml and the .in files. Existing pins are kept unless
# LOCK_ARGS says otherwise; only what pyproject.toml added or changed moves.
lock: $(STAMP)
	$(UV_COMPILE) $(LOCK_ARGS) -o requirements/bootstrap.txt requirements/bootstrap.in
	$(UV_COMPILE) $(LOCK_ARGS) -o requirements/build.txt requirements/build.in
	$(UV_COMPILE) $(LOCK_ARGS) -o $(LOCK) pyproject.toml --extra dev requirements/bootstrap.in

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .import_linter_cache
