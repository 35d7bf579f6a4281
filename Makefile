# Two commands matter: `make run` (set up and start Parley on the embedded default) and
# `make test` (set up and run every check). Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck pytest install clean bench

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/parley serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check src tests

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

pytest: $(STAMP)
	$(BIN)/pytest -q -n 2 --dist loadfile

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/python bench/run.py --all

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
