# docorch — every task runs through make. The venv is created on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the code the wheel ships (pyproject's packages.find rooms that exist, and worker.py)
SHIPPED := models workflows activities client $(wildcard app store) worker.py

.PHONY: install bytecode demo test test-fast lint format typecheck bench bench-quick mutation eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,semantic]'
	touch $(STAMP)

install: $(STAMP) bytecode

# The workflow sandbox imports workflows/ afresh for every workflow run, from code docorch's
# runner compiles once per worker process (client/workflow_code.py); bytecode spares each new
# process that compiling. See BENCHMARKS.md, "Sandbox cost".
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q models workflows bench

demo: $(STAMP) bytecode
	$(BIN)/docorch demo

test: $(STAMP) bytecode
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not integration"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) --no-print-directory typecheck

typecheck: $(STAMP)
	$(BIN)/mypy --strict $(SHIPPED)
	$(BIN)/mypy --strict tests bench

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP) bytecode
	$(BIN)/python -m bench

bench-quick: $(STAMP) bytecode
	$(BIN)/python -m bench --quick

# mutmut over the pure logic (pyproject [tool.mutmut]): unit tests only, no server, no replay.
mutation: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run > mutants.log 2>&1 || (tail -c 2000 mutants.log; exit 1)
	$(BIN)/python -m tests.mutation_score

# answer quality on the evaluation set; the documents come from DOCORCH_EVAL_DOCS
eval: $(STAMP)
	$(BIN)/python -m bench.eval

clean:
	rm -rf .docorch .pytest_cache .mypy_cache .ruff_cache mutants mutants.log
