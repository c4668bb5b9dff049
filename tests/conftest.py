"""End-to-end harness: `meltano run` against a sandbox into a throwaway DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
MELTANO = str(Path(sys.executable).with_name("meltano"))
PLUGINS = [
    "extractors/tap-ads",  # also runs tap-ads-meta, tap-ads-google-ads, ... (inherited)
    "extractors/tap-okendo",
    "extractors/tap-oms",
    "extractors/tap-shopify-chord",
    "extractors/tap-webhook-inbox",
    "loaders/target-duckdb",
    "utilities/dbt-duckdb",
]


@dataclass
class Pipeline:
    """One isolated project run: its own warehouse file, Meltano system DB and dbt target."""

    tmp: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def warehouse(self) -> Path:
        return self.tmp / "warehouse.duckdb"

    def point_at(self, okendo: Any, **tap_settings: Any) -> None:
        self.env.update(
            {
                "TAP_OKENDO_API_URL": okendo.api_url,
                "TAP_OKENDO_USER_ID": okendo.sandbox.user_id,
                "TAP_OKENDO_API_KEY": okendo.sandbox.api_key,
                "TAP_OKENDO_MAX_REQUESTS_PER_SECOND": "0",
            }
        )
        self.env.update({f"TAP_OKENDO_{k.upper()}": str(v) for k, v in tap_settings.items()})

    def point_at_oms(self, db: Any) -> None:
        """tap-oms (tap-postgres) at a seeded OMS database (sandbox's `oms_database`)."""
        self.env.update(
            {
                "TAP_OMS_HOST": db.host,
                "TAP_OMS_PORT": str(db.port),
                "TAP_OMS_USER": db.user,
                # tap-postgres insists on a password; a trusting server ignores it.
                "TAP_OMS_PASSWORD": db.password or "trust",
                "TAP_OMS_DATABASE": db.database,
            }
        )

    def point_at_ads(self, *sandboxes: Any, **tap_settings: Any) -> None:
        """tap-ads at running ad sandboxes (`ads_sandbox`): one settings block per platform.

        Meltano's settings are dotted (`meta.access_token`), so each block's keys become
        TAP_ADS_<PLATFORM>_<KEY>; arrays travel as JSON. Other settings come from
        `tap_settings`, dotted ones too: `**{"meta.poll_interval_ms": 100}`.
        """
        for sandbox in sandboxes:
            prefix = f"TAP_ADS_{sandbox.name.upper()}_"  # name: meta, google_ads, ...
            for key, value in sandbox.tap_config().items():
                text = json.dumps(value) if isinstance(value, list | dict) else str(value)
                self.env[prefix + key.upper()] = text
        self.env.update(
            {f"TAP_ADS_{k.replace('.', '_').upper()}": str(v) for k, v in tap_settings.items()}
        )

    def point_at_shopify(self, shop: Any, **tap_settings: Any) -> None:
        """tap-shopify-chord at a running Shopify sandbox (`shopify_sandbox`); settings such
        as `bulk_poll_interval_ms=20` or `bulk_streams=[]` (arrays travel as JSON)."""
        for key, value in shop.tap_config(**tap_settings).items():
            text = json.dumps(value) if isinstance(value, list | dict) else str(value)
            self.env[f"TAP_SHOPIFY_CHORD_{key.upper()}"] = text

    def meltano(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **self.env,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "MELTANO_DATABASE_URI": f"sqlite:///{self.tmp / 'meltano.db'}",
            "TARGET_DUCKDB_FILEPATH": str(self.warehouse),
            "DBT_DUCKDB_PATH": str(self.warehouse),
            "DBT_TARGET_PATH": str(self.tmp / "dbt-target"),
            "DBT_LOG_PATH": str(self.tmp / "dbt-logs"),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        return subprocess.run(
            [MELTANO, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def run(self, *blocks: str) -> subprocess.CompletedProcess[str]:
        done = self.meltano("run", *(blocks or ("tap-okendo", "target-duckdb", "dbt-duckdb:build")))
        assert done.returncode == 0, done.stderr[-4000:]
        return done

    def query(self, sql: str) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.sql(sql).fetchall()

    def count(self, table: str) -> int:
        return self.query(f"select count(*) from {table}")[0][0]


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    missing = [p for p in PLUGINS if not (ROOT / ".meltano" / p / "venv").is_dir()]
    if missing:
        pytest.fail(
            f"Meltano plugins not installed ({', '.join(missing)}): run `make test`, "
            "which runs `meltano install` first."
        )
    return Pipeline(tmp=tmp_path)
