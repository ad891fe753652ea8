# ii-desktop: `make run` installs and opens the app; `make test` installs and runs the checks.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck pytest bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

run: $(STAMP)
	$(BIN)/ii-desktop

lint: $(DEV_STAMP)
	$(BIN)/ruff check ii_desktop tests packaging
	$(BIN)/ruff format --check ii_desktop tests packaging

typecheck: $(DEV_STAMP)
	$(BIN)/mypy ii_desktop

pytest: $(DEV_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

test: lint typecheck pytest

bench: $(STAMP)
	$(BIN)/ii-desktop dev tiny-model $(VENV)/bench-tiny-model 2>/dev/null || true
	$(BIN)/ii-desktop bench engine --model $(VENV)/bench-tiny-model

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist

# Not part of `make test`: builds the bundle with PyInstaller (installed into the venv on
# first use): ii-desktop.app and a DMG on macOS, dist/ii-desktop/ plus a smoke test on Linux.
.PHONY: package
package: $(STAMP)
	$(BIN)/python -c 'import PyInstaller' 2>/dev/null || $(BIN)/pip install --quiet pyinstaller
	VENV=$(VENV) packaging/$$(if [ "$$(uname -s)" = Darwin ]; then echo macos; else echo linux; fi)/build.sh
