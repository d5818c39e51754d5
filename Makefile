# newswire: `make run` and `make test` are all a fresh machine needs (Python 3.11, pip, make, gcc).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The root distribution carries the CLI and all three internal packages (shared/src and
# services/*/src): one editable install, no module installed twice.
PKGS   := -e '.[dev]'
INBOX  ?= inbox
RESULTS ?= results
N      ?= 10000

.PHONY: install run test lint typecheck unit integration deploy-check bench bench-ingest bench-long bench-memory bench-stories chaos quality schema clean

install: $(STAMP)

$(STAMP): pyproject.toml shared/pyproject.toml services/ingest/pyproject.toml services/enrich/pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip uninstall --quiet --yes newswire-shared newswire-ingest newswire-enrich 2>/dev/null || true
	$(BIN)/python -m pip install --quiet -c constraints.txt $(PKGS)
	touch $(STAMP)

run: install
	$(BIN)/newswire run --inbox $(INBOX) --results $(RESULTS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy
	$(BIN)/mypy --strict examples/stream_consumer.py

test: install lint typecheck
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not integration and not deploy"

integration: install
	$(BIN)/pytest -m integration

deploy-check: install
	$(BIN)/pytest -m deploy

bench: install
	$(BIN)/python bench/pipeline_bench.py --ingest

bench-ingest: install
	$(BIN)/python bench/ingest_bench.py --n 5000

chaos: install
	$(BIN)/python bench/chaos.py --n $(N)

bench-long: install
	$(BIN)/python bench/long_text_bench.py

bench-memory: install
	$(BIN)/python bench/worker_memory.py

bench-stories: install
	$(BIN)/python bench/stories_eval.py

quality: install
	$(BIN)/python bench/quality.py

schema: install
	$(BIN)/newswire schema --write

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
