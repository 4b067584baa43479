# Two entry points for everyone: `make lab` and `make test`. Both set up .venv first
# (idempotent: a stamp file is rebuilt only when the pins or the package metadata change).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# One thread per kernel: extra OpenMP threads make small fits slower and runs less repeatable.
export OMP_NUM_THREADS ?= 1
export OPENBLAS_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
export PYTHONHASHSEED := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

JUPYTER_ROOT_FLAG := $(shell [ "$$(id -u)" = "0" ] && echo --allow-root)
PYTEST_WORKERS ?= 2

.PHONY: lab test setup exercises notebooks clean help

help:
	@echo "make lab        set up .venv and open the course in JupyterLab"
	@echo "make test       set up .venv and run every test"
	@echo "make notebooks  execute lessons and solutions in place, then regenerate exercises/"
	@echo "make exercises  regenerate exercises/ from solutions/"
	@echo "make colab      write Colab badges and install lines, README cloud badges ([tool.course])"
	@echo "make test-oldest  build .venv-oldest at pyproject's lower bounds and run every notebook there"
	@echo "make bench      time every notebook, check() latency and grading cost into bench/"

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed; set PYTHON=python3.x")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV): install your Python's venv module (Debian/Ubuntu: apt install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[lab,test,browser]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (course)" >/dev/null
	@touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab $(JUPYTER_ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" notebooks/00_start_here.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile tests \
		--nbval --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-current-env \
		notebooks solutions exercises

exercises: $(STAMP)
	$(BIN)/python -m course_utils.authoring make-exercises

# Execute lessons and solutions in place (stored outputs), then regenerate the exercises.
notebooks: $(STAMP)
	$(BIN)/python -m course_utils.authoring execute notebooks/*.ipynb solutions/*.ipynb
	$(BIN)/python -m course_utils.authoring make-exercises

# The course's performance record: every notebook's run time and memory, check() latency and
# grading cost, measured in one run (see course_utils/authoring/bench.py). Writes bench/; takes a few minutes.
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python -m course_utils.authoring.bench

# Colab badges, Colab-only install lines and the README's cloud badges, from [tool.course] in
# pyproject.toml; then regenerates exercises/. Idempotent.
.PHONY: colab
colab: $(STAMP)
	$(BIN)/python -m course_utils.authoring.colab

# The oldest supported versions: a second venv with every dependency at exactly the lower bound
# pyproject.toml declares (read from it by `course_utils.authoring.colab lower-bounds`), on $(PYTHON);
# every notebook runs there to the end without error. Outputs are not compared (--nbval-lax):
# older libraries may print numbers a little differently.
OLDEST       := .venv-oldest
OLDEST_STAMP := $(OLDEST)/.installed
.PHONY: test-oldest
$(OLDEST_STAMP): pyproject.toml
	@test -x $(OLDEST)/bin/python || $(PYTHON) -m venv $(OLDEST)
	$(OLDEST)/bin/python -m pip install --quiet --upgrade pip
	$(PYTHON) -m course_utils.authoring.colab lower-bounds > $(OLDEST)/lower-bounds.txt
	$(OLDEST)/bin/python -m pip install --quiet -r $(OLDEST)/lower-bounds.txt
	$(OLDEST)/bin/python -m pip install --quiet --no-deps -e .
	@touch $@

test-oldest: $(OLDEST_STAMP)
	@echo "Oldest supported versions:" && cat $(OLDEST)/lower-bounds.txt | tr '\n' ' ' && echo
	PYTHONPATH=tests/offline PYDEVD_DISABLE_FILE_VALIDATION=1 $(OLDEST)/bin/python -m pytest \
		-n $(PYTEST_WORKERS) --dist loadfile \
		--nbval-lax --nbval-current-env notebooks solutions exercises

clean:
	rm -rf $(VENV) $(OLDEST) build *.egg-info
