# The README's two commands: `make run` and `make test`. Both build .venv from scratch when needed.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
OUT ?= out
REPLICATES ?= 2000

# Find Python >= 3.12: on PATH first, then pyenv's installed versions (newest first).
PYTHON_FOR_VENV := $(shell for c in python3.13 python3.12 python3 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python 2>/dev/null | sort -rV); do \
	if command -v $$c >/dev/null 2>&1 && $$c -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then command -v $$c; break; fi; done)

.PHONY: run test venv lint bench calibrate calibrate-likelihood calibrate-pooled calibrate-founding robustness sobol clean app docs results

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON_FOR_VENV)" ]; then \
		echo "error: Python 3.12 or newer is needed (Mesa 3.5 requires it) and none was found on PATH or under pyenv." >&2; \
		echo "Install one (e.g. 'pyenv install 3.12') and run make again." >&2; exit 2; fi
	@echo "using $(PYTHON_FOR_VENV)"
	$(PYTHON_FOR_VENV) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

OPENAI := scenarios/openai-founders/baseline.toml

run: venv
	$(VENV)/bin/sim run baseline --replicates $(REPLICATES) --out $(OUT)/baseline
	$(VENV)/bin/sim run scenarios/forecast/baseline.toml --replicates $(REPLICATES) --out $(OUT)/forecast
	$(VENV)/bin/sim compare --all --reference scenarios/forecast/baseline.toml \
		--replicates $(REPLICATES) --out $(OUT)/forecast-compare
	$(VENV)/bin/sim compare --all --replicates $(REPLICATES) --out $(OUT)/compare
	$(VENV)/bin/sim run $(OPENAI) --replicates $(REPLICATES) --out $(OUT)/openai-founders/baseline
	$(VENV)/bin/sim compare --all --reference $(OPENAI) --replicates $(REPLICATES) \
		--out $(OUT)/openai-founders/compare

calibrate: venv
	$(VENV)/bin/sim calibrate
	$(VENV)/bin/sim calibrate --scenario $(OPENAI) --final-tolerance 1

# The full-information posteriors calibrated with founding as data (scenarios/given/): each
# world, then both jointly, under each prior set (calibration/WORLD/likelihood*/,
# calibration/joint*/); then the table of every counterfactual under each of them (make robustness).
GIVEN := scenarios/given/baseline.toml
GIVEN_OPENAI := scenarios/given/openai-founders/baseline.toml
calibrate-likelihood: venv
	for p in "" wide literature; do \
		priors=$${p:+--priors calibration/priors-$$p.toml}; suffix=$${p:+-$$p}; \
		$(VENV)/bin/sim calibrate --method likelihood --scenario $(GIVEN) $$priors \
			--out calibration/llama/likelihood$$suffix --quiet || exit 1; \
		$(VENV)/bin/sim calibrate --method likelihood --scenario $(GIVEN_OPENAI) $$priors \
			--out calibration/openai-founders/likelihood$$suffix --quiet || exit 1; \
		$(VENV)/bin/sim calibrate --method likelihood --worlds $(GIVEN),$(GIVEN_OPENAI) $$priors \
			--alone llama=calibration/llama/likelihood$$suffix \
			--alone openai-founders=calibration/openai-founders/likelihood$$suffix \
			--out calibration/joint$$suffix --quiet || exit 1; \
	done

# The joint posterior with founding as data and k0 partially pooled across the cohorts (a
# population whose mean and spread are calibrated too), beside the unpooled one.
calibrate-pooled: venv
	$(VENV)/bin/sim calibrate --method likelihood --worlds $(GIVEN),$(GIVEN_OPENAI) --pool k0 \
		--alone llama=calibration/llama/likelihood \
		--alone openai-founders=calibration/openai-founders/likelihood \
		--out calibration/joint-pooled --quiet

# The shipped worlds' posteriors, founding a choice: each world's likelihood posterior, its
# potential labs founded by the founders' choice (calibration/WORLD/founding/), then the joint one
# with k0 pooled (calibration/joint-founding/, which the baseline scenarios read; 40 walkers: it
# has 19 free parameters).
calibrate-founding: venv
	$(VENV)/bin/sim calibrate --method likelihood --out calibration/llama/founding --quiet
	$(VENV)/bin/sim calibrate --method likelihood --scenario $(OPENAI) \
		--out calibration/openai-founders/founding --quiet
	$(VENV)/bin/sim calibrate --method likelihood --worlds llama,openai-founders \
		--pool k0 --walkers 40 --alone llama=calibration/llama/founding \
		--alone openai-founders=calibration/openai-founders/founding \
		--out calibration/joint-founding --quiet

robustness: venv
	$(VENV)/bin/sim robustness --replicates $(REPLICATES) --out $(OUT)/robustness

sobol: venv
	$(VENV)/bin/sim sensitivity sweeps/sobol-baseline.toml --out $(OUT)/sobol-baseline

# The interactive page (sim app) on http://127.0.0.1:$(PORT)/; Ctrl-C stops it.
PORT ?= 8765
app: venv
	$(VENV)/bin/sim app --port $(PORT)

# The browser tests (tests/browser, marker browser) drive a Chromium: SIM_CHROMIUM if set, else
# chromium on PATH (Debian's: apt-get install chromium). Without one they skip, and this says so.
CHROMIUM ?= $(firstword $(SIM_CHROMIUM) $(shell command -v chromium chromium-browser 2>/dev/null))

# The layers contract (pyproject.toml, [tool.importlinter]) is checked first: an import that points
# up a layer, or a circle, fails the run before the tests.
# numba's cache is keyed on each file's own timestamp, not on the functions it inlines from other
# files: clear it so the tests always run the compiled form of the current source.
test: venv
	find sim -name '*.nbi' -delete -o -name '*.nbc' -delete
	@if [ -n "$(CHROMIUM)" ] && [ -x "$(CHROMIUM)" ]; then \
		echo "browser tests: running them with $(CHROMIUM)"; \
	else \
		echo "browser tests: SKIPPED, no Chromium found (apt-get install chromium, or set SIM_CHROMIUM)"; fi
	$(VENV)/bin/lint-imports
	SIM_CHROMIUM="$(CHROMIUM)" $(PY) -m pytest -q -rs tests --nbmake docs/tutorial.ipynb

# The documentation site (mkdocs.yml, docs/) into site/: installs the docs extra into .venv, then
# builds with --strict, so a broken link, anchor or API reference fails the build, naming the page.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

lint: venv
	$(VENV)/bin/ruff check sim tests benchmarks

# The engines' throughput and memory, written to benchmarks/results/engines.json (committed, with
# the machine, date, commit and load average); `make results` renders the README's table from it.
# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS='--quick --note "a calibration running"'.
BENCH_ARGS ?=
bench: venv
	$(PY) benchmarks/engines.py --out benchmarks/results/engines.json $(BENCH_ARGS)
	$(PY) benchmarks/likelihood.py

# Every number-bearing table of README.md and docs/ (their <!-- results:NAME --> regions), from
# the committed calibration and benchmark outputs and seeded runs; the tutorial notebook's saved
# outputs (executed anew); then the gallery. `make test` fails when a committed region differs
# from what this writes (the cheap ones; `pytest -m slow` checks all, and the notebook).
results: venv
	$(PY) scripts/results.py
	$(PY) scripts/notebook.py
	$(PY) scripts/gallery.py

clean:
	rm -rf $(VENV) $(OUT)
