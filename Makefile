# Two commands do all the set-up (see README.md):
#   make lab     - install what the notebooks need into .venv (requirements.lock) and open
#                  JupyterLab on notebooks/
#   make test    - install that and the developer tools (requirements-dev.lock), then run
#                  ruff, the unit tests and every notebook (quick mode)
# and a few more for maintainers:
#   make render  - execute the notebooks whose code changed (quick mode to time them, then
#                  full mode) into docs/notebooks/; `make render NOTEBOOK=04_training_loop`
#                  re-renders one; then check the rendered copies
#   make site    - build the offline HTML site into docs/_site/ (no execution; the Chinese
#                  pages in docs/_site/zh/), with the in-browser drawing demo in
#                  docs/_site/demo/ (needs npm: web/README.md)
#   make site-check - build it once more in a temporary folder and check every page in
#                  headless Chromium (Debian's chromium); saves docs/site.png
#   make lock    - refresh requirements-dev.lock and requirements.lock from their .txt files
#                  (`make lock UPGRADE=1` moves every pin to the newest version the ranges
#                  allow; the student lock keeps the developer lock's versions)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
DEV_LOCK := requirements-dev.lock
# The locks are made for the machines the series is taught and tested on: CPython 3.11 on
# x86_64 Linux (glibc 2.28 or newer). Elsewhere, install requirements.txt (see README.md).
LOCK_PYTHON := 3.11
LOCK_PLATFORM := x86_64-manylinux_2_28
UV ?= $(if $(wildcard $(BIN)/uv),$(BIN)/uv,uv)

# ONNX Runtime Web for the in-browser drawing demo (web/), from web/package-lock.json; npm ci
# runs again only when the lock changed. `make lab` does not need it (nor Node).
WEB_MODULES := web/node_modules/.package-lock.json

.PHONY: install install-dev lab test lint benchmark render site site-check lock clean

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

# Without npm the demo's browser tests are skipped (CI installs Node: .ci/run) and
# `make site` says what to install.
$(WEB_MODULES): web/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --prefix web --ignore-scripts --no-audit --no-fund; \
	else \
		echo "npm not found: the in-browser demo cannot be built (apt-get install -y nodejs npm)"; \
	fi

# Exact versions, every file hash-checked; then the project itself, built with the locked
# setuptools (no build isolation, so nothing unpinned is fetched).
$(VENV)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	touch $@

# The developer tools on top: pytest, nbval, ruff, Playwright, Sphinx, uv (same versions of
# everything the student install already has).
$(VENV)/.installed-dev: $(VENV)/.installed $(DEV_LOCK)
	$(BIN)/python -m pip install --require-hashes --no-deps -r $(DEV_LOCK)
	touch $@

lab: install
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: install-dev $(WEB_MODULES)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .

benchmark: install-dev
	$(BIN)/python benchmarks/input_pipeline.py
	$(BIN)/python benchmarks/training_step.py
	$(BIN)/python benchmarks/memory.py --reference
	$(BIN)/python benchmarks/fast_recipe.py

render: install-dev
	$(BIN)/python docs/render.py $(if $(NOTEBOOK),--notebook $(NOTEBOOK))
	$(BIN)/python -m pytest tests/test_rendered.py -q \
		-k "rendered_copy $(if $(NOTEBOOK),and $(NOTEBOOK),or rendered_copies)"

site: install-dev $(WEB_MODULES)
	$(BIN)/python docs/site/build.py

site-check: install-dev $(WEB_MODULES)
	$(BIN)/python -m pytest tests/test_site.py -q -n 0

lock:
	$(UV) pip compile --quiet --generate-hashes --python-version $(LOCK_PYTHON) \
		--python-platform $(LOCK_PLATFORM) $(if $(UPGRADE),--upgrade) \
		requirements-dev.txt -o $(DEV_LOCK)
	$(UV) pip compile --quiet --generate-hashes --python-version $(LOCK_PYTHON) \
		--python-platform $(LOCK_PLATFORM) --constraint $(DEV_LOCK) \
		requirements.txt -o $(LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache docs/_site build/site-source build/site-source-doctrees \
		build/site-source-html build/jupyter_execute build/web-cache web/node_modules
