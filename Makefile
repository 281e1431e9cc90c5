# The two commands of the README: `make run` serves the chat page (building the index from seeds/
# on first use); `make test` runs every test, browser tests included. Both set up .venv first.
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: run test setup lint

setup:
	@./scripts/setup.sh

run: setup
	$(VENV)/bin/rag serve --host $(HOST) --port $(PORT)

test: setup
	./scripts/install-browser.sh
	$(VENV)/bin/ruff check rag tests benchmarks eval scripts
	RAG_BROWSER_REQUIRED=1 $(VENV)/bin/python -m pytest

lint: setup
	$(VENV)/bin/ruff check rag tests benchmarks eval scripts
	$(VENV)/bin/ruff format --check rag tests benchmarks eval scripts
