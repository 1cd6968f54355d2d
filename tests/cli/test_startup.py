"""The CLI starts without torch: `phasenas --help` and `phasenas validate` must not pay torch's ~3 s import."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("code", [
    "import phasenas.cli",
    ("from phasenas.cli import app; from typer.testing import CliRunner; "
     "assert CliRunner().invoke(app, ['validate', 'MB3K3(32,64,2)', '--space', 'zen-cifar']).exit_code in (0, 1)"),
])
def test_the_cli_does_not_import_torch(code: str) -> None:
    check = f"{code}\nimport sys\nassert 'torch' not in sys.modules, 'torch was imported'"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
