# Everything the project needs is installed from its own files: uv (pinned) into .tools/,
# the workspace from uv.lock into .venv/, and the Meltano plugins into .meltano/.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: bootstrap browser demo test lint bench clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml taps/*/pyproject.toml)
	$(UV) sync --frozen
	@touch $@

.meltano/.installed: $(VENV)/.synced meltano.yml $(wildcard meltano/*.meltano.yml)
	meltano install
	@touch $@

bootstrap: .meltano/.installed
	@mkdir -p output

# The Hub's browser tests drive Debian's Chromium through Playwright (which may not download
# its own browser here); install it from the Debian archive when it is missing.
browser:
	@command -v chromium >/dev/null || { \
		echo "installing Debian chromium for the Hub's browser tests"; \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
		$$( [ "$$(id -u)" = 0 ] || echo sudo ) env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

demo: bootstrap
	python meltano/demo.py

lint: bootstrap
	ruff check .
	ruff format --check .
	mypy taps/tap-okendo/tap_okendo taps/tap-recharge/tap_recharge taps/tap-shopify-chord/tap_shopify_chord \
		taps/tap-ads/tap_ads sandbox/sandbox collector/collector hub/hub

test: lint browser
	pytest

bench: bootstrap
	python bench/okendo_bench.py
	python bench/collector_bench.py
	python bench/recharge_bench.py
	python bench/snowflake_bench.py
	python bench/shopify_bench.py
	python bench/ads_bench.py

clean:
	rm -rf .venv .tools .meltano output/*.duckdb transform/target transform/logs
