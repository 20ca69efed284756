# Two commands do all the set-up (see README.md):
#   make lab    - install into .venv and open JupyterLab on notebooks/
#   make test   - install into .venv and run the unit tests and every notebook (quick mode)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install lab test lint benchmark clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt -e .
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

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
