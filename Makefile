# Two commands on a fresh machine: `make run` (the bot) and `make test` (the whole test suite).
# Each creates the virtual environment and installs what it needs first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench fonts

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Charts (/stats, `python -m bot report`) need a font with Chinese glyphs; matplotlib ships none. When there is none
# and this runs as root with apt-get (a fresh Debian machine, CI), install WenQuanYi Micro Hei (1.6 MB download).
# Otherwise `python -m bot.reports.fonts` says what to install; the stamp is written only once a font is found.
CJK_FONT_PACKAGE := fonts-wqy-microhei
FONT_STAMP := $(VENV)/.chart-font

$(FONT_STAMP): $(STAMP)
	@if ! $(PY) -m bot.reports.fonts >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing $(CJK_FONT_PACKAGE) (Chinese glyphs for the charts)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get install -y -qq --no-install-recommends $(CJK_FONT_PACKAGE) >/dev/null 2>&1 \
			|| { apt-get update -qq && apt-get install -y -qq --no-install-recommends $(CJK_FONT_PACKAGE) >/dev/null; }; \
	fi
	@$(PY) -m bot.reports.fonts && touch $(FONT_STAMP) || echo "warning: charts will show boxes instead of Chinese"

fonts: $(FONT_STAMP)

run: $(STAMP) $(FONT_STAMP)
	$(PY) run_bot.py $(ARGS)

# Lint and import order first (ruff), then the types (mypy, strict on bot/core; both configured in pyproject.toml):
# a finding of either fails the target before the suite runs, and both take seconds where the suite takes minutes.
# Two pytest workers (pytest-xdist), one a core: the suite is ~790 tests, many of them end to end through a real
# bot process or the fake Bot API; on two cores this halves the wall time (165 s -> 77-89 s measured here).
test: $(STAMP) $(FONT_STAMP)
	$(PY) -m ruff check . && $(PY) -m mypy && $(PY) -m pytest -n 2 $(ARGS)

bench: $(STAMP)
	$(PY) benchmarks/run_all.py $(ARGS)
