# Two commands do all the set-up (see README.md):
#   make lab     - install into .venv from the lock file and open JupyterLab on notebooks/
#   make test    - install into .venv from the lock file, run ruff, the unit tests and every
#                  notebook (quick mode)
# and a few more for maintainers:
#   make render  - execute the notebooks whose code changed (quick mode to time them, then
#                  full mode) into docs/notebooks/; `make render NOTEBOOK=04_training_loop`
#                  re-renders one; then check the rendered copies
#   make site    - build the offline HTML site into docs/_site/ (no execution)
#   make site-check - build it once more in a temporary folder and check every page in
#                  headless Chromium (Debian's chromium); saves docs/site.png
#   make lock    - refresh requirements.lock from requirements.txt (`make lock UPGRADE=1`
#                  moves every pin to the newest version the ranges allow)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK := requirements.lock
# The lock is made for the machines the series is taught and tested on: CPython 3.11 on
# x86_64 Linux (glibc 2.28 or newer). Elsewhere, install requirements.txt (see README.md).
LOCK_PYTHON := 3.11
LOCK_PLATFORM := x86_64-manylinux_2_28
UV ?= $(if $(wildcard $(BIN)/uv),$(BIN)/uv,uv)

.PHONY: install lab test lint benchmark render site site-check lock clean

install: $(VENV)/.installed

# Exact versions, every file hash-checked; then the project itself, built with the locked
# setuptools (no build isolation, so nothing unpinned is fetched).
$(VENV)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install --no-deps --no-build-isolation -e .
	touch $@

lab: install
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

test: install
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .

benchmark: install
	$(BIN)/python benchmarks/input_pipeline.py
	$(BIN)/python benchmarks/training_step.py
	$(BIN)/python benchmarks/memory.py --reference
	$(BIN)/python benchmarks/fast_recipe.py

render: install
	$(BIN)/python docs/render.py $(if $(NOTEBOOK),--notebook $(NOTEBOOK))
	$(BIN)/python -m pytest tests/test_rendered.py -q \
		-k "rendered_copy $(if $(NOTEBOOK),and $(NOTEBOOK),or rendered_copies)"

site: install
	$(BIN)/python docs/site/build.py

site-check: install
	$(BIN)/python -m pytest tests/test_site.py -q -n 0

lock:
	$(UV) pip compile --quiet --generate-hashes --python-version $(LOCK_PYTHON) \
		--python-platform $(LOCK_PLATFORM) $(if $(UPGRADE),--upgrade) \
		requirements.txt -o $(LOCK)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache docs/_site build/site-source build/site-source-doctrees
