# stx: `make demo` (set-up + the whole pipeline on the tiny default) and `make test` (set-up + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stx-installed
PARAMS ?= params/smoke.yaml

.PHONY: venv demo test lint clean

venv: $(STAMP)

# Idempotent: re-runs only when pyproject.toml changes. torch==2.13.0 goes first (a local CPU wheel
# here; any other torch spec would pull GBs of CUDA wheels).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,notebooks]"
	$(BIN)/python -m ipykernel install --sys-prefix --name stx --display-name "Python (stx)" >/dev/null
	@touch $(STAMP)

demo: venv
	$(BIN)/stx run $(PARAMS)

test: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check stxlib tests bench scripts notebooks
	$(BIN)/ruff format --check stxlib tests bench scripts

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
