"""Each test gets its own warehouse file under its tmp dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from target_duckdb.testing import Warehouse


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)
