# The two commands a new user needs:
#   make run    start the service on embedded defaults at http://127.0.0.1:8000
#   make test   run the whole test suite
# and for contributors: make lint (ruff and mypy, as CI runs them).
# Each creates .venv and installs the package with its extras when needed.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test install lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/fraud serve --demo

test: $(STAMP)
	./scripts/ensure-test-services
	$(BIN)/python -m pytest -n 2 --dist loadgroup

lint: $(STAMP)
	$(BIN)/ruff check fraud api tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache
