# stx: `make demo` (set-up + the whole pipeline on the tiny default) and `make test` (set-up + tests).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stx-installed
PARAMS ?= params/smoke.yaml
MISTRAL_COMMON := mistral-common==1.13.1

.PHONY: venv demo demo-time test lint clean offline-tokenizer visual-deps test-visual

venv: $(STAMP) offline-tokenizer

# Idempotent: re-runs only when pyproject.toml changes. torch==2.13.0 goes first (a local CPU wheel
# here; any other torch spec would pull GBs of CUDA wheels).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e ".[dev,notebooks]"
	$(BIN)/python -m ipykernel install --sys-prefix --name stx --display-name "Python (stx)" >/dev/null
	@touch $(STAMP)

# stx-mistral-tokenizer: Mistral-7B-v0.1's real 32k SentencePiece tokenizer for the tokenizer stage, copied out of
# the mistral-common wheel (downloaded, never installed: it pins numpy<2.4) into the stx cache. Instant once there.
offline-tokenizer: $(STAMP)
	@$(BIN)/python -m stxlib.tokenizer.offline --check || { \
		$(BIN)/python -m pip download --quiet --no-deps --only-binary=:all: $(MISTRAL_COMMON) -d .whl && \
		$(BIN)/python -m stxlib.tokenizer.offline --install .whl; }

# The demo: params/smoke.yaml with the pre-trained tiny model (its loss falls visibly) in float32 without
# gradient checkpointing (a CPU without bf16 instructions emulates bf16 about 6x slower; the tiny model needs
# no memory saved). params/smoke.yaml itself keeps the card's bf16 path, which the tests exercise.
DEMO_SET ?=

demo: venv
	$(BIN)/stx run $(PARAMS) $(DEMO_SET)

# The demo timed stage by stage from scratch (a temporary run folder), with CPU seconds and load average.
demo-time: venv
	$(BIN)/python bench/demo_time.py --params $(PARAMS) $(DEMO_SET)

test: venv
	$(BIN)/python -m pytest

lint: venv
	$(BIN)/ruff check stxlib tests bench scripts notebooks
	$(BIN)/ruff format --check stxlib tests bench scripts

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Debian's chromium for tests/test_visual.py (skipped without it): report, compare page and a rendered notebook in
# headless Chromium; screenshots in results/visual/ (gitignored; CI keeps them as artifacts).
visual-deps:
	@command -v chromium >/dev/null || { sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium; }

test-visual: venv visual-deps
	$(BIN)/python -m pytest tests/test_visual.py
