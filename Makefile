# Everything the project needs is installed from its own files: uv (pinned) into .tools/,
# the workspace from uv.lock into .venv/, and the Meltano plugins into .meltano/.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: bootstrap browser contracts demo test lint bench clean

# Vendors' own machine-readable definitions that are not Python packages, fetched at pinned
# versions and checked against pinned hashes (the Python ones are test extras in uv.lock).
# Shopify publishes its Admin API schemas (introspection JSON per version) in @shopify/dev-mcp.
CONTRACTS := .cache/contracts
SHOPIFY_DEV_MCP := 1.16.0
SHOPIFY_DEV_MCP_SHA256 := 4663c79229028e98f825a09d5f04ec6c3736331b740ce50260f9ffac10709474
SHOPIFY_SCHEMAS := $(CONTRACTS)/shopify-admin-$(SHOPIFY_DEV_MCP)

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: $(UV) uv.lock pyproject.toml $(wildcard */pyproject.toml taps/*/pyproject.toml targets/*/pyproject.toml)
	$(UV) sync --frozen
	@touch $@

.meltano/.installed: $(VENV)/.synced meltano.yml $(wildcard meltano/*.meltano.yml)
	meltano install
	@touch $@

$(SHOPIFY_SCHEMAS)/.unpacked:
	@mkdir -p $(CONTRACTS)/npm $(SHOPIFY_SCHEMAS)
	cd $(CONTRACTS)/npm && npm pack --silent @shopify/dev-mcp@$(SHOPIFY_DEV_MCP) >/dev/null
	echo "$(SHOPIFY_DEV_MCP_SHA256)  $(CONTRACTS)/npm/shopify-dev-mcp-$(SHOPIFY_DEV_MCP).tgz" | sha256sum --check --quiet
	tar -xzf $(CONTRACTS)/npm/shopify-dev-mcp-$(SHOPIFY_DEV_MCP).tgz -C $(SHOPIFY_SCHEMAS) \
		--strip-components=3 --wildcards 'package/dist/data/admin_*.json.gz'
	@touch $@

contracts: $(SHOPIFY_SCHEMAS)/.unpacked

bootstrap: .meltano/.installed contracts
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
		taps/tap-ads/tap_ads sandbox/sandbox collector/collector hub/hub \
		targets/target-duckdb/target_duckdb

test: lint browser
	pytest

bench: bootstrap
	python bench/okendo_bench.py
	python bench/collector_bench.py
	python bench/recharge_bench.py
	python bench/snowflake_bench.py
	python bench/shopify_bench.py
	python bench/ads_bench.py
	python bench/target_duckdb_bench.py --big 200000

clean:
	rm -rf .venv .tools .meltano output/*.duckdb transform/target transform/logs
