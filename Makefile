# Two entry points a new user needs: `make demo` (set up and run the app against the built-in
# emulated cluster) and `make test` (set up and run every check CI runs). Both create .venv themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo run test lint typecheck imports unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/claworc-tui --demo

run: $(STAMP)
	$(BIN)/claworc-tui

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# In parallel: most tests wait on I/O (the emulator over HTTP, timers, CLI subprocesses), so more
# workers than cores keeps both cores busy. loadgroup keeps each xdist_group on one worker (the
# Docker tier shares one engine, see tests/conftest.py). PYTEST_WORKERS=0 runs it serially.
PYTEST_WORKERS ?= 3
unit: $(STAMP)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck imports unit

# Measurements, not tests: each script prints its figures (see BENCHMARKS.md). About 10 minutes,
# most of it seeding 1 000 instances; `make test` runs each once with --quick.
BENCHES := launch status logs big_fleet create idle terminal requests startup
bench: $(STAMP)
	@for b in $(BENCHES); do $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) dist build .mypy_cache .ruff_cache .pytest_cache
