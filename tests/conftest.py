"""Fixtures shared by every test area."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_TABLE = ROOT.parent / "shared" / "data" / "nas-bench-macro_cifar10.json"


@pytest.fixture(scope="session")
def nbm_table_path() -> Path:
    """The NAS-Bench-Macro table: $PHASENAS_NBM_TABLE, else ../shared/data beside the checkout."""
    path = Path(os.environ.get("PHASENAS_NBM_TABLE", SHARED_TABLE))
    if not path.is_file():
        pytest.skip(f"NAS-Bench-Macro table not found at {path} (set PHASENAS_NBM_TABLE)")
    return path
